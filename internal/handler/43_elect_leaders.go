package handler

// ElectLeaders, versions 0–2 (KIP-183, KIP-460).
//
// Kafka: runs a leader election for each listed partition, or for every
// partition when Topics is null. v0 always elects the preferred replica;
// v1+ carry ElectionType (0 preferred, 1 unclean) and a top-level error.
// Per-partition errors: ELECTION_NOT_NEEDED (the preferred replica already
// leads; a live leader exists for unclean), PREFERRED_LEADER_NOT_AVAILABLE,
// ELIGIBLE_LEADERS_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION. With null
// Topics, partitions needing no election are left out. Only the active
// controller serves it: elsewhere NOT_CONTROLLER (top-level from v1, per
// partition in v0; Samsa sets both from v1).
//
// Samsa: the same; TimeoutMillis bounds the request.

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/controller"
)

var electLeadersAPI = api{key: kmsg.ElectLeaders, min: 0, max: 2, serve: (*Handler).electLeaders,
	authz: authzFromTable, forward: forwardAlways, denyItems: denyElectLeadersItems}

func (h *Handler) electLeaders(ctx context.Context, kreq kmsg.Request) kmsg.Response {
	req := kreq.(*kmsg.ElectLeadersRequest)
	resp := req.ResponseKind().(*kmsg.ElectLeadersResponse)
	ctx, cancel := withRequestTimeout(ctx, req.TimeoutMillis)
	defer cancel()
	typ := controller.ElectPreferred
	if req.Version >= 1 {
		typ = controller.ElectionType(req.ElectionType)
	}
	var parts []controller.TopicPartition
	if req.Topics != nil {
		parts = []controller.TopicPartition{}
		for _, t := range req.Topics {
			for _, p := range t.Partitions {
				parts = append(parts, controller.TopicPartition{Topic: t.Topic, Partition: p})
			}
		}
	}
	results, err := h.Controller.ElectLeaders(ctx, typ, parts)
	if err != nil {
		// The error goes in each partition too, even from v1: clients such
		// as franz-go decide whether to retry (NOT_CONTROLLER: re-resolve
		// the controller) by the first partition's code.
		resp.ErrorCode = errorCode(err)
		if req.Version == 0 {
			resp.ErrorCode = 0
		}
		results = make([]controller.ElectionResult, len(parts))
		for i, tp := range parts {
			results[i] = controller.ElectionResult{TopicPartition: tp, Err: err}
		}
	}
	resp.Topics = electionTopics(results)
	return resp
}

// electionTopics groups results by topic, in order of first appearance.
func electionTopics(results []controller.ElectionResult) []kmsg.ElectLeadersResponseTopic {
	var out []kmsg.ElectLeadersResponseTopic
	index := map[string]int{}
	for _, r := range results {
		i, ok := index[r.Topic]
		if !ok {
			i = len(out)
			index[r.Topic] = i
			rt := kmsg.NewElectLeadersResponseTopic()
			rt.Topic = r.Topic
			out = append(out, rt)
		}
		rp := kmsg.NewElectLeadersResponseTopicPartition()
		rp.Partition, rp.ErrorCode = r.Partition, errorCode(r.Err)
		if r.Err != nil && !errors.Is(r.Err, controller.ErrElectionNotNeeded) {
			rp.ErrorMessage = errorMessage(r.Err)
		}
		out[i].Partitions = append(out[i].Partitions, rp)
	}
	return out
}

// denyElectLeadersItems answers every item of an ElectLeaders request refused
// whole with code (api.denyItems).
func denyElectLeadersItems(req kmsg.Request, resp kmsg.Response, code *kerr.Error) {
	r := req.(*kmsg.ElectLeadersRequest)
	msg := &code.Description
	out := resp.(*kmsg.ElectLeadersResponse)
	for _, t := range r.Topics {
		rt := kmsg.NewElectLeadersResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewElectLeadersResponseTopicPartition()
			rp.Partition, rp.ErrorCode, rp.ErrorMessage = p, code.Code, msg
			rt.Partitions = append(rt.Partitions, rp)
		}
		out.Topics = append(out.Topics, rt)
	}
}
