package handler

// DeleteRecords, versions 0–2.
//
// Kafka: for each partition, the leader advances the log start offset to
// the requested offset (-1 means the high watermark) and answers the new
// low watermark. An offset above the high watermark (or below -1) is
// OFFSET_OUT_OF_RANGE; a partition this broker does not lead is
// NOT_LEADER_OR_FOLLOWER; an unknown topic or partition is
// UNKNOWN_TOPIC_OR_PARTITION. A failed partition's low watermark is -1.
//
// Samsa: the same. Leadership is read from the metadata image; the
// partition itself checks the offset against its high watermark. The
// deletion is local and immediate, so TimeoutMillis has nothing to bound.

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/partition"
)

var deleteRecordsAPI = api{key: kmsg.DeleteRecords, min: 0, max: 2, serve: (*Handler).deleteRecords,
	authz: authzDeleteRecords}

// recordDeleter is the part of a hosted partition DeleteRecords uses.
type recordDeleter interface {
	DeleteRecordsBefore(offset int64) (lowWatermark int64, err error)
}

func (h *Handler) deleteRecords(_ context.Context, kreq kmsg.Request) kmsg.Response {
	return h.deleteRecordsFrom(kreq.(*kmsg.DeleteRecordsRequest), h.hostedDeleter)
}

// hostedDeleter returns the partition hosted here, or nil.
func (h *Handler) hostedDeleter(topic string, p int32) recordDeleter {
	if h.Partitions == nil {
		return nil
	}
	if part := h.Partitions.Partition(topic, p); part != nil {
		return part
	}
	return nil // not a typed nil inside the interface
}

// deleteRecordsFrom serves the request with partitions found by lookup.
func (h *Handler) deleteRecordsFrom(req *kmsg.DeleteRecordsRequest, lookup func(string, int32) recordDeleter) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.DeleteRecordsResponse)
	for _, t := range req.Topics {
		rt := kmsg.NewDeleteRecordsResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewDeleteRecordsResponseTopicPartition()
			rp.Partition = p.Partition
			low, err := h.deleteRecordsIn(t.Topic, p.Partition, p.Offset, lookup)
			rp.LowWatermark = low
			rp.ErrorCode = errorCode(err)
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

// deleteRecordsIn deletes the records of one partition before offset and
// returns the new low watermark, or -1 with the error.
func (h *Handler) deleteRecordsIn(topic string, p int32, offset int64, lookup func(string, int32) recordDeleter) (int64, error) {
	mp, ok := h.Image().PartitionOf(topic, p)
	if !ok {
		return -1, fmt.Errorf("%w: %s-%d", partition.ErrUnknownPartition, topic, p)
	}
	d := lookup(topic, p)
	if d == nil || mp.Leader != h.NodeID {
		return -1, fmt.Errorf("%w: %s-%d", partition.ErrNotLeader, topic, p)
	}
	low, err := d.DeleteRecordsBefore(offset)
	if err != nil {
		return -1, fmt.Errorf("delete records of %s-%d: %w", topic, p, err)
	}
	return low, nil
}
