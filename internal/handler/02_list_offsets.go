package handler

// ListOffsets, versions 1–7.
//
// Timestamp -2 is the log start offset, -1 the latest offset (the high
// watermark; with read_committed the last stable offset, which is the same
// until transactions exist), -3 (v7, KIP-734) the record with the largest
// timestamp. Any other timestamp finds the first record whose timestamp is
// at or after it; when there is none the answer is offset -1, timestamp -1,
// as Kafka gives. A partition named twice gets INVALID_REQUEST (each time),
// and only the leader answers.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/partition"
)

var listOffsetsAPI = api{key: kmsg.ListOffsets, min: 1, max: 7, serve: (*Handler).listOffsets,
	authz: authzListOffsets}

const (
	offsetLatest       = -1
	offsetEarliest     = -2
	offsetMaxTimestamp = -3
)

func (h *Handler) listOffsets(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.ListOffsetsRequest)
	resp := req.ResponseKind().(*kmsg.ListOffsetsResponse)
	im := h.Image()
	count := make(map[partition.TopicPartition]int)
	for _, rt := range req.Topics {
		for _, rp := range rt.Partitions {
			count[partition.TopicPartition{Topic: rt.Topic, Partition: rp.Partition}]++
		}
	}
	for _, rt := range req.Topics {
		st := kmsg.NewListOffsetsResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			var sp kmsg.ListOffsetsResponseTopicPartition
			if count[partition.TopicPartition{Topic: rt.Topic, Partition: rp.Partition}] > 1 {
				sp = kmsg.NewListOffsetsResponseTopicPartition()
				sp.Partition, sp.ErrorCode, sp.Offset, sp.Timestamp, sp.LeaderEpoch = rp.Partition, kerr.InvalidRequest.Code, -1, -1, -1
			} else {
				sp = h.listPartitionOffset(ctx, im, rt.Topic, rp, req.IsolationLevel == 1)
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp
}

func (h *Handler) listPartitionOffset(ctx context.Context, im *metadata.Image, topic string,
	rp kmsg.ListOffsetsRequestTopicPartition, readCommitted bool) kmsg.ListOffsetsResponseTopicPartition {
	sp := kmsg.NewListOffsetsResponseTopicPartition()
	sp.Partition, sp.Offset, sp.Timestamp, sp.LeaderEpoch = rp.Partition, -1, -1, -1
	pm, ok := im.PartitionOf(topic, rp.Partition)
	if !ok {
		sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
		return sp
	}
	var p *partition.Partition
	if pm.Leader == h.NodeID {
		p = h.Partitions.AwaitPartition(ctx, topic, rp.Partition, im.AppliedIndex) // a topic just created may still be opening
	}
	if pm.Leader == h.NodeID && h.Partitions.Offline(topic, rp.Partition) != nil { // failed to open, or a write failed since
		sp.ErrorCode = kerr.KafkaStorageError.Code
		return sp
	}
	if p == nil || pm.Leader != h.NodeID {
		sp.ErrorCode = kerr.NotLeaderForPartition.Code
		return sp
	}
	if code := leaderEpochError(rp.CurrentLeaderEpoch, p.LeaderEpoch()); code != 0 {
		sp.ErrorCode = code
		return sp
	}
	sp.LeaderEpoch = p.LeaderEpoch()
	switch rp.Timestamp {
	case offsetLatest:
		sp.Offset = p.HighWatermark()
		if readCommitted { // read_committed ends at the last stable offset
			sp.Offset = p.LastStableOffset()
		}
	case offsetEarliest:
		sp.Offset = p.LogStartOffset()
	case offsetMaxTimestamp:
		sp.Offset, sp.Timestamp = p.MaxTimestamp()
		if sp.Offset < 0 {
			sp.Timestamp = -1
		} else {
			sp.LeaderEpoch = p.EpochOf(sp.Offset) // the epoch of the batch found, as Kafka answers
		}
	default:
		off, ts, found, err := p.OffsetForTimestamp(rp.Timestamp)
		if err != nil {
			sp.ErrorCode = errorCode(err)
			return sp
		}
		if found {
			sp.Offset, sp.Timestamp, sp.LeaderEpoch = off, ts, p.EpochOf(off)
		}
	}
	return sp
}
