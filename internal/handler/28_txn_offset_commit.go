package handler

// TxnOffsetCommit, versions 0–5.
//
// Sent by a transactional producer to the group coordinator: the offsets
// are written to __consumer_offsets as part of the producer's transaction
// and become the group's committed offsets only when the transaction
// commits (the coordinator's marker reaches that partition). v3 (KIP-447)
// carries the consumer's member id, generation and instance id, checked as
// for OffsetCommit so that a zombie consumer's producer cannot commit.
//
// v4 adds TRANSACTION_ABORTABLE to the codes a client understands (never
// answered here). v5 is KIP-890 part 2's: the client skips AddOffsetsToTxn
// and the commit itself adds the group's __consumer_offsets partition to
// the transaction. Clients send v5 only when the cluster finalizes
// transaction.version 2, which Samsa does not advertise; should one arrive
// anyway, the partition is added here when this node also coordinates
// the transactional id (so its offsets are not left pending with no
// marker to come), and otherwise v5 is served as v4.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/group"
	"github.com/samsa-io/samsa/internal/txn"
)

var txnOffsetCommitAPI = api{key: kmsg.TxnOffsetCommit, min: 0, max: 5, serve: (*Handler).txnOffsetCommit,
	authz: authzTxnOffsetCommit, denyItems: denyTxnOffsetCommitItems}

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
	err := h.implicitAddOffsets(ctx, req)
	if tg, ok := h.Groups.(txnGroups); !ok {
		err = group.ErrCoordinatorUnavailable
	} else if err == nil {
		errs, err = tg.TxnCommit(ctx, gr)
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
				rp.ErrorCode = errorCode(err)
			case i < len(errs) && errs[i] != nil:
				rp.ErrorCode = errorCode(errs[i])
			}
			i++
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

// implicitAddOffsets does, for a v5 request, what AddOffsetsToTxn does
// before older ones, when this node coordinates the transactional id (see
// the file comment).
func (h *Handler) implicitAddOffsets(ctx context.Context, req *kmsg.TxnOffsetCommitRequest) error {
	if req.Version < 5 || req.Group == "" || req.TransactionalID == "" {
		return nil
	}
	if owned, loaded := h.Txn.Status(h.Txn.PartitionFor(req.TransactionalID)); !owned || !loaded {
		return nil
	}
	tp := txn.TopicPartition{Topic: group.OffsetsTopic, Partition: h.Groups.PartitionFor(req.Group)}
	return h.Txn.AddPartitions(ctx, req.TransactionalID, req.ProducerID, req.ProducerEpoch, []txn.TopicPartition{tp})
}

// denyTxnOffsetCommitItems answers every item of a TxnOffsetCommit request
// refused whole with code (api.denyItems).
func denyTxnOffsetCommitItems(req kmsg.Request, resp kmsg.Response, code *kerr.Error) {
	r := req.(*kmsg.TxnOffsetCommitRequest)
	out := resp.(*kmsg.TxnOffsetCommitResponse)
	for _, t := range r.Topics {
		out.Topics = append(out.Topics, txnOffsetCommitErrors(t, code.Code))
	}
}
