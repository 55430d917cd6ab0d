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
// acks=0 gets no response; acks=1 is answered once the batch is in the
// leader's log. acks=-1 is answered once the high watermark passes the
// batch (every ISR member has it; on a single replica at once): all
// partitions are appended first, then the request waits for all of them,
// bounded by TimeoutMillis (REQUEST_TIMED_OUT), so one slow partition never
// holds back another's append. acks=-1 with fewer in-sync replicas than
// min.insync.replicas is refused with NOT_ENOUGH_REPLICAS before anything
// is written; if the ISR shrinks below it while waiting the answer is
// NOT_ENOUGH_REPLICAS_AFTER_APPEND (the batch is in the log but may be
// lost). A follower answers NOT_LEADER_OR_FOLLOWER.
// A retried batch already written is answered with its original offsets.

import (
	"context"
	"errors"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/partition"
)

var produceAPI = api{key: kmsg.Produce, min: 0, max: 11, serve: (*Handler).produce,
	authz: authzProduce, parks: produceParks, bytes: produceByteRate}

// ackWait is one appended partition an acks=-1 request waits for.
type ackWait struct {
	p          *partition.Partition
	offset     int64 // one past the batch's last offset
	epoch      int32 // leader epoch of the append
	topic, idx int
}

func (h *Handler) produce(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.ProduceRequest)
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	im := h.Image()
	badAcks := req.Acks != 0 && req.Acks != 1 && req.Acks != -1
	var waits []ackWait
	for ti, rt := range req.Topics {
		st := kmsg.NewProduceResponseTopic()
		st.Topic = rt.Topic
		for pi, rp := range rt.Partitions {
			sp := kmsg.NewProduceResponseTopicPartition()
			sp.Partition = rp.Partition
			switch {
			case req.Version < 3:
				sp.ErrorCode = kerr.UnsupportedVersion.Code
			case badAcks:
				sp.ErrorCode = kerr.InvalidRequiredAcks.Code
			default:
				if p, res := h.producePartition(ctx, im, rt.Topic, rp, req.Acks, &sp); p != nil && req.Acks == -1 {
					waits = append(waits, ackWait{p: p, offset: res.LastOffset + 1, epoch: res.LeaderEpoch, topic: ti, idx: pi})
				}
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	if req.Acks == 0 {
		return nil
	}
	h.waitForAcks(ctx, time.Duration(max(req.TimeoutMillis, 0))*time.Millisecond, waits, resp)
	return resp
}

// waitForAcks waits until every appended partition's high watermark passes
// its batch, or the request's timeout. One deadline covers all of them, so
// waiting in turn costs no more than waiting in parallel.
func (h *Handler) waitForAcks(ctx context.Context, timeout time.Duration, waits []ackWait, resp *kmsg.ProduceResponse) {
	answer := func(w ackWait, err error) {
		if err == nil {
			return
		}
		sp := &resp.Topics[w.topic].Partitions[w.idx]
		sp.ErrorCode, sp.ErrorMessage = errorCode(err), errorMessage(err)
		if !errors.Is(err, partition.ErrNotEnoughReplicasAfterAppend) {
			sp.BaseOffset, sp.LogAppendTime = -1, -1
		}
	}
	// Most waits are over already (a single replica, or followers that
	// were quick): answer those without a timer.
	pending := waits[:0]
	for _, w := range waits {
		if done, err := w.p.Committed(w.offset, w.epoch); done {
			answer(w, err)
		} else {
			pending = append(pending, w)
		}
	}
	if len(pending) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, w := range pending {
		answer(w, w.p.WaitForCommit(ctx, w.offset, w.epoch))
	}
}

// producePartition appends one partition's batch and returns the partition
// and the append's result when it was written (nil otherwise).
func (h *Handler) producePartition(ctx context.Context, im *metadata.Image, topic string, rp kmsg.ProduceRequestTopicPartition,
	acks int16, sp *kmsg.ProduceResponseTopicPartition) (*partition.Partition, partition.AppendResult) {
	sp.BaseOffset, sp.LogAppendTime, sp.LogStartOffset = -1, -1, -1
	pm, ok := im.PartitionOf(topic, rp.Partition)
	if !ok {
		sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
		return nil, partition.AppendResult{}
	}
	var p *partition.Partition
	if pm.Leader == h.NodeID {
		p = h.Partitions.AwaitPartition(ctx, topic, rp.Partition, im.AppliedIndex) // a topic just created may still be opening
	}
	if p == nil && pm.Leader == h.NodeID {
		if err := h.Partitions.Offline(topic, rp.Partition); err != nil {
			sp.ErrorCode, sp.ErrorMessage = errorCode(err), errorMessage(err) // KAFKA_STORAGE_ERROR
			return nil, partition.AppendResult{}
		}
	}
	if p == nil || pm.Leader != h.NodeID {
		sp.ErrorCode = kerr.NotLeaderForPartition.Code
		return nil, partition.AppendResult{}
	}
	if len(rp.Records) == 0 {
		sp.ErrorCode = kerr.InvalidRecord.Code
		msg := "Produce requests must have at least one record batch per partition"
		sp.ErrorMessage = &msg
		return nil, partition.AppendResult{}
	}
	if acks == -1 {
		if err := p.CheckMinISR(h.Partitions.ReplicaLagTimeMax()); err != nil {
			sp.ErrorCode, sp.ErrorMessage = errorCode(err), errorMessage(err)
			return nil, partition.AppendResult{}
		}
	}
	res, err := p.Append(rp.Records)
	h.Metrics.Produced(topic, res.LastOffset-res.BaseOffset+1, len(rp.Records), err != nil)
	if err != nil {
		sp.ErrorCode = errorCode(err)
		sp.ErrorMessage = errorMessage(err)
		if sp.ErrorCode == kerr.UnknownServerError.Code {
			h.Logger.Error("produce failed", "topic", topic, "partition", rp.Partition, "err", err)
		}
		return nil, partition.AppendResult{}
	}
	sp.BaseOffset, sp.LogAppendTime, sp.LogStartOffset = res.BaseOffset, res.LogAppendTime, res.LogStartOffset
	return p, res
}
