package storage

import (
	"errors"
	"os"
	"syscall"
	"testing"
	"time"
)

// A segment write that fails (ENOSPC here, injected) takes the log offline:
// the append and everything after it fail with ErrStorage even once the
// disk has room again, and a reopen recovers every acknowledged batch.
func TestWriteFailureTakesLogOffline(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, testConfig())
	for range 5 {
		mustAppend(t, l, makeBatch(t, 3, 10, 1000), 0)
	}
	l.SetWriteFault(func() error { return syscall.ENOSPC })
	if _, err := l.Append(makeBatch(t, 3, 10, 1000), 0); !errors.Is(err, ErrStorage) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("append on a full disk: %v, want ErrStorage wrapping ENOSPC", err)
	}
	l.SetWriteFault(nil) // room again: the log stays offline until reopened
	if _, err := l.Append(makeBatch(t, 3, 10, 1000), 0); !errors.Is(err, ErrStorage) {
		t.Fatalf("append after a failed write: %v, want ErrStorage", err)
	}
	if _, err := l.Read(0, 1<<20, l.LogEndOffset()); !errors.Is(err, ErrStorage) {
		t.Fatalf("read after a failed write: %v, want ErrStorage", err)
	}
	if err := l.Flush(); !errors.Is(err, ErrStorage) {
		t.Fatalf("flush after a failed write: %v, want ErrStorage", err)
	}
	if got := l.LogEndOffset(); got != 15 {
		t.Fatalf("log end offset %d after the failed append, want 15", got)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("close an offline log: %v", err)
	}

	l = openLog(t, dir, testConfig())
	defer l.Close()
	if l.Failed() != nil {
		t.Fatalf("reopened log still failed: %v", l.Failed())
	}
	if end := readAll(t, l, 1<<20); end != 15 {
		t.Fatalf("after reopening: read up to %d, want the 15 acknowledged records", end)
	}
	if r := mustAppend(t, l, makeBatch(t, 3, 10, 1000), 0); r.BaseOffset != 15 {
		t.Fatalf("append after reopening at %d, want 15", r.BaseOffset)
	}
}

// An offline log is left as it is until the restart's recovery: a
// truncation (a follower), retention, DeleteRecords or compaction would
// remove or rewrite files whose state after the failed write is unknown,
// so each refuses with ErrStorage and every acknowledged record is there
// after reopening.
func TestOfflineLogRefusesChanges(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig()
	cfg.RetentionMs = 0
	l := openLog(t, dir, cfg)
	for range 5 {
		mustAppend(t, l, makeBatch(t, 3, 10, 1000), 0)
	}
	l.SetWriteFault(func() error { return syscall.EIO })
	if _, err := l.Append(makeBatch(t, 3, 10, 1000), 0); !errors.Is(err, ErrStorage) {
		t.Fatalf("append on a failing disk: %v, want ErrStorage", err)
	}
	l.SetWriteFault(nil)
	changes := map[string]func() error{
		"TruncateTo":              func() error { return l.TruncateTo(3) },
		"TruncateFullyAndStartAt": func() error { return l.TruncateFullyAndStartAt(100) },
		"DeleteRecordsBefore":     func() error { _, err := l.DeleteRecordsBefore(6); return err },
		"ApplyRetention":          func() error { _, err := l.ApplyRetention(time.Now().Add(time.Hour)); return err },
	}
	for name, change := range changes {
		if err := change(); !errors.Is(err, ErrStorage) {
			t.Errorf("%s on an offline log: %v, want ErrStorage", name, err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatalf("close an offline log: %v", err)
	}
	l = openLog(t, dir, testConfig())
	defer l.Close()
	if start, end := l.LogStartOffset(), readAll(t, l, 1<<20); start != 0 || end != 15 {
		t.Fatalf("after reopening: records %d..%d, want the 15 acknowledged from 0", start, end)
	}
}

// A follower's full truncation that cannot create the new segment leaves
// no segment to serve from: the log is offline (ErrStorage, answered
// KAFKA_STORAGE_ERROR), not merely closed.
func TestFailedRestartTakesLogOffline(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, testConfig())
	mustAppend(t, l, makeBatch(t, 3, 10, 1000), 0)
	if err := os.RemoveAll(dir); err != nil { // the segment cannot be created
		t.Fatal(err)
	}
	if err := l.TruncateFullyAndStartAt(100); !errors.Is(err, ErrStorage) {
		t.Fatalf("full truncation that cannot create a segment: %v, want ErrStorage", err)
	}
	if _, err := l.Append(makeBatch(t, 3, 10, 1000), 0); !errors.Is(err, ErrStorage) {
		t.Fatalf("append after the failed truncation: %v, want ErrStorage", err)
	}
	if !errors.Is(l.Failed(), ErrStorage) {
		t.Fatalf("Failed() = %v, want ErrStorage", l.Failed())
	}
	_ = l.Close()
}
