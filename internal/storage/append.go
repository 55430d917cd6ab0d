package storage

import (
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/samsa-io/samsa/protocol/records"
)

// AppendResult describes an append.
type AppendResult struct {
	BaseOffset, LastOffset int64
	MaxTimestamp           int64
	OffsetOfMaxTimestamp   int64 // last offset of the first batch carrying MaxTimestamp
}

// appendPlan is what a pass over the batches learns before writing.
type appendPlan struct {
	first, next int64 // first base offset, offset after the last record
	records     int64
	maxTs       int64
	maxTsOffset int64
}

// Append stamps base offsets (consecutive from the log end offset) and
// leaderEpoch into batches in place, then writes them to the active
// segment with one write, rolling first if needed. batches must have been
// checked with records.Validate. Timestamps are stored as given: a topic
// with message.timestamp.type=LogAppendTime has its batches stamped by the
// partition before they get here.
func (l *Log) Append(batches []byte, leaderEpoch int32) (AppendResult, error) {
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	p, err := stamp(batches, l.leo.Load(), leaderEpoch)
	if err != nil {
		return AppendResult{}, err
	}
	if err := l.write(batches, p, leaderEpoch, l.config()); err != nil {
		return AppendResult{}, err
	}
	return AppendResult{BaseOffset: p.first, LastOffset: p.next - 1,
		MaxTimestamp: p.maxTs, OffsetOfMaxTimestamp: p.maxTsOffset}, nil
}

// AppendReplicated appends batches copied from the leader, keeping their
// offsets and leader epochs. The first base offset must not be below the
// log end offset and offsets must increase.
func (l *Log) AppendReplicated(batches []byte) (AppendResult, error) {
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	p := appendPlan{first: -1, next: l.leo.Load(), maxTs: -1, maxTsOffset: -1}
	var epoch int32 = -1
	for rest := batches; len(rest) > 0; {
		batch, next, err := records.Next(rest)
		if err != nil {
			return AppendResult{}, fmt.Errorf("append replicated: %w: %w", ErrInvalidAppend, err)
		}
		h, _ := records.ParseHeader(batch)
		if h.BaseOffset < p.next {
			return AppendResult{}, fmt.Errorf("append replicated: base offset %d below %d: %w", h.BaseOffset, p.next, ErrInvalidAppend)
		}
		if p.first < 0 {
			p.first = h.BaseOffset
		}
		p.observe(h)
		epoch = max(epoch, h.PartitionLeaderEpoch)
		rest = next
	}
	if p.first < 0 {
		return AppendResult{}, fmt.Errorf("append replicated: no batches: %w", ErrInvalidAppend)
	}
	if err := l.write(batches, p, epoch, l.config()); err != nil {
		return AppendResult{}, err
	}
	return AppendResult{BaseOffset: p.first, LastOffset: p.next - 1,
		MaxTimestamp: p.maxTs, OffsetOfMaxTimestamp: p.maxTsOffset}, nil
}

// stamp assigns offsets and the epoch.
func stamp(batches []byte, leo int64, epoch int32) (appendPlan, error) {
	p := appendPlan{first: leo, next: leo, maxTs: -1, maxTsOffset: -1}
	for rest := batches; len(rest) > 0; {
		batch, next, err := records.Next(rest)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return p, fmt.Errorf("append at %d: %w: %w", p.next, ErrInvalidAppend, err)
		}
		records.SetBaseOffset(batch, p.next)
		records.SetLeaderEpoch(batch, epoch)
		h, _ := records.ParseHeader(batch)
		if h.LastOffsetDelta < 0 {
			return p, fmt.Errorf("append at %d: last offset delta %d: %w", p.next, h.LastOffsetDelta, ErrInvalidAppend)
		}
		p.observe(h)
		rest = next
	}
	if p.next == p.first {
		return p, fmt.Errorf("append: no records: %w", ErrInvalidAppend)
	}
	return p, nil
}

func (p *appendPlan) observe(h records.Header) {
	p.next = h.LastOffset() + 1
	p.records += int64(h.NumRecords)
	if h.MaxTimestamp > p.maxTs {
		p.maxTs, p.maxTsOffset = h.MaxTimestamp, h.LastOffset()
	}
}

// write appends stamped batches. appendMu is held.
func (l *Log) write(batches []byte, p appendPlan, epoch int32, cfg Config) error {
	if err := l.checkOpen(); err != nil {
		return err
	}
	if err := l.maybeRoll(int64(len(batches)), p, cfg); err != nil {
		return l.fail(err)
	}
	act := l.segs[len(l.segs)-1] // stable: only appendMu holders replace it
	pos := act.size.Load()
	if err := l.writeSegment(act, batches, pos); err != nil {
		// Cut whatever part was written so the file matches the committed size.
		if terr := act.f.Truncate(pos); terr != nil {
			l.logger.Error("truncate after failed write", "segment", act.base, "err", terr)
		}
		return l.fail(fmt.Errorf("append to segment %d: %w", act.base, err))
	}
	if epoch >= 0 {
		if err := l.epochs.assign(epoch, p.first); err != nil {
			return l.fail(fmt.Errorf("append: %w", err))
		}
	}
	act.idx.track(act.base, pos, len(batches), uint32(p.next-1-act.base), p.maxTs, p.maxTsOffset, cfg.IndexIntervalBytes)
	act.next.Store(p.next)
	act.size.Store(pos + int64(len(batches)))
	l.leo.Store(p.next)
	// Wake the flusher when flush.messages is reached, and with flush.ms
	// on the first unflushed append, which starts its timer.
	if n := l.unflushedMsgs.Add(p.records); n >= cfg.FlushIntervalMessages || (n == p.records && cfg.flushInterval() > 0) {
		l.flusher.wake()
	}
	return nil
}

// maybeRoll starts a new segment when the append would overflow the
// active one by size, age or relative offset range.
func (l *Log) maybeRoll(size int64, p appendPlan, cfg Config) error {
	act := l.segs[len(l.segs)-1]
	used := act.size.Load()
	if used == 0 {
		return nil
	}
	full := used+size > cfg.SegmentBytes
	old := time.Since(act.created) > time.Duration(cfg.SegmentMs)*time.Millisecond
	wide := p.next-1-act.base > math.MaxInt32
	if !full && !old && !wide {
		return nil
	}
	return l.rollLocked(p.first)
}

// rollLocked seals the active segment and starts one at base. appendMu
// is held. The sealed segment is fsynced by the flusher, off this path.
func (l *Log) rollLocked(base int64) error {
	act := l.segs[len(l.segs)-1]
	s, err := createSegment(l.dir, base)
	if err != nil {
		return err
	}
	act.idx.seal(act.base)
	l.mu.Lock()
	l.segs = append(l.segs[:len(l.segs):len(l.segs)], s)
	l.mu.Unlock()
	l.unsynced = append(l.unsynced, act)
	l.logger.Debug("rolled segment", "base", base, "previous", act.base, "size", act.size.Load())
	l.flusher.wake()
	l.notifyRoll(base)
	return nil
}
