package handler

// AddOffsetsToTxn, versions 0–4 (v4 only adds TRANSACTION_ABORTABLE to the
// codes a client understands, KIP-890; nothing here answers it).
//
// Adds the group's __consumer_offsets partition to the transaction, so
// that the coordinator's markers reach the partition holding the
// transaction's offset commits (TxnOffsetCommit). A v0/v1 producer gets
// INVALID_PRODUCER_EPOCH where later ones get PRODUCER_FENCED.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/group"
	"github.com/samsa-io/samsa/internal/txn"
)

var addOffsetsToTxnAPI = api{key: kmsg.AddOffsetsToTxn, min: 0, max: 4, serve: (*Handler).addOffsetsToTxn,
	authz: authzAddOffsetsToTxn}

func (h *Handler) addOffsetsToTxn(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.AddOffsetsToTxnRequest)
	resp := req.ResponseKind().(*kmsg.AddOffsetsToTxnResponse)
	if req.Group == "" {
		resp.ErrorCode = errorCode(group.ErrInvalidGroupID)
		return resp
	}
	tp := txn.TopicPartition{Topic: group.OffsetsTopic, Partition: h.Groups.PartitionFor(req.Group)}
	if err := h.Txn.AddPartitions(ctx, req.TransactionalID, req.ProducerID, req.ProducerEpoch, []txn.TopicPartition{tp}); err != nil {
		resp.ErrorCode = fencedCode(errorCode(err), req.Version, 2)
	}
	return resp
}
