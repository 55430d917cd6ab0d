package handler

// Produce, versions 0–11 advertised, 3–11 served.
//
// Versions 0–2 carry message format v0/v1, which Samsa does not store; like
// Kafka 4 we answer them with UNSUPPORTED_VERSION per partition. They stay
// advertised because librdkafka enables compression only when it sees
// Produce v0 in the table.
//
// Each partition's payload is validated once (magic 2, lengths, CRC32C,
// record count, max.message.bytes) without decompressing, checked against
// the idempotent producer's sequence state, and appended as produced:
// compressed batches are stored and served exactly as the client built them.
// acks=0 gets no response; acks=1 and acks=-1 are answered once the batch is
// in the log (on a single replica the high watermark moves with it).
// acks=-1 with fewer in-sync replicas than min.insync.replicas is refused
// with NOT_ENOUGH_REPLICAS before anything is written.
// A retried batch already written is answered with its original offsets.

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/metadata"
)

var produceAPI = api{key: kmsg.Produce, min: 0, max: 11, serve: (*Handler).produce}

func (h *Handler) produce(_ context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.ProduceRequest)
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	im := h.Image()
	badAcks := req.Acks != 0 && req.Acks != 1 && req.Acks != -1
	for _, rt := range req.Topics {
		st := kmsg.NewProduceResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewProduceResponseTopicPartition()
			sp.Partition = rp.Partition
			switch {
			case req.Version < 3:
				sp.ErrorCode = kerr.UnsupportedVersion.Code
			case badAcks:
				sp.ErrorCode = kerr.InvalidRequiredAcks.Code
			default:
				h.producePartition(im, rt.Topic, rp, req.Acks, &sp)
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	if req.Acks == 0 {
		return nil
	}
	return resp
}

func (h *Handler) producePartition(im *metadata.Image, topic string, rp kmsg.ProduceRequestTopicPartition,
	acks int16, sp *kmsg.ProduceResponseTopicPartition) {
	sp.BaseOffset, sp.LogAppendTime, sp.LogStartOffset = -1, -1, -1
	pm, ok := im.PartitionOf(topic, rp.Partition)
	if !ok {
		sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
		return
	}
	p := h.Partitions.Partition(topic, rp.Partition)
	if p == nil || pm.Leader != h.NodeID {
		sp.ErrorCode = kerr.NotLeaderForPartition.Code
		return
	}
	if len(rp.Records) == 0 {
		sp.ErrorCode = kerr.InvalidRecord.Code
		msg := "Produce requests must have at least one record batch per partition"
		sp.ErrorMessage = &msg
		return
	}
	if minISR := p.Config().MinInsyncReplicas; acks == -1 && len(pm.ISR) < int(minISR) {
		sp.ErrorCode = kerr.NotEnoughReplicas.Code
		msg := fmt.Sprintf("The size of the current ISR %d is insufficient to satisfy the min.isr requirement of %d for partition %s-%d",
			len(pm.ISR), minISR, topic, rp.Partition)
		sp.ErrorMessage = &msg
		return
	}
	res, err := p.Append(rp.Records)
	h.Metrics.Produced(topic, res.LastOffset-res.BaseOffset+1, len(rp.Records), err != nil)
	if err != nil {
		sp.ErrorCode = errorCode(err)
		sp.ErrorMessage = errorMessage(err)
		if sp.ErrorCode == kerr.UnknownServerError.Code {
			h.Logger.Error("produce failed", "topic", topic, "partition", rp.Partition, "err", err)
		}
		return
	}
	sp.BaseOffset, sp.LogAppendTime, sp.LogStartOffset = res.BaseOffset, res.LogAppendTime, res.LogStartOffset
}
