package controller

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// logWritesFail fails every append to the metadata log with ENOSPC while
// full is set: a full disk on which bbolt can still rewrite its free pages
// (the term and vote) but not grow the file for new entries.
func logWritesFail(full *atomic.Bool) func(op string) error {
	return func(op string) error {
		if full.Load() && strings.HasPrefix(op, "store") {
			return syscall.ENOSPC
		}
		return nil
	}
}

// A metadata log that cannot be appended to (ENOSPC, injected) at
// start-up makes WaitReady fail with the write's error instead of waiting
// while Raft retries every election timeout; the failure is also delivered
// on Fatal.
func TestMetadataStoreWriteFailureAtStartIsFatal(t *testing.T) {
	cfg := testConfig(1, t.TempDir())
	c := startController(t, cfg)
	registerBrokers(t, c, 1)
	must(t, c.Close(), "close")

	var full atomic.Bool
	full.Store(true) // the disk is still full
	cfg.storeFault = logWritesFail(&full)
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	// The bound is only there so that a regression fails instead of hanging.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = c.WaitReady(ctx)
	if !errors.Is(err, ErrMetadataStoreFailed) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("WaitReady on a full disk: %v, want ErrMetadataStoreFailed wrapping ENOSPC", err)
	}
	select {
	case ferr := <-c.Fatal():
		if !errors.Is(ferr, syscall.ENOSPC) {
			t.Fatalf("Fatal: %v, want ENOSPC", ferr)
		}
	default:
		t.Fatal("the store failure was not delivered on Fatal")
	}
}

// When not even the current term can be written, New returns the error
// (hashicorp/raft panics there; the panic must not reach the caller).
func TestMetadataStoreUnwritableAtStartFailsNew(t *testing.T) {
	cfg := testConfig(1, t.TempDir())
	c := startController(t, cfg)
	must(t, c.Close(), "close")

	cfg.storeFault = func(string) error { return syscall.ENOSPC }
	c, err := New(cfg)
	if err == nil {
		_ = c.Close()
		t.Fatal("New succeeded with an unwritable metadata log")
	}
	if !errors.Is(err, ErrMetadataStoreFailed) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("New: %v, want ErrMetadataStoreFailed wrapping ENOSPC", err)
	}
}

// A write failure once running is delivered on Fatal, so the node stops.
func TestMetadataStoreWriteFailureWhileRunningIsFatal(t *testing.T) {
	var full atomic.Bool
	cfg := testConfig(1, t.TempDir())
	cfg.storeFault = logWritesFail(&full)
	c := startController(t, cfg)
	registerBrokers(t, c, 1)
	full.Store(true)
	if _, err := c.CreateTopic(ctxT(t), CreateTopicRequest{Name: "t", NumPartitions: 1, ReplicationFactor: 1}); err == nil {
		t.Fatal("CreateTopic succeeded on a full disk")
	}
	select {
	case ferr := <-c.Fatal():
		if !errors.Is(ferr, ErrMetadataStoreFailed) || !errors.Is(ferr, syscall.ENOSPC) {
			t.Fatalf("Fatal: %v, want ErrMetadataStoreFailed wrapping ENOSPC", ferr)
		}
	case <-time.After(30 * time.Second): // bound for a regression, not a speed check
		t.Fatal("no fatal error after a failed metadata log write")
	}
}
