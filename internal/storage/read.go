package storage

import (
	"fmt"

	"github.com/samsa-io/samsa/protocol/records"
)

// Read returns whole stored batches starting with the one holding offset,
// from a single segment: at most maxBytes, but always the first batch
// whole if one exists, and never a batch whose base offset is >= maxOffset
// (the caller passes the high watermark). It returns nil when there is
// nothing to return and ErrOffsetOutOfRange when offset is below the log
// start offset or above the log end offset. The bytes are a fresh copy.
func (l *Log) Read(offset int64, maxBytes int, maxOffset int64) ([]byte, error) {
	if err := l.Failed(); err != nil {
		return nil, err
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	segs, err := l.snapshotLocked()
	if err != nil {
		return nil, err
	}
	start, leo := l.logStart.Load(), l.leo.Load()
	if offset < start || offset > leo {
		return nil, fmt.Errorf("read offset %d, log has [%d, %d]: %w", offset, start, leo, ErrOffsetOutOfRange)
	}
	if offset == leo {
		return nil, nil // a consumer at the tail: no header to read
	}
	for i := segmentFor(segs, offset); i < len(segs) && segs[i].base < maxOffset; i++ {
		b, found, err := segs[i].read(offset, maxBytes, maxOffset)
		if err != nil || found {
			return b, err
		}
	}
	return nil, nil
}

// read returns batches of this segment from the one holding offset.
// found is false when the segment holds no batch at or after offset.
func (s *segment) read(offset int64, maxBytes int, maxOffset int64) ([]byte, bool, error) {
	hr := &headerReader{f: s.f, end: s.size.Load()}
	pos, h, found, err := s.findBatch(hr, offset)
	if err != nil || !found {
		return nil, false, err
	}
	if h.BaseOffset >= maxOffset {
		return nil, true, nil
	}
	n := max(min(int64(maxBytes), hr.end-pos), int64(h.Size()))
	buf := make([]byte, n)
	if _, err := s.f.ReadAt(buf, pos); err != nil {
		return nil, true, fmt.Errorf("read segment %d at %d: %w", s.base, pos, err)
	}
	return buf[:cutBatches(buf, maxOffset)], true, nil
}

// cutBatches returns the length of the prefix of buf made of whole batches
// with base offsets below maxOffset (the first batch always counts).
func cutBatches(buf []byte, maxOffset int64) int {
	n := 0
	for rest := buf; len(rest) > 0; {
		batch, next, err := records.Next(rest)
		if err != nil {
			break
		}
		h, _ := records.ParseHeader(batch)
		if n > 0 && h.BaseOffset >= maxOffset {
			break
		}
		n += len(batch)
		rest = next
	}
	return n
}

// ForEachBatchHeader calls fn with the header of every batch from the one
// holding offset from to the log end, until fn returns false.
func (l *Log) ForEachBatchHeader(from int64, fn func(h records.Header) bool) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	segs, err := l.snapshotLocked()
	if err != nil {
		return err
	}
	for i := segmentFor(segs, from); i < len(segs); i++ {
		more, err := segs[i].eachHeader(from, fn)
		if err != nil {
			return fmt.Errorf("batch headers of segment %d: %w", segs[i].base, err)
		}
		if !more {
			return nil
		}
	}
	return nil
}

// eachHeader walks the headers from the batch holding offset from to the
// committed end; more is false once fn asked to stop.
func (s *segment) eachHeader(from int64, fn func(h records.Header) bool) (more bool, err error) {
	hr := &headerReader{f: s.f, end: s.size.Load()}
	pos, _, found, err := s.findBatch(hr, from)
	if err != nil || !found {
		return true, err
	}
	for pos < hr.end {
		h, err := hr.at(pos)
		if err != nil {
			return false, err
		}
		if !fn(h) {
			return false, nil
		}
		pos += int64(h.Size())
	}
	return true, nil
}
