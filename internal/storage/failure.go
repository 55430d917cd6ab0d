package storage

import (
	"errors"
	"fmt"
)

// A log fails when a write, roll or fsync to its files fails (ENOSPC,
// EIO, ...). After a failed write the state of the file past the committed
// size, and after a failed fsync the state of the page cache, are unknown,
// so as Kafka does for the log directory, the log goes offline: every later
// append, read and flush returns the first failure, wrapped with
// ErrStorage (KAFKA_STORAGE_ERROR on the wire), until the process restarts
// and recovery checks the files again.

// fail records err as the log's failure if it is the first and returns it
// wrapped with ErrStorage.
func (l *Log) fail(err error) error {
	if !errors.Is(err, ErrStorage) {
		err = fmt.Errorf("%w: %s: %w", ErrStorage, l.dir, err)
	}
	if l.failure.CompareAndSwap(nil, &err) {
		l.logger.Error("log offline after a storage failure; it answers KAFKA_STORAGE_ERROR until restarted", "err", err)
	}
	return err
}

// Failed returns the failure (wrapping ErrStorage) that took the log
// offline, or nil while it is healthy.
func (l *Log) Failed() error {
	if p := l.failure.Load(); p != nil {
		return *p
	}
	return nil
}

// SetWriteFault installs a fault injector for tests: fn runs before every
// write of appended batches to a segment, and an error it returns is
// treated as that write's error (ENOSPC, say). nil removes it. Production
// code never sets one.
func (l *Log) SetWriteFault(fn func() error) {
	if fn == nil {
		l.writeFault.Store(nil)
		return
	}
	l.writeFault.Store(&fn)
}

// writeSegment writes batches at pos of the active segment, through the
// fault injector when one is set.
func (l *Log) writeSegment(s *segment, batches []byte, pos int64) error {
	if fn := l.writeFault.Load(); fn != nil {
		if err := (*fn)(); err != nil {
			return err
		}
	}
	_, err := s.f.WriteAt(batches, pos)
	return err
}
