package handler

// DescribeProducers, version 0.
//
// The producers a partition leader knows (from its producer state, which
// is rebuilt from the log): id, epoch, last sequence, and the first offset
// of an open transaction (-1 if none), as kafka-transactions
// describe-producers shows them. A partition not led here answers
// NOT_LEADER_OR_FOLLOWER, an unknown one UNKNOWN_TOPIC_OR_PARTITION.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

var describeProducersAPI = api{key: kmsg.DescribeProducers, min: 0, max: 0, serve: (*Handler).describeProducers,
	authz: authzDescribeProducers}

func (h *Handler) describeProducers(_ context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.DescribeProducersRequest)
	resp := req.ResponseKind().(*kmsg.DescribeProducersResponse)
	im := h.Image()
	for _, t := range req.Topics {
		rt := kmsg.NewDescribeProducersResponseTopic()
		rt.Topic = t.Topic
		for _, idx := range t.Partitions {
			rp := kmsg.NewDescribeProducersResponseTopicPartition()
			rp.Partition = idx
			pm, ok := im.PartitionOf(t.Topic, idx)
			p := h.Partitions.Partition(t.Topic, idx)
			switch {
			case !ok:
				rp.ErrorCode = kerr.UnknownTopicOrPartition.Code
			case p == nil || pm.Leader != h.NodeID:
				rp.ErrorCode = kerr.NotLeaderForPartition.Code
			default:
				for _, pi := range p.Producers() {
					ap := kmsg.NewDescribeProducersResponseTopicPartitionActiveProducer()
					ap.ProducerID, ap.ProducerEpoch, ap.LastSequence = pi.ProducerID, int32(pi.Epoch), pi.LastSequence
					ap.LastTimestamp, ap.CoordinatorEpoch, ap.CurrentTxnStartOffset = pi.LastTimestamp, pi.CoordinatorEpoch, pi.TxnStartOffset
					rp.ActiveProducers = append(rp.ActiveProducers, ap)
				}
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}
