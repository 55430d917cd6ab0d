package storage

import (
	"fmt"
	"slices"
)

// TruncateTo removes every batch holding an offset >= offset (a follower
// truncating to the leader's log by leader epoch). A batch straddling
// offset is removed whole, so the log end offset may end up below offset.
// Truncating below the first segment empties the log and restarts it at
// offset.
func (l *Log) TruncateTo(offset int64) error {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	if err := l.checkOpen(); err != nil {
		return err
	}
	if offset >= l.leo.Load() {
		return nil
	}
	if offset <= l.segs[0].base {
		return l.restartAtLocked(offset)
	}
	i := segmentFor(l.segs, offset)
	l.mu.Lock()
	gone := l.segs[i+1:]
	l.segs = slices.Clone(l.segs[:i+1])
	err := l.truncateSegmentLocked(l.segs[i], offset)
	l.mu.Unlock()
	l.dropSegments(gone)
	if err != nil {
		return err
	}
	return l.afterTruncate()
}

// TruncateFullyAndStartAt deletes every segment and restarts the log
// empty at offset (a follower far behind the leader's log start).
func (l *Log) TruncateFullyAndStartAt(offset int64) error {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	if err := l.checkOpen(); err != nil {
		return err
	}
	return l.restartAtLocked(offset)
}

func (l *Log) restartAtLocked(offset int64) error {
	l.mu.Lock()
	l.dropSegments(l.segs) // first: the new segment may reuse a base offset
	s, err := createSegment(l.dir, offset)
	if err != nil {
		l.closed = true // no segment left to serve from
		l.mu.Unlock()
		return l.fail(fmt.Errorf("restart the log at %d: %w", offset, err)) // offline: KAFKA_STORAGE_ERROR, not "closed"
	}
	l.segs = []*segment{s}
	l.mu.Unlock()
	l.logStart.Store(offset)
	return l.afterTruncate()
}

// truncateSegmentLocked cuts s before the first batch whose last offset is
// >= offset and rebuilds its index. mu is held, so no reader is inside.
func (l *Log) truncateSegmentLocked(s *segment, offset int64) error {
	hr := &headerReader{f: s.f, end: s.size.Load()}
	pos, _, found, err := s.findBatch(hr, offset)
	if err != nil {
		return fmt.Errorf("truncate to %d: %w", offset, err)
	}
	if !found {
		return nil
	}
	if err := s.truncateFile(pos); err != nil {
		return err
	}
	s.next.Store(s.base)
	if _, err := s.rebuild(l.config().IndexIntervalBytes, nil); err != nil {
		return fmt.Errorf("truncate to %d: rebuild index: %w", offset, err)
	}
	return s.writeIndexes(false)
}

// afterTruncate resets the offsets, epochs and checkpoint after the
// segment list shrank. flushMu and appendMu are held.
func (l *Log) afterTruncate() error {
	leo := l.active().next.Load()
	l.leo.Store(leo)
	l.logStart.Store(min(l.logStart.Load(), leo))
	l.recoveryPoint = min(l.recoveryPoint, leo)
	l.unflushedMsgs.Store(0)
	if err := l.epochs.truncateEnd(leo); err != nil {
		return err
	}
	l.logger.Info("truncated log", "log_end_offset", leo)
	return writeState(l.dir, logState{RecoveryPoint: l.recoveryPoint, LogStartOffset: l.logStart.Load()})
}
