package storage

import (
	"runtime"
	"testing"
	"time"
)

// TestIdleLogsHoldNoGoroutine: with the default flush policy a log's
// flusher goroutine runs only while it has work (here a roll), so many
// idle logs cost no goroutines; with flush.ms set, an append is still
// flushed by the timer alone.
func TestIdleLogsHoldNoGoroutine(t *testing.T) {
	waitGoroutines := func(atMost int) int {
		n := runtime.NumGoroutine()
		for deadline := time.Now().Add(10 * time.Second); n > atMost && time.Now().Before(deadline); n = runtime.NumGoroutine() {
			time.Sleep(5 * time.Millisecond)
		}
		return n
	}
	before := runtime.NumGoroutine()
	var logs []*Log
	for range 50 {
		l := openLog(t, t.TempDir(), testConfig())
		logs = append(logs, l)
		for range 20 { // rolls: the flusher fsyncs the sealed segments
			mustAppend(t, l, makeBatch(t, 2, 300, 1), 1)
		}
	}
	if n := waitGoroutines(before); n > before {
		t.Fatalf("%d goroutines with 50 idle logs open, %d before", n, before)
	}
	for _, l := range logs {
		if l.recoveryPointForTest() < l.segs[len(l.segs)-1].base {
			t.Fatalf("recovery point %d below the active segment %d: rolled segments not flushed",
				l.recoveryPointForTest(), l.segs[len(l.segs)-1].base)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}

	cfg := testConfig()
	cfg.FlushIntervalMs = 20
	l := openLog(t, t.TempDir(), cfg)
	defer l.Close()
	mustAppend(t, l, makeBatch(t, 2, 10, 1), 1)
	for deadline := time.Now().Add(10 * time.Second); l.recoveryPointForTest() < l.LogEndOffset(); {
		if time.Now().After(deadline) {
			t.Fatalf("flush.ms=20: recovery point %d, log end %d after 10 s", l.recoveryPointForTest(), l.LogEndOffset())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := waitGoroutines(before); n > before {
		t.Fatalf("%d goroutines once the flush.ms log is flushed, %d before", n, before)
	}
}

func (l *Log) recoveryPointForTest() int64 {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	return l.recoveryPoint
}
