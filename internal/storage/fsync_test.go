package storage

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestFsyncObserverSeesFlushAndClose(t *testing.T) {
	l, err := Open(t.TempDir(), DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	l.SetFsyncObserver(func(d time.Duration) {
		if d < 0 {
			t.Errorf("negative fsync duration %v", d)
		}
		n.Add(1)
	})
	if _, err := l.Append(makeBatch(t, 3, 10, 1000), 0); err != nil {
		t.Fatal(err)
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	afterFlush := n.Load()
	if afterFlush < 1 {
		t.Fatalf("flush reported %d fsyncs", afterFlush)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if n.Load() <= afterFlush {
		t.Errorf("close reported no fsync")
	}
}
