package handler

// ListPartitionReassignments, version 0 (KIP-455).
//
// Kafka: lists the reassignments in progress: for each partition the full
// replica list (target and removing replicas), the adding and the removing
// replicas. Null Topics lists every one; requested partitions that are not
// being reassigned, and unknown topics or partitions, are left out.
//
// Samsa: the same, answered from this node's metadata image, which every
// node holds (no forwarding to the active controller is needed).

import (
	"context"
	"slices"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/metadata"
)

var listPartitionReassignmentsAPI = api{key: kmsg.ListPartitionReassignments, min: 0, max: 0, serve: (*Handler).listPartitionReassignments,
	authz: authzFromTable}

func (h *Handler) listPartitionReassignments(_ context.Context, kreq kmsg.Request) kmsg.Response {
	req := kreq.(*kmsg.ListPartitionReassignmentsRequest)
	resp := req.ResponseKind().(*kmsg.ListPartitionReassignmentsResponse)
	im := h.Image()
	if req.Topics == nil {
		for _, name := range im.SortedTopicNames() {
			t, _ := im.Topic(name)
			resp.Topics = appendReassignments(resp.Topics, t, nil)
		}
		return resp
	}
	for _, rt := range req.Topics {
		if t, ok := im.Topic(rt.Topic); ok {
			resp.Topics = appendReassignments(resp.Topics, t, rt.Partitions)
		}
	}
	return resp
}

// appendReassignments adds t's reassigning partitions (all of them, or
// those listed in only) to out, if there are any.
func appendReassignments(out []kmsg.ListPartitionReassignmentsResponseTopic, t *metadata.Topic,
	only []int32) []kmsg.ListPartitionReassignmentsResponseTopic {
	rt := kmsg.NewListPartitionReassignmentsResponseTopic()
	rt.Topic = t.Name
	for _, p := range t.Partitions {
		if !p.Reassigning() || (only != nil && !slices.Contains(only, p.Index)) {
			continue
		}
		rp := kmsg.NewListPartitionReassignmentsResponseTopicPartition()
		rp.Partition = p.Index
		rp.Replicas = slices.Clone(p.Replicas)
		rp.AddingReplicas = append([]int32{}, p.AddingReplicas...)
		rp.RemovingReplicas = append([]int32{}, p.RemovingReplicas...)
		rt.Partitions = append(rt.Partitions, rp)
	}
	if len(rt.Partitions) == 0 {
		return out
	}
	return append(out, rt)
}
