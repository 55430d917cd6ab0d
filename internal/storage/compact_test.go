package storage

import (
	"bytes"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/samsa-io/samsa/protocol/records"
)

// updates makes n writes cycling over keys, each with a distinct value.
func updates(n, keys int) []kv {
	out := make([]kv, n)
	for i := range out {
		out[i] = kv{key: keyName(i % keys), value: fmt.Sprintf("v%d", i)}
	}
	return out
}

func TestCompactKeepsLatestPerKeyAndOffsets(t *testing.T) {
	l := openLog(t, t.TempDir(), compactConfig())
	defer l.Close()
	recs := updates(2000, 37)
	offs := writeKeyed(t, l, recs, 7, time.Now().UnixMilli(), nil)
	rollAndFlush(t, l)
	before := l.NumSegments()
	res := mustCompact(t, l, time.Now())
	if res.Swapped == 0 || res.Removed != int64(2000-37) || res.CleanedTo != l.LogEndOffset() {
		t.Fatalf("result %+v, log end %d", res, l.LogEndOffset())
	}
	checkExactlyLatest(t, readRecords(t, l), latest(recs, offs), false)
	if l.LogEndOffset() != 2000 || l.LogStartOffset() != 0 {
		t.Errorf("log [%d, %d), want [0, 2000)", l.LogStartOffset(), l.LogEndOffset())
	}
	// The next pass merges the small cleaned segments (grouped by size)...
	if res := mustCompact(t, l, time.Now()); res.Swapped != 1 || res.Removed != 0 || l.NumSegments() != 2 {
		t.Errorf("second pass %+v, %d segments (was %d): want one merged segment + the active one", res, l.NumSegments(), before)
	}
	checkExactlyLatest(t, readRecords(t, l), latest(recs, offs), false)
	// ... and then there is nothing left to do.
	if res := mustCompact(t, l, time.Now()); res.Swapped != 0 || res.Removed != 0 {
		t.Errorf("third pass %+v", res)
	}
	// The cleaned log survives a restart, clean or not.
	dir := l.Dir()
	crash(l)
	l2 := openLog(t, dir, compactConfig())
	defer l2.Close()
	checkExactlyLatest(t, readRecords(t, l2), latest(recs, offs), false)
	if l2.LogEndOffset() != 2000 {
		t.Errorf("log end after reopen %d", l2.LogEndOffset())
	}
}

func TestCompactTombstonesExpireAfterDeleteRetention(t *testing.T) {
	cfg := compactConfig()
	l := openLog(t, t.TempDir(), cfg)
	defer l.Close()
	recs := updates(300, 10)
	recs = append(recs, kv{key: keyName(3), tombstone: true}, kv{key: keyName(4), tombstone: true})
	offs := writeKeyed(t, l, recs, 5, 1000, nil)
	rollAndFlush(t, l)
	want := latest(recs, offs)
	t0 := time.Now()
	mustCompact(t, l, t0)
	checkExactlyLatest(t, readRecords(t, l), want, false)

	// Within delete.retention.ms of the first cleaning they stay, even
	// through further passes and though their timestamps are ancient.
	st, err := l.CleanStats(t0.Add(time.Duration(cfg.DeleteRetentionMs)*time.Millisecond), -1)
	if err != nil || st.TombstonesDue || st.DirtyBytes != 0 {
		t.Fatalf("stats before horizon %+v, %v", st, err)
	}
	mustCompact(t, l, t0.Add(time.Duration(cfg.DeleteRetentionMs)*time.Millisecond))
	checkExactlyLatest(t, readRecords(t, l), want, false)

	later := t0.Add(time.Duration(cfg.DeleteRetentionMs+1) * time.Millisecond)
	st, err = l.CleanStats(later, -1)
	if err != nil || !st.TombstonesDue || !st.Eligible {
		t.Fatalf("stats after horizon %+v, %v", st, err)
	}
	res := mustCompact(t, l, later)
	if res.Removed != 2 {
		t.Errorf("removed %d records, want the 2 tombstones", res.Removed)
	}
	checkExactlyLatest(t, readRecords(t, l), want, true)
	if st, _ := l.CleanStats(later, -1); st.TombstonesDue || st.Eligible {
		t.Errorf("stats after purge %+v", st)
	}
}

func TestCompactCompressedBatchesKeepCodec(t *testing.T) {
	for _, codec := range []records.Codec{records.Gzip, records.Zstd, records.LZ4, records.Snappy} {
		t.Run(codec.String(), func(t *testing.T) {
			l := openLog(t, t.TempDir(), compactConfig())
			defer l.Close()
			recs := updates(1000, 50)
			offs := writeKeyed(t, l, recs, 20, time.Now().UnixMilli(), func(i int) records.Codec {
				if i%2 == 0 {
					return codec
				}
				return records.None
			})
			rollAndFlush(t, l)
			mustCompact(t, l, time.Now())
			checkExactlyLatest(t, readRecords(t, l), latest(recs, offs), false)
			codecs := map[records.Codec]int{}
			err := l.ForEachBatchHeader(0, func(h records.Header) bool {
				codecs[h.Compression()]++
				if h.NumRecords > 0 && h.LastOffsetDelta != 19 {
					t.Errorf("batch %d: last offset delta %d, want the original 19", h.BaseOffset, h.LastOffsetDelta)
				}
				return true
			})
			if err != nil || codecs[codec] == 0 {
				t.Errorf("codecs after compaction %v, %v", codecs, err)
			}
		})
	}
}

func TestCompactLeavesActiveSegmentAndRecentRecords(t *testing.T) {
	cfg := compactConfig()
	cfg.MinCompactionLagMs = 3_600_000
	l := openLog(t, t.TempDir(), cfg)
	defer l.Close()
	now := time.Now()
	old := updates(500, 10)
	writeKeyed(t, l, old, 5, now.Add(-2*time.Hour).UnixMilli(), nil)
	rollAndFlush(t, l)
	lagStart := l.LogEndOffset()
	recent := updates(500, 10)
	writeKeyed(t, l, recent, 5, now.UnixMilli(), nil)
	rollAndFlush(t, l)
	tail := updates(20, 2)
	writeKeyed(t, l, tail, 20, now.UnixMilli(), nil) // stays in the active segment
	act := l.segs[len(l.segs)-1]
	activeBytes, err := os.ReadFile(act.logPath())
	if err != nil {
		t.Fatal(err)
	}

	res := mustCompact(t, l, now)
	if res.CleanedTo != lagStart {
		t.Errorf("cleaned to %d, want %d (the first segment younger than min.compaction.lag.ms)", res.CleanedTo, lagStart)
	}
	got := readRecords(t, l)
	var below, above int
	for _, r := range got {
		if r.offset < lagStart {
			below++
		} else {
			above++
		}
	}
	if below != 10 || above != 520 {
		t.Errorf("%d records below the lag edge (want 10), %d above (want all 520)", below, above)
	}
	if after, _ := os.ReadFile(act.logPath()); !bytes.Equal(after, activeBytes) || l.segs[len(l.segs)-1] != act {
		t.Error("active segment changed")
	}
}

func TestCleanStatsDirtyRatio(t *testing.T) {
	cfg := compactConfig()
	cfg.MinCleanableDirtyRatio = 0.5
	l := openLog(t, t.TempDir(), cfg)
	defer l.Close()
	writeKeyed(t, l, updates(1000, 1000), 10, time.Now().UnixMilli(), nil) // all distinct: nothing to remove
	rollAndFlush(t, l)
	st, err := l.CleanStats(time.Now(), -1)
	if err != nil || !st.Eligible || st.DirtyRatio() != 1 {
		t.Fatalf("fresh log stats %+v, %v", st, err)
	}
	mustCompact(t, l, time.Now())
	writeKeyed(t, l, updates(100, 1000), 10, time.Now().UnixMilli(), nil)
	rollAndFlush(t, l)
	st, _ = l.CleanStats(time.Now(), -1)
	if st.Eligible || st.DirtyRatio() <= 0 || st.DirtyRatio() >= 0.5 {
		t.Errorf("after a small append %+v (ratio %.2f): want not eligible", st, st.DirtyRatio())
	}
	// Below the high watermark only: nothing cleanable above limit 0.
	if st, _ := l.CleanStats(time.Now(), 0); st.DirtyBytes+st.CleanBytes != 0 {
		t.Errorf("limit 0: %+v", st)
	}
	// Delete-only logs are never eligible and Compact does nothing.
	cfg.CleanupPolicy = "delete"
	l.SetConfig(cfg)
	if st, _ := l.CleanStats(time.Now(), -1); st.Eligible {
		t.Errorf("delete policy eligible: %+v", st)
	}
}

func TestCompactOffsetMapLimitCleansInSteps(t *testing.T) {
	l := openLog(t, t.TempDir(), compactConfig())
	defer l.Close()
	recs := updates(3000, 600)
	offs := writeKeyed(t, l, recs, 10, time.Now().UnixMilli(), nil)
	rollAndFlush(t, l)
	var passes int
	for ; passes < 50; passes++ {
		res, err := l.Compact(t.Context(), time.Now(), -1, CompactOptions{MaxKeys: 100})
		if err != nil {
			t.Fatal(err)
		}
		if res.CleanedTo == l.LogEndOffset() {
			break
		}
	}
	if passes < 2 {
		t.Errorf("%d passes: the map limit did not split the work", passes+1)
	}
	checkExactlyLatest(t, readRecords(t, l), latest(recs, offs), false)
}

func TestCompactRetentionStillAppliesWithCompactDelete(t *testing.T) {
	cfg := compactConfig()
	cfg.CleanupPolicy = "compact,delete"
	cfg.RetentionMs = 1000
	l := openLog(t, t.TempDir(), cfg)
	defer l.Close()
	writeKeyed(t, l, updates(500, 10), 5, 1000, nil)
	rollAndFlush(t, l)
	mustCompact(t, l, time.Now())
	if n, err := l.ApplyRetention(time.Now()); err != nil || n == 0 {
		t.Errorf("retention on compact,delete deleted %d, %v", n, err)
	}
	cfg.CleanupPolicy = "compact"
	l2 := openLog(t, t.TempDir(), cfg)
	defer l2.Close()
	writeKeyed(t, l2, updates(500, 10), 5, 1000, nil)
	rollAndFlush(t, l2)
	if n, err := l2.ApplyRetention(time.Now()); err != nil || n != 0 {
		t.Errorf("retention on compact deleted %d, %v", n, err)
	}
}

func TestCompactKeepsLastBatchOfProducerEmpty(t *testing.T) {
	l := openLog(t, t.TempDir(), compactConfig())
	defer l.Close()
	idem := func(seq int32, key string) []byte {
		b, err := records.AppendBatch(nil, records.Header{BaseTimestamp: 1, ProducerID: 42, ProducerEpoch: 3, BaseSequence: seq},
			[]records.Record{{Key: []byte(key), Value: []byte("x")}, {OffsetDelta: 1, Key: []byte(key), Value: []byte("y")}}, records.Gzip)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	mustAppend(t, l, idem(0, "a"), 1)
	mustAppend(t, l, idem(2, "b"), 1)
	writeKeyed(t, l, []kv{{key: "a", value: "new"}, {key: "b", value: "new"}}, 2, 1, nil)
	rollAndFlush(t, l)
	mustCompact(t, l, time.Now())
	var hs []records.Header
	l.ForEachBatchHeader(0, func(h records.Header) bool { hs = append(hs, h); return true })
	if len(hs) != 2 || hs[0].BaseOffset != 2 || hs[0].NumRecords != 0 || hs[0].ProducerID != 42 ||
		hs[0].BaseSequence != 2 || hs[0].LastOffsetDelta != 1 || hs[0].Compression() != records.None {
		t.Errorf("batches after compaction %+v: want the producer's last batch kept empty, then the new values", hs)
	}
}

func TestCompactAbortsWhenSegmentsDropped(t *testing.T) {
	l := openLog(t, t.TempDir(), compactConfig())
	defer l.Close()
	recs := updates(1000, 10)
	offs := writeKeyed(t, l, recs, 10, time.Now().UnixMilli(), nil)
	rollAndFlush(t, l)
	l.compactHook = func(step string) bool {
		if step == "cleaned" {
			l.compactHook = nil
			if _, err := l.DeleteRecordsBefore(l.segs[1].base); err != nil {
				t.Error(err)
			}
		}
		return false
	}
	res := mustCompact(t, l, time.Now())
	if res.Swapped != 0 || res.CleanedTo != 0 {
		t.Errorf("pass over a changed list: %+v", res)
	}
	assertNoCleanerFiles(t, l.Dir())
	mustCompact(t, l, time.Now())
	want := map[string]storedRecord{}
	for k, r := range latest(recs, offs) {
		if r.offset >= l.LogStartOffset() {
			want[k] = r
		}
	}
	checkExactlyLatest(t, readRecords(t, l), want, false)
}

func assertNoCleanerFiles(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if n := e.Name(); bytes.HasSuffix([]byte(n), []byte(cleanedSuffix)) || bytes.HasSuffix([]byte(n), []byte(swapSuffix)) {
			t.Errorf("leftover %s", n)
		}
	}
}

// TestCompactConcurrentReadsAndAppends reads the whole log over and over and
// keeps appending while passes swap segments (run with -race): every read
// returns valid batches in offset order and the latest value of each key.
func TestCompactConcurrentReadsAndAppends(t *testing.T) {
	l := openLog(t, t.TempDir(), compactConfig())
	defer l.Close()
	recs := updates(3000, 20)
	writeKeyed(t, l, recs, 10, time.Now().UnixMilli(), nil)
	rollAndFlush(t, l)
	stop := make(chan struct{})
	done := make(chan struct{}, 2)
	go func() { // reader
		defer func() { done <- struct{}{} }()
		for i := 0; i < 10_000; i++ {
			select {
			case <-stop:
				return
			default:
			}
			got := readRecords(t, l)
			last := map[string]string{}
			for _, r := range got {
				last[r.key] = r.value
			}
			if len(last) != 20 {
				t.Errorf("read %d keys, want 20", len(last))
				return
			}
		}
	}()
	go func() { // appender
		defer func() { done <- struct{}{} }()
		for i := 0; i < 200; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := l.Append(keyedBatch(t, []kv{{key: keyName(i % 20), value: "late"}}, time.Now().UnixMilli(), records.None), 1); err != nil {
				t.Errorf("append: %v", err)
				return
			}
		}
	}()
	for range 5 {
		if _, err := l.Compact(t.Context(), time.Now(), -1, CompactOptions{}); err != nil {
			t.Fatal(err)
		}
		l.Flush()
	}
	close(stop)
	<-done
	<-done
	readRecords(t, l)
}
