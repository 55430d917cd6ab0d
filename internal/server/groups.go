package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/samsa-io/samsa/internal/group"
	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/partition"
	"github.com/samsa-io/samsa/protocol/records"
)

// startGroups builds the group coordinator over this node's
// __consumer_offsets replicas. The metadata loop keeps its leadership in
// step with the image (applyGroupLeadership).
func (s *Server) startGroups() {
	s.groups = group.New(group.Config{
		NumPartitions:         s.cfg.OffsetsTopicNumPartitions,
		InitialRebalanceDelay: time.Duration(s.cfg.GroupInitialRebalanceDelayMs) * time.Millisecond,
		MinSessionTimeout:     time.Duration(s.cfg.GroupMinSessionTimeoutMs) * time.Millisecond,
		MaxSessionTimeout:     time.Duration(s.cfg.GroupMaxSessionTimeoutMs) * time.Millisecond,
		OffsetsRetention:      time.Duration(s.cfg.OffsetsRetentionMs) * time.Millisecond,
		PartitionCount: func(topic string) int32 {
			if t, ok := s.ctrl.Image().Topic(topic); ok {
				return int32(len(t.Partitions))
			}
			return 0
		},
		Logger: s.logger.With("component", "groups"),
	}, offsetsLog{parts: s.parts})
}

// applyGroupLeadership tells the coordinator which offsets partitions this
// node leads and hosts in im, with their leader epochs (a new epoch means a
// reload). Called from the metadata loop after the partition manager
// applied im.
func (s *Server) applyGroupLeadership(im *metadata.Image) {
	led := make(map[int32]int32)
	if t, ok := im.Topic(group.OffsetsTopic); ok {
		for _, p := range t.Partitions {
			if p.Leader == s.cfg.NodeID && s.parts.Partition(t.Name, p.Index) != nil {
				led[p.Index] = p.LeaderEpoch
			}
		}
	}
	s.groups.SetLeaders(led)
}

// offsetsLog is group.Log over the partition manager's __consumer_offsets
// replicas.
type offsetsLog struct {
	parts *partition.Manager
}

func (l offsetsLog) partition(p int32) (*partition.Partition, error) {
	part := l.parts.Partition(group.OffsetsTopic, p)
	if part == nil {
		return nil, fmt.Errorf("%s-%d not hosted: %w", group.OffsetsTopic, p, group.ErrNotCoordinator)
	}
	return part, nil
}

// Append writes recs as one uncompressed batch and waits until the high
// watermark covers it (acks=all).
func (l offsetsLog) Append(ctx context.Context, p int32, recs []group.Record) error {
	part, err := l.partition(p)
	if err != nil {
		return err
	}
	rs := make([]records.Record, len(recs))
	for i, r := range recs {
		rs[i] = records.Record{OffsetDelta: int32(i), Key: r.Key, Value: r.Value, ValueNull: r.Value == nil}
	}
	h := records.Header{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, BaseTimestamp: time.Now().UnixMilli()}
	return appendAndWait(ctx, part, h, rs, nil)
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

// Replay reads partition p from its start to its log end offset, as
// Kafka's GroupMetadataManager loads it. A new leader's high watermark can
// lag records it holds (it learns the old leader's one fetch late, or
// restarts from a checkpoint seconds old), and those records are committed
// under it: offset commits the old leader acknowledged, and the markers
// ending transactional offset commits. Loaded only to the high watermark,
// a new coordinator lost such commits and kept committed transactional
// offsets pending (or applied ones whose abort marker it missed) for
// ever, since nothing replays the log again.
func (l offsetsLog) Replay(ctx context.Context, p int32, fn func(group.Record) error) error {
	if _, err := l.partition(p); err != nil {
		return err
	}
	return replayTopic(ctx, l.parts, group.OffsetsTopic, p, fn)
}

// replayTopic reads partition p of an internal topic from its start to its
// log end offset: a new leader's whole log, committed or about to be (its
// followers copy it), as a coordinator must load it (offsetsLog.Replay,
// txnStateLog.Replay).
func replayTopic(ctx context.Context, parts *partition.Manager, topic string, p int32,
	fn func(group.Record) error) error {
	part := parts.Partition(topic, p)
	if part == nil {
		return fmt.Errorf("%s-%d not hosted: %w", topic, p, group.ErrNotCoordinator)
	}
	end := part.LogEndOffset()
	for off := part.LogStartOffset(); off < end; {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := part.ReadForReplica(off, 1<<20)
		if err != nil {
			return fmt.Errorf("read %s-%d at %d: %w", topic, p, off, err)
		}
		next, err := replayBatches(data, off, end, fn)
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
func replayBatches(data []byte, from, end int64, fn func(group.Record) error) (int64, error) {
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
			rec := group.Record{Key: append([]byte(nil), r.Key...), Txn: h.IsTransactional(), ProducerID: h.ProducerID}
			if !r.ValueNull {
				rec.Value = append([]byte{}, r.Value...)
			}
			ferr = fn(rec)
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
