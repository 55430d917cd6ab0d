package storage

import (
	"github.com/samsa-io/samsa/protocol/records"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func fill(t *testing.T, l *Log, n int, ts func(i int) int64) {
	t.Helper()
	for i := 0; i < n; i++ {
		mustAppend(t, l, makeBatch(t, 2, 100, ts(i)), 0)
	}
}

func TestRetentionBytes(t *testing.T) {
	cfg := testConfig()
	cfg.RetentionMs = -1
	cfg.RetentionBytes = 10000
	dir := t.TempDir()
	l := openLog(t, dir, cfg)
	defer l.Close()
	fill(t, l, 200, func(int) int64 { return time.Now().UnixMilli() })
	before := l.NumSegments()
	n, err := l.ApplyRetention(time.Now())
	if err != nil || n == 0 {
		t.Fatalf("deleted %d, %v", n, err)
	}
	if l.NumSegments() != before-n || l.Size() < cfg.RetentionBytes || l.Size() > cfg.RetentionBytes+cfg.SegmentBytes {
		t.Fatalf("%d segments, %d bytes left", l.NumSegments(), l.Size())
	}
	if readAll(t, l, 1<<20) != 400 || l.LogStartOffset() == 0 {
		t.Fatalf("log start %d", l.LogStartOffset())
	}
	if _, err := l.Read(0, 100, 400); !isOutOfRange(err) {
		t.Fatalf("read below log start: %v", err)
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "*.log*"))
	if len(logs) != l.NumSegments() {
		t.Fatalf("%d files left for %d segments (delay 0)", len(logs), l.NumSegments())
	}
}

func TestRetentionTimeRollsActive(t *testing.T) {
	cfg := testConfig()
	cfg.FileDeleteDelayMs = 50
	dir := t.TempDir()
	l := openLog(t, dir, cfg)
	now := time.Now()
	old := now.Add(-8 * 24 * time.Hour).UnixMilli()
	fill(t, l, 100, func(i int) int64 { return old })
	fill(t, l, 30, func(i int) int64 { return now.UnixMilli() })
	n, err := l.ApplyRetention(now)
	if err != nil || n == 0 {
		t.Fatalf("deleted %d, %v", n, err)
	}
	l.mu.RLock()
	for _, s := range l.segs {
		if s.largestTimestamp() < now.UnixMilli()-cfg.RetentionMs {
			t.Errorf("segment %d with max timestamp %d kept", s.base, s.largestTimestamp())
		}
	}
	l.mu.RUnlock()
	if off, _, found, _ := l.OffsetForTimestamp(now.UnixMilli()); !found || off != 200 || l.LogStartOffset() == 0 {
		t.Fatalf("first new record at %d, log start %d", off, l.LogStartOffset())
	}
	// Everything old: the active segment is rolled and deleted too.
	n, err = l.ApplyRetention(now.Add(8 * 24 * time.Hour))
	if err != nil || n == 0 || l.LogStartOffset() != 260 || l.LogEndOffset() != 260 || l.Size() != 0 {
		t.Fatalf("deleted %d (%v), log [%d, %d], size %d", n, err, l.LogStartOffset(), l.LogEndOffset(), l.Size())
	}
	deleted := func() int { m, _ := filepath.Glob(filepath.Join(dir, "*.deleted")); return len(m) }
	if deleted() == 0 {
		t.Fatal("no .deleted files during the delay")
	}
	deadline := time.Now().Add(5 * time.Second)
	for deleted() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if deleted() > 0 {
		t.Fatal(".deleted files not removed after the delay")
	}
	if r := mustAppend(t, l, makeBatch(t, 1, 1, now.UnixMilli()), 0); r.BaseOffset != 260 {
		t.Fatalf("append at %d", r.BaseOffset)
	}
	l.Close()
	l = openLog(t, dir, cfg)
	defer l.Close()
	if l.LogStartOffset() != 260 || l.LogEndOffset() != 261 {
		t.Fatalf("reopen: log [%d, %d]", l.LogStartOffset(), l.LogEndOffset())
	}
}

func TestDeleteRecordsBefore(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, testConfig())
	fill(t, l, 100, func(int) int64 { return 1 })
	segs := l.NumSegments()
	start, err := l.DeleteRecordsBefore(101)
	if err != nil || start != 101 || l.NumSegments() >= segs {
		t.Fatalf("start %d, %v, %d segments of %d", start, err, l.NumSegments(), segs)
	}
	b, err := l.Read(101, 1, 200)
	if err != nil || len(b) == 0 {
		t.Fatalf("read at new start: %v", err)
	}
	if _, err := l.Read(100, 1, 200); !isOutOfRange(err) {
		t.Fatalf("read below start: %v", err)
	}
	if _, err := l.DeleteRecordsBefore(500); !isOutOfRange(err) {
		t.Fatalf("delete past end: %v", err)
	}
	crash(l) // the new start must be durable without Close
	l = openLog(t, dir, testConfig())
	defer l.Close()
	if l.LogStartOffset() != 101 {
		t.Fatalf("log start %d after crash", l.LogStartOffset())
	}
}

func TestTruncateTo(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, testConfig())
	defer l.Close()
	for i := 0; i < 50; i++ {
		mustAppend(t, l, makeBatch(t, 2, 100, 1), int32(i/10))
	}
	if err := l.TruncateTo(61); err != nil {
		t.Fatal(err)
	}
	if l.LogEndOffset() != 60 || readAll(t, l, 1<<20) != 60 || l.LatestEpoch() != 2 {
		t.Fatalf("log end %d, epoch %d", l.LogEndOffset(), l.LatestEpoch())
	}
	if r := mustAppend(t, l, makeBatch(t, 2, 100, 1), 7); r.BaseOffset != 60 {
		t.Fatalf("append at %d", r.BaseOffset)
	}
	if e, end := l.EndOffsetForEpoch(5); e != 2 || end != 60 {
		t.Fatalf("epoch 5 -> %d, %d", e, end)
	}
	if err := l.TruncateFullyAndStartAt(1000); err != nil {
		t.Fatal(err)
	}
	if l.LogStartOffset() != 1000 || l.LogEndOffset() != 1000 || l.NumSegments() != 1 {
		t.Fatalf("log [%d, %d] in %d segments", l.LogStartOffset(), l.LogEndOffset(), l.NumSegments())
	}
	b := makeBatch(t, 3, 1, 1)
	b[0], b[7] = 0, 0
	setBase(b, 1000)
	if _, err := l.AppendReplicated(b); err != nil || l.LogEndOffset() != 1003 {
		t.Fatalf("replicated append: %v, log end %d", err, l.LogEndOffset())
	}
	if _, err := l.AppendReplicated(b); err == nil {
		t.Fatal("replicated append below log end accepted")
	}
}

func TestFlushIntervalMessages(t *testing.T) {
	cfg := testConfig()
	cfg.SegmentBytes = 1 << 20
	cfg.FlushIntervalMessages = 10
	dir := t.TempDir()
	l := openLog(t, dir, cfg)
	defer l.Close()
	fill(t, l, 10, func(int) int64 { return 1 })
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if st, _ := readState(dir); st.RecoveryPoint >= 10 { // the first 10 messages forced a flush
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("flusher never advanced the recovery point")
}

func TestConcurrentAppendRead(t *testing.T) {
	cfg := testConfig()
	cfg.RetentionMs, cfg.RetentionBytes = -1, 20000
	l := openLog(t, t.TempDir(), cfg)
	defer l.Close()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				readTolerant(t, l)
				l.OffsetForTimestamp(50)
				l.MaxTimestamp()
			}
		}()
	}
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				if _, err := l.Append(makeBatch(t, 2, 50, int64(i)), 0); err != nil {
					t.Error(err)
					return
				}
				if i%100 == 99 {
					l.ApplyRetention(time.Now())
				}
			}
		}()
	}
	time.Sleep(10 * time.Millisecond)
	for l.LogEndOffset() < 1200 {
		time.Sleep(time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if got := readAll(t, l, 1<<20); got != 1200 || l.LogStartOffset() == 0 {
		t.Fatalf("read to %d from %d", got, l.LogStartOffset())
	}
	if _, err := os.Stat(l.Dir()); err != nil {
		t.Fatal(err)
	}
}

// readTolerant reads the log while retention may delete segments under it:
// out-of-range restarts from the log start; anything served must be valid.
func readTolerant(t *testing.T, l *Log) {
	off := l.LogStartOffset()
	for i := 0; i < 1000 && off < l.LogEndOffset(); i++ {
		b, err := l.Read(off, 700, l.LogEndOffset())
		if isOutOfRange(err) {
			off = l.LogStartOffset()
			continue
		}
		if err != nil {
			t.Errorf("read %d: %v", off, err)
			return
		}
		for len(b) > 0 {
			batch, rest, err := records.Next(b)
			if err != nil {
				t.Errorf("read %d: %v", off, err)
				return
			}
			h, err := records.Check(batch)
			if err != nil || h.LastOffset() < off {
				t.Errorf("read %d: bad batch %+v: %v", off, h, err)
				return
			}
			off, b = h.LastOffset()+1, rest
		}
	}
}
