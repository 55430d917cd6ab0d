package storage

import (
	"fmt"

	"github.com/samsa-io/samsa/protocol/records"
)

// OffsetForTimestamp finds the first record at or after the log start with
// timestamp >= ts (ListOffsets by time). found is false if there is none.
func (l *Log) OffsetForTimestamp(ts int64) (offset int64, timestamp int64, found bool, err error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	segs, err := l.snapshotLocked()
	if err != nil {
		return 0, 0, false, err
	}
	start := l.logStart.Load()
	for _, s := range segs {
		if maxTs, _ := s.idx.maxTimestamp(); maxTs < ts {
			continue
		}
		offset, timestamp, found, err = s.offsetForTimestamp(ts, start)
		if err != nil || found {
			return offset, timestamp, found, err
		}
	}
	return 0, 0, false, nil
}

// offsetForTimestamp scans this segment from the time index hint for the
// first batch whose max timestamp is >= ts and then for the first record
// in it at or after minOffset with timestamp >= ts.
func (s *segment) offsetForTimestamp(ts, minOffset int64) (int64, int64, bool, error) {
	hr := &headerReader{f: s.f, end: s.size.Load()}
	from := max(s.base+int64(s.idx.lookupTime(ts)), minOffset)
	pos, _, found, err := s.findBatch(hr, from)
	for err == nil && found && pos < hr.end {
		var h records.Header
		if h, err = hr.at(pos); err != nil {
			break
		}
		if h.MaxTimestamp >= ts && h.LastOffset() >= minOffset {
			off, t, ok, err := s.searchBatch(pos, h, ts, minOffset)
			if err != nil || ok {
				return off, t, ok, err
			}
		}
		pos += int64(h.Size())
	}
	if err != nil {
		return 0, 0, false, fmt.Errorf("offset for timestamp in segment %d: %w", s.base, err)
	}
	return 0, 0, false, nil
}

// searchBatch decodes the batch at pos and returns its first record at or
// after minOffset with timestamp >= ts.
func (s *segment) searchBatch(pos int64, h records.Header, ts, minOffset int64) (int64, int64, bool, error) {
	batch := make([]byte, h.Size())
	if _, err := s.f.ReadAt(batch, pos); err != nil {
		return 0, 0, false, fmt.Errorf("read batch at %d: %w", pos, err)
	}
	var off, t int64
	var ok bool
	err := records.ForEachRecord(batch, func(r records.Record) bool {
		if r.Offset(h) >= minOffset && r.Timestamp(h) >= ts {
			off, t, ok = r.Offset(h), r.Timestamp(h), true
			return false
		}
		return true
	})
	return off, t, ok, err
}

// MaxTimestamp returns the record with the largest timestamp in the log
// (the first such record), or offset -1 if the log is empty. If the batch
// cannot be decoded it falls back to the batch's last offset.
func (l *Log) MaxTimestamp() (offset int64, timestamp int64) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	segs, err := l.snapshotLocked()
	if err != nil {
		return -1, -1
	}
	var best *segment
	offset, timestamp = -1, -1
	for _, s := range segs {
		if ts, off := s.idx.maxTimestamp(); ts > timestamp && off >= l.logStart.Load() {
			best, offset, timestamp = s, off, ts
		}
	}
	if best == nil {
		return -1, -1
	}
	hr := &headerReader{f: best.f, end: best.size.Load()}
	pos, h, found, err := best.findBatch(hr, offset)
	if err != nil || !found {
		return offset, timestamp
	}
	if off, t, ok, err := best.searchBatch(pos, h, timestamp, h.BaseOffset); err == nil && ok && t == timestamp {
		return off, t
	}
	return offset, timestamp
}
