package storage

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/samsa-io/samsa/protocol/records"
)

// kv is one record to write: a nil value is a tombstone.
type kv struct {
	key, value string
	tombstone  bool
}

// storedRecord is a record read back from the log.
type storedRecord struct {
	offset    int64
	key       string
	value     string
	tombstone bool
}

func compactConfig() Config {
	cfg := testConfig()
	cfg.CleanupPolicy = "compact"
	cfg.MinCleanableDirtyRatio = 0
	cfg.DeleteRetentionMs = 60_000
	return cfg
}

// keyedBatch builds one batch of the given records with timestamp ts.
func keyedBatch(t testing.TB, recs []kv, ts int64, codec records.Codec) []byte {
	t.Helper()
	rs := make([]records.Record, len(recs))
	for i, r := range recs {
		rs[i] = records.Record{OffsetDelta: int32(i), Key: []byte(r.key), Value: []byte(r.value), ValueNull: r.tombstone}
	}
	b, err := records.AppendBatch(nil, records.Header{BaseTimestamp: ts, ProducerID: -1, BaseSequence: -1}, rs, codec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeKeyed appends recs in batches of perBatch and returns the offset
// of every record written.
func writeKeyed(t testing.TB, l *Log, recs []kv, perBatch int, ts int64, codec func(i int) records.Codec) []int64 {
	t.Helper()
	var offs []int64
	for i := 0; i < len(recs); i += perBatch {
		chunk := recs[i:min(i+perBatch, len(recs))]
		c := records.None
		if codec != nil {
			c = codec(i / perBatch)
		}
		res := mustAppend(t, l, keyedBatch(t, chunk, ts, c), 1)
		for j := range chunk {
			offs = append(offs, res.BaseOffset+int64(j))
		}
	}
	return offs
}

// rollAndFlush seals the active segment so that everything written is
// cleanable, then makes it durable.
func rollAndFlush(t testing.TB, l *Log) {
	t.Helper()
	l.appendMu.Lock()
	err := l.rollLocked(l.leo.Load())
	l.appendMu.Unlock()
	if err == nil {
		err = l.Flush()
	}
	if err != nil {
		t.Fatal(err)
	}
}

// readRecords reads the whole log through Read, checking every batch, and
// returns its records in order.
func readRecords(t testing.TB, l *Log) []storedRecord {
	t.Helper()
	var out []storedRecord
	for off := l.LogStartOffset(); off < l.LogEndOffset(); {
		b, err := l.Read(off, 1<<16, l.LogEndOffset())
		if err != nil {
			t.Fatalf("read %d: %v", off, err)
		}
		if len(b) == 0 {
			break
		}
		for rest := b; len(rest) > 0; {
			batch, next, err := records.Next(rest)
			if err != nil {
				t.Fatalf("read %d: %v", off, err)
			}
			h, err := records.Check(batch)
			if err != nil {
				t.Fatalf("read %d: served invalid batch: %v", off, err)
			}
			if h.LastOffset() < off {
				t.Fatalf("read %d: batch [%d, %d] goes backwards", off, h.BaseOffset, h.LastOffset())
			}
			err = records.ForEachRecord(batch, func(r records.Record) bool {
				out = append(out, storedRecord{offset: r.Offset(h), key: string(r.Key), value: string(r.Value), tombstone: r.ValueNull})
				return true
			})
			if err != nil {
				t.Fatalf("records of batch %d: %v", h.BaseOffset, err)
			}
			off = h.LastOffset() + 1
			rest = next
		}
	}
	for i := 1; i < len(out); i++ {
		if out[i].offset <= out[i-1].offset {
			t.Fatalf("offsets not increasing: %d after %d", out[i].offset, out[i-1].offset)
		}
	}
	return out
}

// latest returns, per key, the offset and record of its last write.
func latest(recs []kv, offs []int64) map[string]storedRecord {
	m := map[string]storedRecord{}
	for i, r := range recs {
		m[r.key] = storedRecord{offset: offs[i], key: r.key, value: r.value, tombstone: r.tombstone}
	}
	return m
}

func mustCompact(t testing.TB, l *Log, now time.Time) CompactResult {
	t.Helper()
	res, err := l.Compact(context.Background(), now, -1, CompactOptions{})
	if err != nil {
		t.Fatalf("compact: %v", err)
	}
	return res
}

// checkExactlyLatest checks that the log holds exactly the latest record of
// each key in want (tombstones included unless dropTombstones), at their
// original offsets.
func checkExactlyLatest(t testing.TB, got []storedRecord, want map[string]storedRecord, dropTombstones bool) {
	t.Helper()
	n := 0
	for _, w := range want {
		if !(dropTombstones && w.tombstone) {
			n++
		}
	}
	if len(got) != n {
		t.Errorf("log holds %d records, want %d", len(got), n)
	}
	seen := map[string]bool{}
	for _, g := range got {
		w, ok := want[g.key]
		switch {
		case !ok:
			t.Fatalf("unexpected key %q", g.key)
		case seen[g.key]:
			t.Fatalf("key %q appears twice (offset %d)", g.key, g.offset)
		case g != w:
			t.Fatalf("key %q: got %+v, want %+v", g.key, g, w)
		case dropTombstones && g.tombstone:
			t.Fatalf("tombstone of %q at %d not removed", g.key, g.offset)
		}
		seen[g.key] = true
	}
}

func keyName(i int) string { return fmt.Sprintf("key-%04d", i) }
