package storage

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/samsa-io/samsa/protocol/records"
)

// load reads the checkpoints, opens every segment and recovers the ones
// the checkpoints do not vouch for. It runs before the Log is shared.
func (l *Log) load() error {
	st, stateBytes, err := readStateFile(l.dir)
	if err != nil {
		l.logger.Warn("unreadable log state, recovering every segment", "err", err)
		st = logState{}
	}
	entries, err := readEpochs(l.dir)
	if err != nil {
		l.logger.Warn("unreadable leader epoch checkpoint, recovering every segment", "err", err)
		st = logState{LogStartOffset: st.LogStartOffset}
	}
	l.epochs.entries = entries
	bases, err := l.listSegments()
	if err != nil {
		return err
	}
	for _, b := range bases {
		s, err := openSegment(l.dir, b)
		if err != nil {
			return err
		}
		l.segs = append(l.segs, s)
	}
	if len(l.segs) == 0 {
		s, err := createSegment(l.dir, st.LogStartOffset)
		if err != nil {
			return err
		}
		l.segs = []*segment{s}
		l.fresh = true
	}
	if err := l.recoverSegments(st); err != nil {
		return err
	}
	return l.finishLoad(st, stateBytes)
}

// recoverSegments loads the indexes of segments below the recovery point
// and validates everything from the segment holding it (after an unclean
// shutdown) or just the active segment's unindexed tail (after a clean one).
func (l *Log) recoverSegments(st logState) error {
	from := len(l.segs) - 1
	if !st.Clean {
		from = segmentFor(l.segs, st.RecoveryPoint)
		if err := l.epochs.truncateEnd(l.segs[from].base); err != nil {
			return err
		}
		if !l.fresh {
			l.logger.Info("recovering log after unclean shutdown", "recovery_point", st.RecoveryPoint,
				"segments", len(l.segs)-from)
		}
	}
	interval := l.config().IndexIntervalBytes
	for i := 0; i < len(l.segs); i++ {
		s := l.segs[i]
		var end int64
		var err error
		if i < from || st.Clean {
			end, err = l.loadIndexedSegment(s, i == len(l.segs)-1, interval)
		} else {
			end, err = s.rebuild(interval, l.noteEpoch)
		}
		if isCorruption(err) {
			if terr := l.truncateCorrupt(i, end, err); terr != nil {
				return terr
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("recover segment %d: %w", s.base, err)
		}
		if i+1 < len(l.segs) {
			s.next.Store(l.segs[i+1].base)
			s.idx.seal(s.base)
		}
	}
	return nil
}

// loadIndexedSegment trusts a segment's index files, falling back to a
// rebuild if they are missing or inconsistent. For the last segment it
// also validates the bytes after the last index entry to find the end.
func (l *Log) loadIndexedSegment(s *segment, last bool, interval int32) (int64, error) {
	x, err := loadSegIndex(s.indexPath(), s.timePath(), s.size.Load())
	if err != nil {
		l.logger.Warn("rebuilding index", "segment", s.base, "err", err)
		return s.rebuild(interval, l.noteEpoch)
	}
	if n := len(x.times); n > 0 {
		x.maxTs, x.maxTsOffset = x.times[n-1].ts, s.base+int64(x.times[n-1].rel)
	}
	s.idx = x
	if !last {
		return s.size.Load(), nil
	}
	pos := int64(0)
	if n := len(x.offsets); n > 0 {
		pos = int64(x.offsets[n-1].pos)
		x.offsets, x.offWritten = x.offsets[:n-1], n-1 // re-added by the scan if still valid
	}
	if pos > 0 {
		h, err := (&headerReader{f: s.f, end: s.size.Load()}).at(pos)
		if err != nil {
			l.logger.Warn("rebuilding index", "segment", s.base, "err", err)
			return s.rebuild(interval, l.noteEpoch)
		}
		s.next.Store(h.BaseOffset)
	}
	x.sinceEntry = int64(interval) + 1 // so the scan re-adds the entry at pos
	return s.scanFrom(pos, interval, l.noteEpoch)
}

func (l *Log) noteEpoch(h records.Header) {
	if err := l.epochs.assign(h.PartitionLeaderEpoch, h.BaseOffset); err != nil {
		l.logger.Warn("leader epoch checkpoint", "err", err)
	}
}

func isCorruption(err error) bool {
	return errors.Is(err, errTornTail) || errors.Is(err, records.ErrCorrupt) ||
		errors.Is(err, records.ErrUnsupportedMagic)
}

// truncateCorrupt cuts segment i at end (the valid prefix) and deletes
// every later segment, so the log stays a prefix of what was written.
func (l *Log) truncateCorrupt(i int, end int64, cause error) error {
	s := l.segs[i]
	l.logger.Warn("truncating log at invalid data", "segment", s.base, "position", end,
		"dropped_bytes", s.fileSize()-end, "later_segments", len(l.segs)-i-1, "err", cause)
	if err := s.truncateFile(end); err != nil {
		return err
	}
	for _, later := range l.segs[i+1:] {
		later.close()
		for _, p := range []string{later.logPath(), later.indexPath(), later.timePath()} {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("remove segment after corruption: %w", err)
			}
		}
	}
	l.segs = l.segs[:i+1]
	return nil
}

// finishLoad sets the offsets and rewrites the checkpoints as "unclean"
// (so a crash from now on triggers recovery). stateBytes is the state
// file as load read it (nil when missing or not a regular file).
func (l *Log) finishLoad(st logState, stateBytes []byte) error {
	act := l.active()
	l.leo.Store(act.next.Load())
	l.logStart.Store(min(max(st.LogStartOffset, l.segs[0].base), l.leo.Load()))
	l.recoveryPoint = min(st.RecoveryPoint, l.leo.Load())
	if !st.Clean {
		l.recoveryPoint = min(l.recoveryPoint, l.segs[segmentFor(l.segs, st.RecoveryPoint)].base)
	}
	for _, s := range l.segs {
		if err := s.writeIndexes(false); err != nil {
			return err
		}
	}
	if err := l.epochs.truncateEnd(l.leo.Load()); err != nil {
		return err
	}
	if err := l.epochs.truncateStart(l.logStart.Load()); err != nil {
		return err
	}
	next := logState{RecoveryPoint: l.recoveryPoint, LogStartOffset: l.logStart.Load()}
	if stateBytes != nil && bytes.Equal(stateBytes, next.encode()) {
		// An unclean restart that changed nothing: the file already says
		// so. Syncing it and the directory (nearly free when they are
		// already on disk) instead of rewriting them (a new file, a
		// rename and a journal commit per partition) still makes sure
		// an earlier crash mid-rename cannot leave an older "clean"
		// state behind.
		return syncState(l.dir)
	}
	return writeState(l.dir, next)
}

// syncState fsyncs the state file and its directory.
func syncState(dir string) error {
	f, err := os.Open(filepath.Join(dir, stateFile))
	if err != nil {
		return fmt.Errorf("sync log state: %w", err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = SyncDir(dir)
	}
	if err != nil {
		return fmt.Errorf("sync log state: %w", err)
	}
	return nil
}

// listSegments returns the base offsets of the .log files, removing files
// left by an interrupted deletion or checkpoint write and orphan indexes.
func (l *Log) listSegments() ([]int64, error) {
	ents, err := os.ReadDir(l.dir)
	if err != nil {
		return nil, fmt.Errorf("list segments: %w", err)
	}
	var bases []int64
	logs := map[string]bool{}
	for _, e := range ents {
		name := e.Name()
		if strings.HasSuffix(name, deletedSuffix) || strings.HasSuffix(name, tempSuffix) {
			os.Remove(filepath.Join(l.dir, name))
			continue
		}
		stem, ok := strings.CutSuffix(name, ".log")
		if !ok || len(stem) != 20 {
			continue
		}
		base, err := strconv.ParseInt(stem, 10, 64)
		if err != nil {
			continue
		}
		bases = append(bases, base)
		logs[stem] = true
	}
	for _, e := range ents {
		stem, ext, _ := strings.Cut(e.Name(), ".")
		if (ext == "index" || ext == "timeindex") && !logs[stem] {
			os.Remove(filepath.Join(l.dir, e.Name()))
		}
	}
	slices.Sort(bases)
	return bases, nil
}
