package handler

// AlterPartitionReassignments, version 0 (KIP-455).
//
// Kafka: for each partition, Replicas is the target replica list, or null
// to cancel the reassignment in progress. The controller then adds the
// new replicas, completes the move once they are in sync and removes the
// old ones. Per-partition errors: UNKNOWN_TOPIC_OR_PARTITION,
// INVALID_REPLICA_ASSIGNMENT (empty list, a broker twice, an unregistered
// broker), NO_REASSIGNMENT_IN_PROGRESS (cancelling none). Only the active
// controller serves it; elsewhere the top-level error is NOT_CONTROLLER
// and the client retries against the controller.
//
// Samsa: the same; TimeoutMillis bounds the request. Version 1's
// AllowReplicationFactorChange (KIP-860) is not served.

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/controller"
)

var alterPartitionAssignmentsAPI = api{key: kmsg.AlterPartitionAssignments, min: 0, max: 0, serve: (*Handler).alterPartitionAssignments,
	authz: authzFromTable, forward: forwardAlways}

func (h *Handler) alterPartitionAssignments(ctx context.Context, kreq kmsg.Request) kmsg.Response {
	req := kreq.(*kmsg.AlterPartitionAssignmentsRequest)
	resp := req.ResponseKind().(*kmsg.AlterPartitionAssignmentsResponse)
	ctx, cancel := withRequestTimeout(ctx, req.TimeoutMillis)
	defer cancel()
	for _, t := range req.Topics {
		rt := kmsg.NewAlterPartitionAssignmentsResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			err := h.Controller.AlterPartitionReassignment(ctx, t.Topic, p.Partition, p.Replicas)
			if errors.Is(err, controller.ErrNotController) {
				resp.ErrorCode, resp.ErrorMessage, resp.Topics = errorCode(err), errorMessage(err), nil
				return resp
			}
			rp := kmsg.NewAlterPartitionAssignmentsResponseTopicPartition()
			rp.Partition, rp.ErrorCode, rp.ErrorMessage = p.Partition, errorCode(err), errorMessage(err)
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}
