package storage

import (
	"encoding/binary"
	"fmt"
	"os"
	"sort"
	"sync"
)

const (
	offsetEntrySize = 8  // relative offset uint32, position uint32
	timeEntrySize   = 12 // timestamp int64, relative offset uint32
)

type offsetEntry struct{ rel, pos uint32 }

type timeEntry struct {
	ts  int64
	rel uint32
}

// segIndex is a segment's sparse offset and time index, held in memory and
// written to the .index/.timeindex files at flush, roll and close (the
// files behind the recovery point are complete; the rest are rebuilt by
// recovery). mu guards every field: Append adds entries while readers look
// them up.
type segIndex struct {
	mu          sync.RWMutex
	offsets     []offsetEntry
	times       []timeEntry
	offWritten  int   // offsets already in the .index file
	timeWritten int   // times already in the .timeindex file
	sinceEntry  int64 // log bytes appended since the last offset entry
	maxTs       int64 // largest batch max timestamp in the segment, -1 if none
	maxTsOffset int64 // last offset of the first batch carrying maxTs
}

func newSegIndex() *segIndex { return &segIndex{maxTs: -1, maxTsOffset: -1} }

// track records an append of size bytes at pos whose last offset is last
// (relative to the segment base) and whose largest timestamp is ts at
// absolute offset tsOffset.
func (x *segIndex) track(base, pos int64, size int, lastRel uint32, ts, tsOffset int64, interval int32) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if ts > x.maxTs {
		x.maxTs, x.maxTsOffset = ts, tsOffset
	}
	if x.sinceEntry > int64(interval) {
		x.offsets = append(x.offsets, offsetEntry{rel: lastRel, pos: uint32(pos)})
		x.appendTimeLocked(base)
		x.sinceEntry = 0
	}
	x.sinceEntry += int64(size)
}

// seal adds a final time entry for the segment's max timestamp, as Kafka
// does when a segment stops being active.
func (x *segIndex) seal(base int64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.appendTimeLocked(base)
}

func (x *segIndex) appendTimeLocked(base int64) {
	if x.maxTs < 0 || (len(x.times) > 0 && x.times[len(x.times)-1].ts >= x.maxTs) {
		return
	}
	x.times = append(x.times, timeEntry{ts: x.maxTs, rel: uint32(x.maxTsOffset - base)})
}

// lookup returns the file position from which to scan for relative offset
// rel: the position of the largest entry at or below it, else 0.
func (x *segIndex) lookup(rel uint32) int64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	i := sort.Search(len(x.offsets), func(i int) bool { return x.offsets[i].rel > rel })
	if i == 0 {
		return 0
	}
	return int64(x.offsets[i-1].pos)
}

// lookupTime returns a relative offset at or before the first record with
// timestamp >= ts: the offset of the largest entry whose timestamp is < ts.
func (x *segIndex) lookupTime(ts int64) uint32 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	i := sort.Search(len(x.times), func(i int) bool { return x.times[i].ts >= ts })
	if i == 0 {
		return 0
	}
	return x.times[i-1].rel
}

func (x *segIndex) maxTimestamp() (int64, int64) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.maxTs, x.maxTsOffset
}

// write appends the entries not yet in the files (rewriting them whole
// after a truncation) and fsyncs them when sync is set.
func (x *segIndex) write(offPath, timePath string, sync bool) error {
	x.mu.RLock()
	offs, offFrom := append([]offsetEntry(nil), x.offsets[x.offWritten:]...), x.offWritten
	times, timeFrom := append([]timeEntry(nil), x.times[x.timeWritten:]...), x.timeWritten
	x.mu.RUnlock()
	ob := make([]byte, 0, len(offs)*offsetEntrySize)
	for _, e := range offs {
		ob = binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(ob, e.rel), e.pos)
	}
	tb := make([]byte, 0, len(times)*timeEntrySize)
	for _, e := range times {
		tb = binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(tb, uint64(e.ts)), e.rel)
	}
	if err := writeAtEnd(offPath, ob, int64(offFrom*offsetEntrySize), sync); err != nil {
		return err
	}
	if err := writeAtEnd(timePath, tb, int64(timeFrom*timeEntrySize), sync); err != nil {
		return err
	}
	x.mu.Lock()
	x.offWritten = max(x.offWritten, offFrom+len(offs))
	x.timeWritten = max(x.timeWritten, timeFrom+len(times))
	x.mu.Unlock()
	return nil
}

// writeAtEnd writes b at offset at and cuts the file there.
func writeAtEnd(path string, b []byte, at int64, sync bool) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, at); err != nil {
		return fmt.Errorf("write index %s: %w", path, err)
	}
	if err := f.Truncate(at + int64(len(b))); err != nil {
		return fmt.Errorf("write index %s: %w", path, err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("sync index %s: %w", path, err)
		}
	}
	return nil
}

// loadSegIndex reads both index files and checks them against the log size
// and the segment's relative offset span. Any inconsistency is an error;
// the caller then rebuilds from the log.
func loadSegIndex(offPath, timePath string, logSize int64) (*segIndex, error) {
	ob, err := os.ReadFile(offPath)
	if err != nil {
		return nil, err
	}
	tb, err := os.ReadFile(timePath)
	if err != nil {
		return nil, err
	}
	if len(ob)%offsetEntrySize != 0 || len(tb)%timeEntrySize != 0 {
		return nil, fmt.Errorf("index sizes %d and %d: %w", len(ob), len(tb), errBadIndex)
	}
	x := newSegIndex()
	for i := 0; i < len(ob); i += offsetEntrySize {
		e := offsetEntry{rel: binary.BigEndian.Uint32(ob[i:]), pos: binary.BigEndian.Uint32(ob[i+4:])}
		if int64(e.pos) >= logSize || (len(x.offsets) > 0 && (e.rel <= x.offsets[len(x.offsets)-1].rel ||
			e.pos <= x.offsets[len(x.offsets)-1].pos)) {
			return nil, fmt.Errorf("offset entry %d (%d, %d): %w", i/offsetEntrySize, e.rel, e.pos, errBadIndex)
		}
		x.offsets = append(x.offsets, e)
	}
	for i := 0; i < len(tb); i += timeEntrySize {
		e := timeEntry{ts: int64(binary.BigEndian.Uint64(tb[i:])), rel: binary.BigEndian.Uint32(tb[i+8:])}
		if len(x.times) > 0 && (e.ts < x.times[len(x.times)-1].ts || e.rel < x.times[len(x.times)-1].rel) {
			return nil, fmt.Errorf("time entry %d: %w", i/timeEntrySize, errBadIndex)
		}
		x.times = append(x.times, e)
	}
	x.offWritten, x.timeWritten = len(x.offsets), len(x.times)
	return x, nil
}
