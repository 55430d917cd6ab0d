package controller

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// ErrMetadataStoreFailed means a write to the metadata log (the Raft log
// and stable store) failed, for example with ENOSPC or EIO. As in Kafka,
// where a failure of the metadata log directory stops the node, it is
// fatal: WaitReady returns it and Fatal delivers it, so the process exits
// instead of retrying the write for ever.
var ErrMetadataStoreFailed = errors.New("controller: metadata log write failed")

// failFastStore is the Raft log and stable store (bbolt) with that rule:
// the first failed write is recorded and reported through onFail. Reads,
// and writes after a failure, pass through unchanged.
//
// Threading: Raft calls it from its own goroutines; failure is atomic and
// onFail is called at most once.
type failFastStore struct {
	*raftboltdb.BoltStore
	path   string
	fault  func(op string) error // tests only: an error it returns replaces a write's result
	onFail func(error)
	// reported makes onFail run once; failure is published after it, so
	// whoever sees failed() (WaitReady) finds the error already delivered.
	reported atomic.Bool
	failure  atomic.Pointer[error]
}

var (
	_ raft.LogStore    = (*failFastStore)(nil)
	_ raft.StableStore = (*failFastStore)(nil)
)

// failed returns the recorded failure, or nil.
func (s *failFastStore) failed() error {
	if p := s.failure.Load(); p != nil {
		return *p
	}
	return nil
}

// check runs the test fault, then write, and records a failure.
func (s *failFastStore) check(op string, write func() error) error {
	var err error
	if s.fault != nil {
		err = s.fault(op)
	}
	if err == nil {
		err = write()
	}
	if err == nil {
		return nil
	}
	err = fmt.Errorf("%w: %s %s: %w", ErrMetadataStoreFailed, op, s.path, err)
	if s.reported.CompareAndSwap(false, true) {
		if s.onFail != nil {
			s.onFail(err)
		}
		s.failure.Store(&err)
	}
	return err
}

func (s *failFastStore) StoreLog(l *raft.Log) error {
	return s.check("store log", func() error { return s.BoltStore.StoreLog(l) })
}

func (s *failFastStore) StoreLogs(logs []*raft.Log) error {
	return s.check("store logs", func() error { return s.BoltStore.StoreLogs(logs) })
}

func (s *failFastStore) DeleteRange(lo, hi uint64) error {
	return s.check("delete logs", func() error { return s.BoltStore.DeleteRange(lo, hi) })
}

func (s *failFastStore) Set(k, v []byte) error {
	return s.check("set", func() error { return s.BoltStore.Set(k, v) })
}

func (s *failFastStore) SetUint64(k []byte, v uint64) error {
	return s.check("set", func() error { return s.BoltStore.SetUint64(k, v) })
}
