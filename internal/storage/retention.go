package storage

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"time"
)

// deletions holds files renamed to .deleted, waiting for
// file.delete.delay.ms before removal (readers elsewhere in the process
// never hold them: segments are closed before the rename).
type deletions struct {
	mu      sync.Mutex
	pending []pendingDeletion
}

type pendingDeletion struct {
	paths []string
	at    time.Time
}

// DeleteRecordsBefore advances the log start offset to offset (the
// DeleteRecords API), persists it and deletes whole segments below it.
func (l *Log) DeleteRecordsBefore(offset int64) (int64, error) {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	if err := l.checkOpen(); err != nil {
		return 0, err
	}
	if offset > l.leo.Load() || offset < 0 {
		return l.logStart.Load(), fmt.Errorf("delete records before %d, log end %d: %w", offset, l.leo.Load(), ErrOffsetOutOfRange)
	}
	if offset <= l.logStart.Load() {
		return l.logStart.Load(), nil
	}
	n := 0
	for n+1 < len(l.segs) && l.segs[n+1].base <= offset {
		n++
	}
	if err := l.removeOldest(n, offset); err != nil {
		return l.logStart.Load(), err
	}
	return l.logStart.Load(), nil
}

// ApplyRetention deletes the oldest segments that break retention.ms
// (their largest timestamp is older) or retention.bytes (the log is larger
// without them). The active segment is rolled and deleted too when it
// breaks the limits and is not empty, as in Kafka.
func (l *Log) ApplyRetention(now time.Time) (int, error) {
	return l.ApplyRetentionBelow(now, -1)
}

// ApplyRetentionBelow is ApplyRetention deleting only segments wholly
// below limit (the high watermark); limit < 0 means the log end offset.
func (l *Log) ApplyRetentionBelow(now time.Time, limit int64) (int, error) {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	if err := l.checkOpen(); err != nil {
		return 0, err
	}
	if limit < 0 {
		limit = l.leo.Load()
	}
	cfg := l.config()
	if !cfg.deletes() { // cleanup.policy=compact: the cleaner alone shrinks the log
		return 0, nil
	}
	n := l.countExpired(now, limit, cfg)
	if n == 0 {
		return 0, nil
	}
	if n == len(l.segs) {
		if err := l.rollLocked(l.leo.Load()); err != nil {
			return 0, err
		}
	}
	return n, l.removeOldest(n, l.segs[n].base)
}

// countExpired returns how many of the oldest segments retention deletes.
func (l *Log) countExpired(now time.Time, limit int64, cfg Config) int {
	var total int64
	for _, s := range l.segs {
		total += s.size.Load()
	}
	excess := total - cfg.RetentionBytes
	n := 0
	for ; n < len(l.segs); n++ {
		s := l.segs[n]
		if s.next.Load() > limit || (s.size.Load() == 0 && n == len(l.segs)-1) {
			break
		}
		if s.size.Load() == 0 { // emptied by compaction: nothing to keep
			continue
		}
		byTime := cfg.RetentionMs >= 0 && now.UnixMilli()-s.largestTimestamp() > cfg.RetentionMs
		bySize := cfg.RetentionBytes >= 0 && excess-s.size.Load() >= 0
		if !byTime && !bySize {
			break
		}
		excess -= s.size.Load()
	}
	return n
}

// largestTimestamp is the segment's max timestamp, or its file's
// modification time when no batch carries a timestamp.
func (s *segment) largestTimestamp() int64 {
	if ts, _ := s.idx.maxTimestamp(); ts >= 0 {
		return ts
	}
	if st, err := s.f.Stat(); err == nil {
		return st.ModTime().UnixMilli()
	}
	return s.created.UnixMilli()
}

// removeOldest drops the n oldest segments, raises the log start offset to
// at least newStart and persists it. flushMu and appendMu are held.
func (l *Log) removeOldest(n int, newStart int64) error {
	l.mu.Lock()
	gone := l.segs[:n]
	l.segs = slices.Clone(l.segs[n:])
	l.mu.Unlock()
	l.logStart.Store(max(l.logStart.Load(), newStart, l.segs[0].base))
	l.dropSegments(gone)
	if err := l.epochs.truncateStart(l.logStart.Load()); err != nil {
		return err
	}
	if len(gone) > 0 {
		l.logger.Info("deleted segments", "count", len(gone), "log_start_offset", l.logStart.Load())
	}
	return writeState(l.dir, logState{RecoveryPoint: l.recoveryPoint, LogStartOffset: l.logStart.Load()})
}

// dropSegments closes segments already removed from the list, renames
// their files to .deleted and schedules the removal.
func (l *Log) dropSegments(gone []*segment) {
	if len(gone) == 0 {
		return
	}
	l.segGen++
	l.unsynced = slices.DeleteFunc(l.unsynced, func(s *segment) bool { return slices.Contains(gone, s) })
	var paths []string
	for _, s := range gone {
		s.close()
		for _, p := range []string{s.logPath(), s.indexPath(), s.timePath()} {
			if err := os.Rename(p, p+deletedSuffix); err != nil {
				l.logger.Warn("rename segment file for deletion", "path", p, "err", err)
				continue
			}
			paths = append(paths, p+deletedSuffix)
		}
	}
	l.scheduleRemoval(paths)
}

// scheduleRemoval removes .deleted files after file.delete.delay.ms.
func (l *Log) scheduleRemoval(paths []string) {
	delay := time.Duration(l.config().FileDeleteDelayMs) * time.Millisecond
	if delay == 0 {
		l.removeFiles(paths)
		return
	}
	l.deletions.mu.Lock()
	l.deletions.pending = append(l.deletions.pending, pendingDeletion{paths: paths, at: time.Now().Add(delay)})
	l.deletions.mu.Unlock()
	l.flusher.wake()
}

// runDeletions removes the .deleted files that are due (all if force).
func (l *Log) runDeletions(force bool) {
	l.deletions.mu.Lock()
	var due []pendingDeletion
	l.deletions.pending = slices.DeleteFunc(l.deletions.pending, func(p pendingDeletion) bool {
		if force || !time.Now().Before(p.at) {
			due = append(due, p)
			return true
		}
		return false
	})
	l.deletions.mu.Unlock()
	for _, p := range due {
		l.removeFiles(p.paths)
	}
}

func (l *Log) removeFiles(paths []string) {
	for _, path := range paths {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			l.logger.Warn("remove deleted segment file", "path", path, "err", err)
		}
	}
}

// nextDeletion is when the earliest pending deletion is due.
func (l *Log) nextDeletion() (time.Time, bool) {
	l.deletions.mu.Lock()
	defer l.deletions.mu.Unlock()
	if len(l.deletions.pending) == 0 {
		return time.Time{}, false
	}
	at := l.deletions.pending[0].at
	for _, p := range l.deletions.pending[1:] {
		if p.at.Before(at) {
			at = p.at
		}
	}
	return at, true
}

// checkOpen is the gate of every change to the log's files other than an
// append (truncation, retention, DeleteRecords, compaction): ErrClosed
// once closed, and the failure once offline, since the files' state after
// a failed write is unknown and only the restart's recovery may touch
// them.
func (l *Log) checkOpen() error {
	if err := l.Failed(); err != nil {
		return err // offline, closed or not: KAFKA_STORAGE_ERROR
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	return nil
}
