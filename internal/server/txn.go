package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/samsa-io/samsa/internal/group"
	"github.com/samsa-io/samsa/internal/interbroker"
	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/partition"
	"github.com/samsa-io/samsa/internal/txn"
	"github.com/samsa-io/samsa/protocol/records"
	"github.com/samsa-io/samsa/protocol/txnstate"
)

// startTxn builds the transaction coordinator over this node's
// __transaction_state replicas; the metadata loop keeps its leadership in
// step with the image (applyTxnLeadership).
func (s *Server) startTxn(pids txn.NodeProducerIDs) {
	s.txnMarkers = interbroker.NewMarkerWriter(func() *metadata.Image { return s.ctrl.Image() }, s.interDial, s.logger.With("component", "transactions"))
	s.txns = txn.New(txn.Config{
		NumPartitions:  s.cfg.TransactionStateLogNumPartitions,
		MaxTimeout:     time.Duration(s.cfg.TransactionMaxTimeoutMs) * time.Millisecond,
		AbortInterval:  time.Duration(s.cfg.TransactionAbortCleanupIntervalMs) * time.Millisecond,
		IDExpiration:   time.Duration(s.cfg.TransactionalIdExpirationMs) * time.Millisecond,
		ExpireInterval: time.Duration(s.cfg.TransactionRemoveExpiredIntervalMs) * time.Millisecond,
		NextProducerID: pids.Next,
		Logger:         s.logger.With("component", "transactions"),
	}, txnStateLog{parts: s.parts, hook: s.opts.txnStateAppend}, s.txnMarkers)
}

// applyTxnLeadership tells the coordinator which transaction state
// partitions this node leads, with their leader epochs (the coordinator
// epoch of the markers it writes).
func (s *Server) applyTxnLeadership(im *metadata.Image) {
	led := make(map[int32]int32)
	if t, ok := im.Topic(txn.StateTopic); ok {
		for _, p := range t.Partitions {
			if p.Leader == s.cfg.NodeID && s.parts.Partition(t.Name, p.Index) != nil {
				led[p.Index] = p.LeaderEpoch
			}
		}
	}
	s.txns.SetLeaders(led)
}

// closeTxn stops the coordinator and the marker connections.
func (s *Server) closeTxn() error {
	if s.txns == nil {
		return nil
	}
	err := s.txns.Close()
	s.txnMarkers.Close()
	return err
}

// txnStateLog is txn.Log over the __transaction_state replicas.
type txnStateLog struct {
	parts *partition.Manager
	hook  func(ctx context.Context, recs []txn.Record, appended bool) error // Options.txnStateAppend; nil in production
}

func (l txnStateLog) partition(p int32) (*partition.Partition, error) {
	part := l.parts.Partition(txn.StateTopic, p)
	if part == nil {
		return nil, fmt.Errorf("%s-%d not hosted: %w", txn.StateTopic, p, txn.ErrNotCoordinator)
	}
	return part, nil
}

func (l txnStateLog) Append(ctx context.Context, p int32, recs []txn.Record) error {
	part, err := l.partition(p)
	if err != nil {
		return err
	}
	rs := make([]records.Record, len(recs))
	for i, r := range recs {
		rs[i] = records.Record{OffsetDelta: int32(i), Key: r.Key, Value: r.Value, ValueNull: r.Value == nil}
	}
	h := records.Header{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, BaseTimestamp: time.Now().UnixMilli()}
	if l.hook == nil {
		return appendAndWait(ctx, part, h, rs, nil)
	}
	if err := l.hook(ctx, recs, false); err != nil {
		return err
	}
	return appendAndWait(ctx, part, h, rs, func() error { return l.hook(ctx, recs, true) })
}

// appendAndWait writes rs as one uncompressed batch to an internal topic's
// partition and waits until the high watermark covers it (acks=all).
// appended, when set, runs in between (a test hook).
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

// Replay reads p to its log end offset, not just to the high watermark, as
// Kafka's coordinator loads it: a new leader's high watermark can lag
// records it already holds (it learns the old leader's high watermark one
// fetch late), and those records become committed under it. A coordinator
// that loaded only up to the high watermark could miss a transaction's
// CompleteCommit and the next transaction's start, and then re-send the
// finished transaction's markers, which would commit the next
// transaction's data (issue 11, defect 10).
func (l txnStateLog) Replay(ctx context.Context, p int32, fn func(txn.Record) error) error {
	if _, err := l.partition(p); err != nil {
		return err
	}
	return replayTopic(ctx, l.parts, txn.StateTopic, p, func(r group.Record) error {
		if r.Marker != group.NoMarker {
			return nil
		}
		return fn(txn.Record{Key: r.Key, Value: r.Value})
	})
}

// AppendTxn writes a group's transactional offset commit: one
// transactional batch of the producer, without a sequence.
func (l offsetsLog) AppendTxn(ctx context.Context, p int32, pid int64, epoch int16, recs []group.Record) error {
	part, err := l.partition(p)
	if err != nil {
		return err
	}
	rs := make([]records.Record, len(recs))
	for i, r := range recs {
		rs[i] = records.Record{OffsetDelta: int32(i), Key: r.Key, Value: r.Value, ValueNull: r.Value == nil}
	}
	h := records.Header{Attributes: 0x10, ProducerID: pid, ProducerEpoch: epoch, BaseSequence: -1,
		BaseTimestamp: time.Now().UnixMilli()}
	err = appendAndWait(ctx, part, h, rs, nil)
	if errors.Is(err, partition.ErrInvalidProducerEpoch) {
		return fmt.Errorf("%w: %w", group.ErrProducerFenced, err)
	}
	return err
}

// replayMarker reports a transaction marker to a replay (the group
// coordinator applies or drops the producer's pending offsets).
func replayMarker(batch []byte, h records.Header, from int64, fn func(group.Record) error) error {
	if !h.IsTransactional() || h.BaseOffset < from {
		return nil
	}
	commit, ok := txnstate.MarkerType(batch)
	if !ok {
		return nil
	}
	m := group.AbortMarker
	if commit {
		m = group.CommitMarker
	}
	return fn(group.Record{ProducerID: h.ProducerID, Marker: m})
}
