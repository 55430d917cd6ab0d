package topiclog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/samsa-io/samsa/internal/partition"
	"github.com/samsa-io/samsa/protocol/records"
	"github.com/samsa-io/samsa/protocol/txnstate"
)

// replayReadBytes is how much of a partition one replay read returns.
const replayReadBytes = 1 << 20

// Marker says whether a replayed Entry is a transaction marker.
type Marker int8

const (
	NoMarker     Marker = iota
	CommitMarker        // the producer's transaction committed
	AbortMarker         // the producer's transaction aborted
)

// Entry is one record of an internal topic as a replay reads it, or a
// transaction marker (Marker set, with ProducerID and no key).
type Entry struct {
	Key, Value []byte // Value nil: a tombstone
	Txn        bool   // written by ProducerID's transaction
	ProducerID int64  // with Txn or Marker
	Marker     Marker
}

// Codec converts a coordinator's record type R to the records of its
// internal topic and back.
type Codec[R any] struct {
	// Encode gives r's key and value (a nil value is a tombstone).
	Encode func(r R) (key, value []byte)
	// Decode gives the record of a replayed entry; false skips the entry
	// (a marker the coordinator has no use for).
	Decode func(e Entry) (R, bool)
}

// Log is one internal topic's partitions hosted by this node, written and
// replayed as records of type R.
//
// Threading: safe for concurrent use; Append is called concurrently for
// different partitions and keys, Replay from one loader goroutine per
// partition. The fields are set once, before the first call.
type Log[R any] struct {
	Topic string
	Parts *partition.Manager
	Codec Codec[R]
	// NotHosted is wrapped in the error of a call on a partition this node
	// does not host (the coordinator's NOT_COORDINATOR error).
	NotHosted error
	// Fenced, when set, is wrapped in AppendTxn's error when the partition
	// saw a newer epoch of the producer.
	Fenced error
	// Hook, when set, runs around every Append: with appended false before
	// the batch goes into the leader's log, with true after, before the
	// wait for the followers; an error fails the append. A test hook; nil
	// in production.
	Hook func(ctx context.Context, recs []R, appended bool) error
}

func (l *Log[R]) partition(p int32) (*partition.Partition, error) {
	part := l.Parts.Partition(l.Topic, p)
	if part == nil {
		return nil, fmt.Errorf("%s-%d not hosted: %w", l.Topic, p, l.NotHosted)
	}
	return part, nil
}

func (l *Log[R]) encode(recs []R) []records.Record {
	rs := make([]records.Record, len(recs))
	for i, r := range recs {
		k, v := l.Codec.Encode(r)
		rs[i] = records.Record{OffsetDelta: int32(i), Key: k, Value: v, ValueNull: v == nil}
	}
	return rs
}

// Append writes recs to partition p as one uncompressed batch and waits
// until the high watermark covers it (acks=all).
func (l *Log[R]) Append(ctx context.Context, p int32, recs []R) error {
	part, err := l.partition(p)
	if err != nil {
		return err
	}
	h := records.Header{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, BaseTimestamp: time.Now().UnixMilli()}
	if l.Hook == nil {
		return appendAndWait(ctx, part, h, l.encode(recs), nil)
	}
	if err := l.Hook(ctx, recs, false); err != nil {
		return err
	}
	return appendAndWait(ctx, part, h, l.encode(recs), func() error { return l.Hook(ctx, recs, true) })
}

// AppendTxn writes recs as one transactional batch of producer pid at
// epoch, without a sequence (a coordinator's write, such as a group's
// transactional offset commit), and waits until the high watermark covers
// it.
func (l *Log[R]) AppendTxn(ctx context.Context, p int32, pid int64, epoch int16, recs []R) error {
	part, err := l.partition(p)
	if err != nil {
		return err
	}
	h := records.Header{Attributes: 0x10, ProducerID: pid, ProducerEpoch: epoch, BaseSequence: -1,
		BaseTimestamp: time.Now().UnixMilli()}
	err = appendAndWait(ctx, part, h, l.encode(recs), nil)
	if l.Fenced != nil && errors.Is(err, partition.ErrInvalidProducerEpoch) {
		return fmt.Errorf("%w: %w", l.Fenced, err)
	}
	return err
}

// appendAndWait writes rs as one uncompressed batch to part and waits
// until the high watermark covers it (acks=all). appended, when set, runs
// in between (a test hook).
func appendAndWait(ctx context.Context, part *partition.Partition, h records.Header, rs []records.Record,
	appended func() error) error {
	batch, err := records.AppendBatch(nil, h, rs, records.None)
	if err != nil {
		return err
	}
	res, err := part.Append(batch)
	if err != nil {
		return fmt.Errorf("append to %s-%d: %w", part.Topic, part.Index, err)
	}
	if appended != nil {
		if err := appended(); err != nil {
			return err
		}
	}
	return waitHighWatermark(ctx, part, res.LastOffset+1)
}

func waitHighWatermark(ctx context.Context, part *partition.Partition, target int64) error {
	if part.HighWatermark() >= target {
		return nil
	}
	w := partition.NewWaiter()
	stop := part.Watch(w)
	defer stop()
	for part.HighWatermark() < target {
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for high watermark %d: %w", target, ctx.Err())
		case <-w:
		}
	}
	return nil
}

// Replay calls fn for every record of partition p, in offset order, from
// its log start to its log end offset at the time of the call, as Kafka's
// coordinators load their partitions. A new leader's high watermark can
// lag records it holds (it learns the old leader's one fetch late, or
// restarts from a checkpoint seconds old), and those records are
// committed under it or will be: offset commits and transaction
// completions the old leader acknowledged, and the markers ending
// transactional offset commits. Loaded only to the high watermark, a new
// coordinator lost such commits, or missed a transaction's completion and
// re-sent its markers into the next transaction.
func (l *Log[R]) Replay(ctx context.Context, p int32, fn func(R) error) error {
	part, err := l.partition(p)
	if err != nil {
		return err
	}
	emit := func(e Entry) error {
		if r, ok := l.Codec.Decode(e); ok {
			return fn(r)
		}
		return nil
	}
	end := part.LogEndOffset()
	for off := part.LogStartOffset(); off < end; {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := part.ReadForReplica(off, replayReadBytes)
		if err != nil {
			return fmt.Errorf("read %s-%d at %d: %w", l.Topic, p, off, err)
		}
		next, err := replayBatches(data, off, end, emit)
		if err != nil {
			return err
		}
		if next <= off {
			break // nothing readable below end
		}
		off = next
	}
	return nil
}

// replayBatches feeds the records of data with offsets in [from, end) to fn
// and returns the offset after the last batch.
func replayBatches(data []byte, from, end int64, fn func(Entry) error) (int64, error) {
	next := from
	for {
		batch, rest, err := records.Next(data)
		if errors.Is(err, io.EOF) {
			return next, nil
		}
		if err != nil {
			return next, err
		}
		data = rest
		h, err := records.ParseHeader(batch)
		if err != nil {
			return next, err
		}
		if h.LastOffset() < from {
			continue
		}
		next = h.LastOffset() + 1
		if h.IsControl() {
			if err := replayMarker(batch, h, from, fn); err != nil {
				return next, err
			}
			continue
		}
		var ferr error
		err = records.ForEachRecord(batch, func(r records.Record) bool {
			if o := r.Offset(h); o < from || o >= end {
				return true
			}
			e := Entry{Key: append([]byte(nil), r.Key...), Txn: h.IsTransactional(), ProducerID: h.ProducerID}
			if !r.ValueNull {
				e.Value = append([]byte{}, r.Value...)
			}
			ferr = fn(e)
			return ferr == nil
		})
		if err != nil {
			return next, err
		}
		if ferr != nil {
			return next, ferr
		}
	}
}

// replayMarker reports a transaction marker to a replay (the group
// coordinator applies or drops the producer's pending offsets).
func replayMarker(batch []byte, h records.Header, from int64, fn func(Entry) error) error {
	if !h.IsTransactional() || h.BaseOffset < from {
		return nil
	}
	commit, ok := txnstate.MarkerType(batch)
	if !ok {
		return nil
	}
	m := AbortMarker
	if commit {
		m = CommitMarker
	}
	return fn(Entry{ProducerID: h.ProducerID, Marker: m})
}
