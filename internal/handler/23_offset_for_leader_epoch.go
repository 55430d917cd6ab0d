package handler

// OffsetForLeaderEpoch, versions 2–4.
//
// Answered by the partition's leader from its leader-epoch cache (the
// leader-epoch-checkpoint file): for the requested epoch, the largest epoch
// the leader knows that is <= it, and the offset where that epoch ends (the
// next epoch's start, or the log end offset for the latest). A follower
// meeting a new leader truncates its log to that offset (KIP-101/279);
// consumers use it to detect log truncation (KIP-320). An epoch older than
// every known epoch is answered with epoch -1 and end offset -1.
// CurrentLeaderEpoch is checked as in Fetch: older is FENCED_LEADER_EPOCH,
// newer UNKNOWN_LEADER_EPOCH. A non-leader answers NOT_LEADER_OR_FOLLOWER.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/metadata"
)

var offsetForLeaderEpochAPI = api{key: kmsg.OffsetForLeaderEpoch, min: 2, max: 4, serve: (*Handler).offsetForLeaderEpoch,
	authz: authzOffsetForLeaderEpoch}

func (h *Handler) offsetForLeaderEpoch(_ context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.OffsetForLeaderEpochRequest)
	resp := req.ResponseKind().(*kmsg.OffsetForLeaderEpochResponse)
	im := h.Image()
	for _, rt := range req.Topics {
		st := kmsg.NewOffsetForLeaderEpochResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			st.Partitions = append(st.Partitions, h.epochEndOffset(im, rt.Topic, rp))
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp
}

func (h *Handler) epochEndOffset(im *metadata.Image, topic string,
	rp kmsg.OffsetForLeaderEpochRequestTopicPartition) kmsg.OffsetForLeaderEpochResponseTopicPartition {
	sp := kmsg.NewOffsetForLeaderEpochResponseTopicPartition()
	sp.Partition = rp.Partition
	sp.LeaderEpoch, sp.EndOffset = -1, -1
	pm, ok := im.PartitionOf(topic, rp.Partition)
	if !ok {
		sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
		return sp
	}
	p := h.Partitions.Partition(topic, rp.Partition)
	if p == nil || pm.Leader != h.NodeID || !p.IsLeader() {
		sp.ErrorCode = kerr.NotLeaderForPartition.Code
		return sp
	}
	if code := leaderEpochError(rp.CurrentLeaderEpoch, p.LeaderEpoch()); code != 0 {
		sp.ErrorCode = code
		return sp
	}
	sp.LeaderEpoch, sp.EndOffset = p.EndOffsetForEpoch(rp.LeaderEpoch)
	return sp
}
