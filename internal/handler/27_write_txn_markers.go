package handler

// WriteTxnMarkers, versions 0–1 (broker to broker).
//
// The transaction coordinator sends this to each partition leader when a
// transaction ends. For every partition the leader appends a commit or
// abort control batch with the producer's id and epoch (an epoch newer than
// the partition knows fences the older one) and answers once the marker is
// replicated (acks=all), so that the coordinator can complete the
// transaction. A marker on a __consumer_offsets partition also makes the
// group coordinator apply or drop the producer's pending offset commits.
// A partition not led here answers NOT_LEADER_OR_FOLLOWER.

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/group"
	"github.com/samsa-io/samsa/internal/partition"
)

var writeTxnMarkersAPI = api{key: kmsg.WriteTxnMarkers, min: 0, max: 1, serve: (*Handler).writeTxnMarkers,
	authz: authzFromTable, denyItems: denyWriteTxnMarkersItems}

// txnGroups is the part of the group coordinator that takes part in
// transactions (*group.Coordinator has it).
type txnGroups interface {
	TxnCommit(ctx context.Context, req group.TxnCommitRequest) ([]error, error)
	CompleteTxn(offsetsPartition int32, producerID int64, commit bool)
}

func (h *Handler) writeTxnMarkers(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.WriteTxnMarkersRequest)
	resp := req.ResponseKind().(*kmsg.WriteTxnMarkersResponse)
	for _, m := range req.Markers {
		rm := kmsg.NewWriteTxnMarkersResponseMarker()
		rm.ProducerID = m.ProducerID
		for _, t := range m.Topics {
			rt := kmsg.NewWriteTxnMarkersResponseMarkerTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewWriteTxnMarkersResponseMarkerTopicPartition()
				rp.Partition = p
				if err := h.writeMarker(ctx, t.Topic, p, m); err != nil {
					rp.ErrorCode = errorCode(err)
					h.Logger.Debug("write transaction marker", "topic", t.Topic, "partition", p, "err", err)
				}
				rt.Partitions = append(rt.Partitions, rp)
			}
			rm.Topics = append(rm.Topics, rt)
		}
		resp.Markers = append(resp.Markers, rm)
	}
	return resp
}

func (h *Handler) writeMarker(ctx context.Context, topic string, idx int32, m kmsg.WriteTxnMarkersRequestMarker) error {
	p := h.Partitions.Partition(topic, idx)
	if p == nil {
		if _, ok := h.Image().PartitionOf(topic, idx); !ok {
			return partition.ErrUnknownPartition
		}
		return partition.ErrNotLeader
	}
	res, err := p.WriteMarker(m.ProducerID, m.ProducerEpoch, m.Committed, m.CoordinatorEpoch)
	if err != nil {
		return err
	}
	if err := waitReplicated(ctx, p, res.LastOffset+1); err != nil {
		return err
	}
	if topic == group.OffsetsTopic {
		if tg, ok := h.Groups.(txnGroups); ok {
			tg.CompleteTxn(idx, m.ProducerID, m.Committed)
		}
	}
	return nil
}

// waitReplicated waits until p's high watermark reaches target, for at most
// 30 seconds or until ctx ends (then NOT_ENOUGH_REPLICAS-like timeout).
func waitReplicated(ctx context.Context, p *partition.Partition, target int64) error {
	if p.HighWatermark() >= target {
		return nil
	}
	w := partition.NewWaiter()
	stop := p.Watch(w)
	defer stop()
	timer := time.NewTimer(30 * time.Second)
	defer timer.Stop()
	for p.HighWatermark() < target {
		if !p.IsLeader() {
			return partition.ErrNotLeader
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for marker replication: %w", ctx.Err())
		case <-timer.C:
			return fmt.Errorf("wait for marker replication: %w", kerr.RequestTimedOut)
		case <-w:
		}
	}
	return nil
}

// denyWriteTxnMarkersItems answers every item of a WriteTxnMarkers request
// refused whole with code (api.denyItems).
func denyWriteTxnMarkersItems(req kmsg.Request, resp kmsg.Response, code *kerr.Error) {
	r := req.(*kmsg.WriteTxnMarkersRequest)
	out := resp.(*kmsg.WriteTxnMarkersResponse)
	for _, m := range r.Markers {
		rm := kmsg.NewWriteTxnMarkersResponseMarker()
		rm.ProducerID = m.ProducerID
		for _, t := range m.Topics {
			rt := kmsg.NewWriteTxnMarkersResponseMarkerTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewWriteTxnMarkersResponseMarkerTopicPartition()
				rp.Partition, rp.ErrorCode = p, code.Code
				rt.Partitions = append(rt.Partitions, rp)
			}
			rm.Topics = append(rm.Topics, rt)
		}
		out.Markers = append(out.Markers, rm)
	}
}
