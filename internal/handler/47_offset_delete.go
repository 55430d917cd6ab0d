package handler

// OffsetDelete, version 0.
//
// Deletes committed offsets of a group. Partitions of topics the group's
// active members subscribe to get GROUP_SUBSCRIBED_TO_TOPIC; a non-empty
// group that is not a "consumer" group gets NON_EMPTY_GROUP; an unknown
// group GROUP_ID_NOT_FOUND; partitions of unknown topics
// UNKNOWN_TOPIC_OR_PARTITION.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/group"
)

var offsetDeleteAPI = api{key: kmsg.OffsetDelete, min: 0, max: 0, serve: (*Handler).offsetDelete,
	authz: authzOffsetDelete}

func (h *Handler) offsetDelete(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.OffsetDeleteRequest)
	resp := req.ResponseKind().(*kmsg.OffsetDeleteResponse)
	im := h.Image()
	var tps []group.TopicPartition
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			if _, ok := im.PartitionOf(t.Topic, p.Partition); ok {
				tps = append(tps, group.TopicPartition{Topic: t.Topic, Partition: p.Partition})
			}
		}
	}
	errs, err := h.Groups.DeleteOffsets(ctx, req.Group, tps)
	if err != nil {
		resp.ErrorCode = errorCode(err)
		return resp
	}
	k := 0
	for _, t := range req.Topics {
		rt := kmsg.NewOffsetDeleteResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetDeleteResponseTopicPartition()
			rp.Partition = p.Partition
			if _, ok := im.PartitionOf(t.Topic, p.Partition); !ok {
				rp.ErrorCode = kerr.UnknownTopicOrPartition.Code
			} else {
				rp.ErrorCode = errorCode(errs[k])
				k++
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}
