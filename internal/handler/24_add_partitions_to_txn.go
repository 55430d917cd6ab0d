package handler

// AddPartitionsToTxn, versions 0–3 (the producer's form; v4+ is the
// broker-to-broker verification of KIP-890, not advertised).
//
// Every partition must exist, else UNKNOWN_TOPIC_OR_PARTITION on the
// unknown ones and OPERATION_NOT_ATTEMPTED on the rest; otherwise the
// coordinator's answer (success, PRODUCER_FENCED, CONCURRENT_TRANSACTIONS,
// NOT_COORDINATOR, ...) is put on every partition.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/txn"
)

var addPartitionsToTxnAPI = api{key: kmsg.AddPartitionsToTxn, min: 0, max: 3, serve: (*Handler).addPartitionsToTxn}

func (h *Handler) addPartitionsToTxn(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.AddPartitionsToTxnRequest)
	resp := req.ResponseKind().(*kmsg.AddPartitionsToTxnResponse)
	im := h.Image()
	var parts []txn.TopicPartition
	unknown := make(map[txn.TopicPartition]bool)
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			tp := txn.TopicPartition{Topic: t.Topic, Partition: p}
			if _, ok := im.PartitionOf(t.Topic, p); !ok {
				unknown[tp] = true
			}
			parts = append(parts, tp)
		}
	}
	code := kerr.OperationNotAttempted.Code
	if len(unknown) == 0 {
		code = 0
		if err := h.Txn.AddPartitions(ctx, req.TransactionalID, req.ProducerID, req.ProducerEpoch, parts); err != nil {
			code = txnErrorCode(err)
		}
	}
	for _, t := range req.Topics {
		rt := kmsg.NewAddPartitionsToTxnResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewAddPartitionsToTxnResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p, code
			if unknown[txn.TopicPartition{Topic: t.Topic, Partition: p}] {
				rp.ErrorCode = kerr.UnknownTopicOrPartition.Code
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}
