package storage

import (
	"fmt"
	"math"
	"os"
	"sort"
	"sync"

	"github.com/samsa-io/samsa/protocol/records"
)

// Region is a span of a segment file holding whole stored batches, which a
// fetch sends to the socket without copying it through user memory (the
// network layer uses sendfile where it can). The segment's file stays open
// until Release, even if retention, compaction or truncation drops the
// segment meanwhile: the bytes then are those of the dropped file, as with
// Kafka's FileRecords. A truncation of the file in place (a follower
// cutting its log) can shorten the span; the sender then finds fewer bytes
// than Len and must fail the response.
//
// A Region is used by one goroutine. Release must be called exactly once
// (the zero Region needs none).
type Region struct {
	seg *segment
	Pos int64 // file position of the first batch
	Len int   // bytes; 0 when there is nothing to return
}

// File is the segment file, open until Release.
func (r Region) File() *os.File {
	if r.seg == nil {
		return nil
	}
	return r.seg.f
}

// Release lets the segment's file close once dropped.
func (r Region) Release() {
	if r.seg != nil {
		r.seg.release()
	}
}

// ReadRegion is Read returning the span of the file instead of a copy: the
// same batches, from the one holding offset, at most maxBytes but the first
// batch whole, none whose base offset is >= maxOffset. It walks batch
// headers only (from the sparse index's nearest entries), never the data.
// A Region of Len 0 means there is nothing to return.
func (l *Log) ReadRegion(offset int64, maxBytes int, maxOffset int64) (Region, error) {
	if err := l.Failed(); err != nil {
		return Region{}, err
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	segs, err := l.snapshotLocked()
	if err != nil {
		return Region{}, err
	}
	start, leo := l.logStart.Load(), l.leo.Load()
	if offset < start || offset > leo {
		return Region{}, fmt.Errorf("read offset %d, log has [%d, %d]: %w", offset, start, leo, ErrOffsetOutOfRange)
	}
	if offset == leo {
		return Region{}, nil // a consumer at the tail: no header to read
	}
	for i := segmentFor(segs, offset); i < len(segs) && segs[i].base < maxOffset; i++ {
		s := segs[i]
		pos, n, found, err := s.span(offset, maxBytes, maxOffset)
		if err != nil {
			return Region{}, err
		}
		if !found {
			continue
		}
		if n == 0 {
			return Region{}, nil
		}
		s.acquire() // under l.mu: the segment is still listed, so not yet retired
		return Region{seg: s, Pos: pos, Len: n}, nil
	}
	return Region{}, nil
}

// span finds the batches read would return, without reading their data.
// found is false when the segment holds no batch at or after offset.
func (s *segment) span(offset int64, maxBytes int, maxOffset int64) (pos int64, n int, found bool, err error) {
	// A small pooled window: the walk reads a few headers near the start
	// and near the cut, and large batches would make a big window copy
	// mostly record data.
	bufp := spanWindows.Get().(*[]byte)
	defer spanWindows.Put(bufp)
	hr := &headerReader{f: s.f, end: s.size.Load(), buf: (*bufp)[:0], window: spanWindow}
	pos, h, found, err := s.findBatch(hr, offset)
	if err != nil || !found {
		return 0, 0, false, err
	}
	if h.BaseOffset >= maxOffset {
		return pos, 0, true, nil
	}
	limit := pos + int64(max(maxBytes, 0))
	end := pos + int64(h.Size()) // the first batch always counts
	if s.next.Load() <= maxOffset && hr.end <= limit {
		return pos, int(hr.end - pos), true, nil // the rest of the segment fits
	}
	// Jump close to the cut with the index, then walk the headers.
	if from := s.idx.lastEntryBefore(s.base, limit, maxOffset); from > end {
		end = from
	}
	for end < hr.end {
		h, err := hr.at(end)
		if err != nil {
			return 0, 0, true, fmt.Errorf("segment %d: %w", s.base, err)
		}
		if h.BaseOffset >= maxOffset || end+int64(h.Size()) > limit {
			break
		}
		end += int64(h.Size())
	}
	if end-pos > math.MaxInt32 {
		return 0, 0, true, fmt.Errorf("segment %d: span of %d bytes at %d: %w", s.base, end-pos, pos, records.ErrCorrupt)
	}
	return pos, int(end - pos), true, nil
}

const spanWindow = 4 << 10

var spanWindows = sync.Pool{New: func() any { b := make([]byte, spanWindow); return &b }}

// lastEntryBefore returns the position of the last index entry whose
// batch starts by limit and lies wholly below maxOffset, or 0. Every batch
// before such an entry ends by limit and lies below maxOffset too, so a
// header walk may resume there.
func (x *segIndex) lastEntryBefore(base, limit, maxOffset int64) int64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	i := sort.Search(len(x.offsets), func(i int) bool {
		e := x.offsets[i]
		return int64(e.pos) > limit || base+int64(e.rel) >= maxOffset
	})
	if i == 0 {
		return 0
	}
	return int64(x.offsets[i-1].pos)
}

// segment reader references: a Region holds one; retire closes the file
// once the segment is dropped and the last Region released.
type segRefs struct {
	mu      sync.Mutex
	readers int
	retired bool
}

func (s *segment) acquire() {
	s.refs.mu.Lock()
	s.refs.readers++
	s.refs.mu.Unlock()
}

func (s *segment) release() {
	s.refs.mu.Lock()
	s.refs.readers--
	closeNow := s.refs.readers == 0 && s.refs.retired
	s.refs.mu.Unlock()
	if closeNow {
		_ = s.f.Close() // nothing to report to: the segment was dropped
	}
}
