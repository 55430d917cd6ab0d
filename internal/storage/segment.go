package storage

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/samsa-io/samsa/protocol/records"
)

var be = binary.BigEndian

// segment is one .log file with its indexes. base and the file handle
// never change; size is the committed length (bytes readers may see),
// advanced by the appender after each write.
type segment struct {
	base    int64
	dir     string
	f       *os.File
	size    atomic.Int64
	next    atomic.Int64 // offset after the segment's last batch
	idx     *segIndex
	created time.Time
	refs    segRefs // Regions reading the file (region.go)
}

func segmentName(dir string, base int64, ext string) string {
	return filepath.Join(dir, fmt.Sprintf("%020d%s", base, ext))
}

func (s *segment) logPath() string   { return segmentName(s.dir, s.base, ".log") }
func (s *segment) indexPath() string { return segmentName(s.dir, s.base, ".index") }
func (s *segment) timePath() string  { return segmentName(s.dir, s.base, ".timeindex") }

// createSegment makes a new empty segment starting at base.
func createSegment(dir string, base int64) (*segment, error) {
	s := &segment{base: base, dir: dir, idx: newSegIndex(), created: time.Now()}
	f, err := os.OpenFile(s.logPath(), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create segment %d: %w", base, err)
	}
	s.f = f
	s.next.Store(base)
	for _, p := range []string{s.indexPath(), s.timePath()} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			f.Close()
			return nil, fmt.Errorf("create segment %d: %w", base, err)
		}
	}
	return s, nil
}

// openSegment opens an existing .log file; the caller loads or rebuilds
// the indexes and sets next.
func openSegment(dir string, base int64) (*segment, error) {
	s := &segment{base: base, dir: dir, idx: newSegIndex()}
	f, err := os.OpenFile(s.logPath(), os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open segment %d: %w", base, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open segment %d: %w", base, err)
	}
	s.f, s.created = f, st.ModTime()
	s.size.Store(st.Size())
	s.next.Store(base)
	return s, nil
}

// rebuild scans the whole segment, validating each batch and rebuilding
// the indexes and next offset. It returns the end of the valid prefix and
// the error that ended it (nil if the whole file is valid).
func (s *segment) rebuild(interval int32, onBatch func(h records.Header)) (int64, error) {
	s.idx = newSegIndex() // nothing written yet: the next write rewrites both files
	return s.scanFrom(0, interval, onBatch)
}

// scanFrom validates batches from pos to the end of the file, feeding the
// index (whose entries must all lie before pos).
func (s *segment) scanFrom(pos int64, interval int32, onBatch func(h records.Header)) (int64, error) {
	end, err := scanBatches(s.f, pos, s.fileSize(), func(pos int64, batch []byte, h records.Header) error {
		if h.BaseOffset < s.next.Load() || h.LastOffset()-s.base > math.MaxInt32 {
			return fmt.Errorf("at %d: base offset %d in segment %d after offset %d: %w",
				pos, h.BaseOffset, s.base, s.next.Load(), records.ErrCorrupt)
		}
		s.idx.track(s.base, pos, len(batch), uint32(h.LastOffset()-s.base), h.MaxTimestamp, h.LastOffset(), interval)
		s.next.Store(h.LastOffset() + 1)
		if onBatch != nil {
			onBatch(h)
		}
		return nil
	})
	s.size.Store(end)
	return end, err
}

func (s *segment) fileSize() int64 {
	st, err := s.f.Stat()
	if err != nil {
		return s.size.Load()
	}
	return st.Size()
}

// truncateFile cuts the log file at pos.
func (s *segment) truncateFile(pos int64) error {
	if err := s.f.Truncate(pos); err != nil {
		return fmt.Errorf("truncate segment %d at %d: %w", s.base, pos, err)
	}
	s.size.Store(pos)
	return nil
}

// writeIndexes persists the index entries not yet in the files.
func (s *segment) writeIndexes(sync bool) error {
	return s.idx.write(s.indexPath(), s.timePath(), sync)
}

// findBatch returns the position of the first batch whose last offset is
// >= offset, scanning from the index hint; found is false if none is below
// the committed size end.
func (s *segment) findBatch(hr *headerReader, offset int64) (int64, records.Header, bool, error) {
	rel := uint32(0)
	if offset > s.base {
		rel = uint32(min(offset-s.base, int64(^uint32(0))))
	}
	for pos := s.idx.lookup(rel); pos < hr.end; {
		h, err := hr.at(pos)
		if err != nil {
			return 0, h, false, fmt.Errorf("segment %d: %w", s.base, err)
		}
		if h.LastOffset() >= offset {
			return pos, h, true, nil
		}
		pos += int64(h.Size())
	}
	return 0, records.Header{}, false, nil
}

// close closes the file handle, or retires the segment when Regions still
// read it: the last Release then closes the file. Callers have already
// removed the segment from the list, so no new Region can take it.
func (s *segment) close() error {
	s.refs.mu.Lock()
	s.refs.retired = true
	busy := s.refs.readers > 0
	s.refs.mu.Unlock()
	if busy {
		return nil
	}
	return s.f.Close()
}
