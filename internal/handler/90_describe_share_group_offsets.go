package handler

// DescribeShareGroupOffsets, versions 0–1 (KIP-932; v1 adds the lag of
// KIP-1226).
//
// For each share group this node coordinates, reports each share-partition's
// start offset (SPSO), the partition's leader epoch and (v1) the lag: the
// records from the SPSO to the high watermark not yet acknowledged or
// archived. Topics null asks for every share-partition the group has. A
// partition the group has no state for answers start offset -1 and lag -1;
// an unknown topic UNKNOWN_TOPIC_OR_PARTITION. Share-partition state lives
// with the partition's leader and is not replicated yet, so this node
// reports the partitions it leads (on a single node, all of them). Needs
// DESCRIBE on the group and on each topic.

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/share"
)

var describeShareGroupOffsetsAPI = api{key: kmsg.DescribeShareGroupOffsets, min: 0, max: 1,
	serve: (*Handler).describeShareGroupOffsets, authz: authzDescribeShareGroupOffsets}

func (h *Handler) describeShareGroupOffsets(_ context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.DescribeShareGroupOffsetsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeShareGroupOffsetsResponse)
	im := h.Image()
	now := time.Now()
	for _, g := range req.Groups {
		rg := kmsg.NewDescribeShareGroupOffsetsResponseGroup()
		rg.GroupID = g.GroupID
		if err := h.shareCoordinatorError(g.GroupID); err != nil {
			rg.ErrorCode, rg.ErrorMessage = shareError(err)
			resp.Groups = append(resp.Groups, rg)
			continue
		}
		if !h.Share.Coordinator().Has(g.GroupID) {
			rg.ErrorCode, rg.ErrorMessage = shareError(fmt.Errorf("%w: Group %s not found.", share.ErrGroupNotFound, g.GroupID))
			resp.Groups = append(resp.Groups, rg)
			continue
		}
		states := h.Share.GroupPartitions(g.GroupID)
		topics := g.Topics
		if topics == nil { // every share-partition of the group
			byTopic := make(map[string][]int32)
			for tp := range states {
				if t, ok := im.TopicByID(tp.TopicID); ok {
					byTopic[t.Name] = append(byTopic[t.Name], tp.Partition)
				}
			}
			for _, name := range slices.Sorted(maps.Keys(byTopic)) {
				topics = append(topics, kmsg.DescribeShareGroupOffsetsRequestGroupTopic{Topic: name, Partitions: slices.Sorted(slices.Values(byTopic[name]))})
			}
		}
		for _, t := range topics {
			rg.Topics = append(rg.Topics, h.shareOffsetsTopic(im, t, states, now))
		}
		resp.Groups = append(resp.Groups, rg)
	}
	return resp
}

// shareOffsetsTopic answers one topic of DescribeShareGroupOffsets.
func (h *Handler) shareOffsetsTopic(im *metadata.Image, t kmsg.DescribeShareGroupOffsetsRequestGroupTopic,
	states map[share.TopicIDPartition]*share.Partition, now time.Time) kmsg.DescribeShareGroupOffsetsResponseGroupTopic {
	rt := kmsg.NewDescribeShareGroupOffsetsResponseGroupTopic()
	rt.Topic = t.Topic
	mt, known := im.Topic(t.Topic)
	if known {
		rt.TopicID = mt.ID
	}
	for _, p := range t.Partitions {
		rp := kmsg.NewDescribeShareGroupOffsetsResponseGroupTopicPartition()
		rp.Partition, rp.StartOffset, rp.LeaderEpoch, rp.Lag = p, -1, -1, -1
		pm, ok := im.PartitionOf(t.Topic, p)
		if !known || !ok {
			rp.ErrorCode = kerr.UnknownTopicOrPartition.Code
			rt.Partitions = append(rt.Partitions, rp)
			continue
		}
		if sp := states[share.TopicIDPartition{TopicID: mt.ID, Partition: p}]; sp != nil {
			inFlight := sp.InFlight(now) // first: it applies expired locks, which may move the SPSO
			rp.StartOffset, rp.LeaderEpoch = sp.StartOffset(), pm.LeaderEpoch
			if lp := h.Partitions.Partition(t.Topic, p); lp != nil {
				rp.Lag = max(lp.HighWatermark()-rp.StartOffset-int64(inFlight[share.Acknowledged]+inFlight[share.Archived]), 0)
			}
		}
		rt.Partitions = append(rt.Partitions, rp)
	}
	return rt
}
