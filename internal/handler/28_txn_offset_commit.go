package handler

// TxnOffsetCommit, versions 0–3.
//
// Sent by a transactional producer to the group coordinator: the offsets
// are written to __consumer_offsets as part of the producer's transaction
// and become the group's committed offsets only when the transaction
// commits (the coordinator's marker reaches that partition). v3 (KIP-447)
// carries the consumer's member id, generation and instance id, checked as
// for OffsetCommit so that a zombie consumer's producer cannot commit.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/group"
)

var txnOffsetCommitAPI = api{key: kmsg.TxnOffsetCommit, min: 0, max: 3, serve: (*Handler).txnOffsetCommit}

func (h *Handler) txnOffsetCommit(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.TxnOffsetCommitRequest)
	resp := req.ResponseKind().(*kmsg.TxnOffsetCommitResponse)
	gr := group.TxnCommitRequest{Group: req.Group, MemberID: req.MemberID, InstanceID: deref(req.InstanceID),
		Generation: req.Generation, ProducerID: req.ProducerID, ProducerEpoch: req.ProducerEpoch}
	if req.Version < 3 {
		gr.Generation = -1
	}
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			gr.Offsets = append(gr.Offsets, group.OffsetCommit{
				TopicPartition: group.TopicPartition{Topic: t.Topic, Partition: p.Partition},
				Offset:         p.Offset, LeaderEpoch: p.LeaderEpoch, Metadata: deref(p.Metadata)})
		}
	}
	var errs []error
	var err error
	if tg, ok := h.Groups.(txnGroups); ok {
		errs, err = tg.TxnCommit(ctx, gr)
	} else {
		err = group.ErrCoordinatorUnavailable
	}
	i := 0
	for _, t := range req.Topics {
		rt := kmsg.NewTxnOffsetCommitResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewTxnOffsetCommitResponseTopicPartition()
			rp.Partition = p.Partition
			switch {
			case err != nil:
				rp.ErrorCode = txnErrorCode(err)
			case i < len(errs) && errs[i] != nil:
				rp.ErrorCode = txnErrorCode(errs[i])
			}
			i++
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}
