package handler

// AlterPartition, versions 0–3 (KIP-497), served by the active controller
// only (NOT_CONTROLLER elsewhere).
//
// A partition leader proposes a new ISR with the leader epoch and partition
// epoch it computed it from; the controller applies it only if both still
// match (FENCED_LEADER_EPOCH / INVALID_UPDATE_VERSION otherwise), the sender
// leads the partition (NOT_LEADER_OR_FOLLOWER), and the ISR holds the
// leader and only replicas, any added one unfenced (INELIGIBLE_REPLICA).
// The sender's BrokerEpoch must be its registered one: a previous
// incarnation's request is refused with a top-level STALE_BROKER_EPOCH.
// The answer carries the partition's state afterwards. v0–1 name topics,
// v2+ use topic IDs; v3's NewEpochISR broker epochs are not checked.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/controller"
)

var alterPartitionAPI = api{key: kmsg.AlterPartition, min: 0, max: 3, serve: (*Handler).alterPartition,
	authz: authzFromTable}

func (h *Handler) alterPartition(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.AlterPartitionRequest)
	resp := req.ResponseKind().(*kmsg.AlterPartitionResponse)
	if h.Cluster == nil {
		resp.ErrorCode = kerr.NotController.Code
		return resp
	}
	im := h.Image()
	for _, rt := range req.Topics {
		st := kmsg.NewAlterPartitionResponseTopic()
		st.Topic, st.TopidID = rt.Topic, rt.TopicID
		id := rt.TopicID
		if req.Version < 2 {
			if t, ok := im.Topic(rt.Topic); ok {
				id = t.ID
			}
		}
		for _, rp := range rt.Partitions {
			sp := h.alterOne(ctx, req, id, rp)
			switch sp.ErrorCode {
			case kerr.NotController.Code, kerr.StaleBrokerEpoch.Code:
				// Leadership moved mid-request, or the sender is a
				// previous incarnation: the whole request fails.
				resp.ErrorCode = sp.ErrorCode
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp
}

func (h *Handler) alterOne(ctx context.Context, req *kmsg.AlterPartitionRequest, topicID [16]byte,
	rp kmsg.AlterPartitionRequestTopicPartition) kmsg.AlterPartitionResponseTopicPartition {
	sp := kmsg.NewAlterPartitionResponseTopicPartition()
	sp.Partition = rp.Partition
	isr := rp.NewISR
	if req.Version >= 3 {
		isr = make([]int32, 0, len(rp.NewEpochISR))
		for _, m := range rp.NewEpochISR {
			isr = append(isr, m.BrokerID)
		}
	}
	p, err := h.Cluster.AlterPartition(ctx, controller.AlterPartitionRequest{BrokerID: req.BrokerID,
		BrokerEpoch: req.BrokerEpoch, TopicID: topicID, Partition: rp.Partition, LeaderEpoch: rp.LeaderEpoch,
		PartitionEpoch: rp.PartitionEpoch, ISR: isr})
	sp.ErrorCode = errorCode(err)
	sp.LeaderID, sp.LeaderEpoch, sp.ISR, sp.PartitionEpoch = p.Leader, p.LeaderEpoch, p.ISR, p.PartitionEpoch
	return sp
}
