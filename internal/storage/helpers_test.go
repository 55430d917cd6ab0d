package storage

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/samsa-io/samsa/protocol/records"
)

// makeBatch builds a valid uncompressed batch of n records with values of
// valueSize bytes and timestamps ts, ts+1, ...
func makeBatch(t testing.TB, n, valueSize int, ts int64) []byte {
	t.Helper()
	recs := make([]records.Record, n)
	for i := range recs {
		recs[i] = records.Record{OffsetDelta: int32(i), TimestampDelta: int64(i),
			Key: fmt.Appendf(nil, "k%d", i), Value: bytes.Repeat([]byte{'v'}, valueSize)}
	}
	b, err := records.AppendBatch(nil, records.Header{BaseTimestamp: ts, ProducerID: -1, BaseSequence: -1}, recs, records.None)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.SegmentBytes = 4096
	cfg.IndexIntervalBytes = 256
	cfg.FileDeleteDelayMs = 0
	return cfg
}

func openLog(t testing.TB, dir string, cfg Config) *Log {
	t.Helper()
	l, err := Open(dir, cfg, nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return l
}

// crash stops the log without flushing or writing a clean checkpoint, as
// if the process died (the page cache survives).
func crash(l *Log) {
	l.flusher.stop()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	l.closeSegments()
}

// readAll reads the whole log through Read and checks that batches are
// valid and offsets contiguous from the log start. It returns the offset
// after the last record read.
func readAll(t testing.TB, l *Log, maxBytes int) int64 {
	t.Helper()
	off := l.LogStartOffset()
	for off < l.LogEndOffset() {
		b, err := l.Read(off, maxBytes, l.LogEndOffset())
		if err != nil {
			t.Fatalf("read %d: %v", off, err)
		}
		if len(b) == 0 {
			t.Fatalf("read %d: nothing, log end %d", off, l.LogEndOffset())
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
			if h.LastOffset() < off || (h.BaseOffset > off) {
				t.Fatalf("read %d: batch [%d, %d] out of order", off, h.BaseOffset, h.LastOffset())
			}
			off = h.LastOffset() + 1
			rest = next
		}
	}
	return off
}

func mustAppend(t testing.TB, l *Log, b []byte, epoch int32) AppendResult {
	t.Helper()
	r, err := l.Append(b, epoch)
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	return r
}

func isOutOfRange(err error) bool { return errors.Is(err, ErrOffsetOutOfRange) }

func fmtSscan(name string, base *int64) (int, error) { return fmt.Sscanf(name, "%020d.log", base) }

func setBase(b []byte, off int64) { records.SetBaseOffset(b, off) }
