package handler

// OffsetFetch, versions 1–9.
//
// v1–7 fetch one group, v8+ many (each with its own error). No topics
// (null, v2+) means every partition with a committed offset. A partition
// without a commit answers offset -1. Group-level errors (NOT_COORDINATOR,
// COORDINATOR_LOAD_IN_PROGRESS) are the top-level error from v2 and are
// repeated on every partition for v1. RequireStable (v7+, KIP-447): a
// partition whose transactional offset commit is still pending (its
// transaction not yet committed or aborted) answers UNSTABLE_OFFSET_COMMIT,
// which clients retry. v9 member id/epoch are ignored (classic groups
// only).

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/group"
)

var offsetFetchAPI = api{key: kmsg.OffsetFetch, min: 1, max: 9, serve: (*Handler).offsetFetch,
	authz: authzOffsetFetch, denyItems: denyOffsetFetchItems}

func (h *Handler) offsetFetch(_ context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.OffsetFetchRequest)
	resp := req.ResponseKind().(*kmsg.OffsetFetchResponse)
	if req.Version >= 8 {
		for _, rg := range req.Groups {
			var tps []group.TopicPartition // nil: all partitions
			if rg.Topics != nil {
				tps = []group.TopicPartition{}
			}
			for _, t := range rg.Topics {
				tps = appendTPs(tps, t.Topic, t.Partitions)
			}
			fetched, err := h.Groups.FetchOffsets(rg.Group, tps)
			sg := kmsg.NewOffsetFetchResponseGroup()
			sg.Group, sg.ErrorCode = rg.Group, errorCode(err)
			if err == nil {
				sg.Topics = groupTopics(fetched)
				if req.RequireStable {
					h.markUnstable(rg.Group, sg.Topics)
				}
			}
			resp.Groups = append(resp.Groups, sg)
		}
		return resp
	}
	var tps []group.TopicPartition // nil: all partitions
	if req.Topics != nil {
		tps = []group.TopicPartition{}
	}
	for _, t := range req.Topics {
		tps = appendTPs(tps, t.Topic, t.Partitions)
	}
	fetched, err := h.Groups.FetchOffsets(req.Group, tps)
	if err != nil && req.Version >= 2 {
		resp.ErrorCode = errorCode(err)
		return resp
	}
	if err != nil { // v1: the error on every requested partition
		for _, tp := range tps {
			fetched = append(fetched, group.FetchedOffset{TopicPartition: tp, Offset: -1, LeaderEpoch: -1})
		}
	}
	for _, gt := range groupTopics(fetched) {
		rt := kmsg.NewOffsetFetchResponseTopic()
		rt.Topic = gt.Topic
		for _, gp := range gt.Partitions {
			rp := kmsg.NewOffsetFetchResponseTopicPartition()
			rp.Partition, rp.Offset, rp.LeaderEpoch, rp.Metadata = gp.Partition, gp.Offset, gp.LeaderEpoch, gp.Metadata
			rp.ErrorCode = errorCode(err)
			if err == nil && req.RequireStable && h.pendingTxnOffset(req.Group, gt.Topic, gp.Partition) {
				rp.ErrorCode = kerr.UnstableOffsetCommit.Code
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

func appendTPs(tps []group.TopicPartition, topic string, parts []int32) []group.TopicPartition {
	for _, p := range parts {
		tps = append(tps, group.TopicPartition{Topic: topic, Partition: p})
	}
	return tps
}

// groupTopics groups fetched offsets by topic, keeping their order.
func groupTopics(fetched []group.FetchedOffset) []kmsg.OffsetFetchResponseGroupTopic {
	var out []kmsg.OffsetFetchResponseGroupTopic
	index := make(map[string]int)
	for _, f := range fetched {
		i, ok := index[f.Topic]
		if !ok {
			i = len(out)
			index[f.Topic] = i
			t := kmsg.NewOffsetFetchResponseGroupTopic()
			t.Topic = f.Topic
			out = append(out, t)
		}
		p := kmsg.NewOffsetFetchResponseGroupTopicPartition()
		md := f.Metadata
		p.Partition, p.Offset, p.LeaderEpoch, p.Metadata = f.Partition, f.Offset, f.LeaderEpoch, &md
		out[i].Partitions = append(out[i].Partitions, p)
	}
	return out
}

// pendingTxnOffsets is the part of the group coordinator that knows about
// transactional offset commits (*group.Coordinator has it).
type pendingTxnOffsets interface {
	PendingTxnOffset(groupID string, tp group.TopicPartition) bool
}

func (h *Handler) pendingTxnOffset(groupID, topic string, p int32) bool {
	pt, ok := h.Groups.(pendingTxnOffsets)
	return ok && pt.PendingTxnOffset(groupID, group.TopicPartition{Topic: topic, Partition: p})
}

// markUnstable sets UNSTABLE_OFFSET_COMMIT on partitions with a pending
// transactional commit (RequireStable).
func (h *Handler) markUnstable(groupID string, topics []kmsg.OffsetFetchResponseGroupTopic) {
	for i := range topics {
		for j := range topics[i].Partitions {
			if h.pendingTxnOffset(groupID, topics[i].Topic, topics[i].Partitions[j].Partition) {
				topics[i].Partitions[j].ErrorCode = kerr.UnstableOffsetCommit.Code
			}
		}
	}
}

// denyOffsetFetchItems answers every item of an OffsetFetch request refused
// whole with code (api.denyItems).
func denyOffsetFetchItems(req kmsg.Request, resp kmsg.Response, code *kerr.Error) {
	r := req.(*kmsg.OffsetFetchRequest)
	out := resp.(*kmsg.OffsetFetchResponse)
	if r.Version >= 2 { // the top-level error code says it
		return
	}
	for _, t := range r.Topics {
		rt := kmsg.NewOffsetFetchResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetFetchResponseTopicPartition()
			rp.Partition, rp.Offset, rp.LeaderEpoch, rp.ErrorCode = p, -1, -1, code.Code
			rt.Partitions = append(rt.Partitions, rp)
		}
		out.Topics = append(out.Topics, rt)
	}
}
