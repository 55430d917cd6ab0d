package handler

// SyncGroup, versions 0–5.
//
// The leader sends every member's assignment; the group persists it to
// __consumer_offsets and then answers every waiting member with its own
// part (members the leader left out get an empty assignment). Followers
// wait for that. Errors as Kafka: UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION,
// FENCED_INSTANCE_ID (v3+), REBALANCE_IN_PROGRESS when a new rebalance
// started, and v5 INCONSISTENT_GROUP_PROTOCOL when the protocol type or
// name the member sends differs from the group's.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/group"
)

var syncGroupAPI = api{key: kmsg.SyncGroup, min: 0, max: 5, serve: (*Handler).syncGroup,
	authz: wholeGroup(kmsg.SyncGroup, func(r *kmsg.SyncGroupRequest) string { return r.Group }),
	parks: alwaysParks,
}

func (h *Handler) syncGroup(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.SyncGroupRequest)
	resp := req.ResponseKind().(*kmsg.SyncGroupResponse)
	sr := group.SyncRequest{Group: req.Group, MemberID: req.MemberID, InstanceID: deref(req.InstanceID),
		Generation: req.Generation, ProtocolType: deref(req.ProtocolType), Protocol: deref(req.Protocol)}
	if len(req.GroupAssignment) > 0 {
		sr.Assignments = make(map[string][]byte, len(req.GroupAssignment))
		for _, a := range req.GroupAssignment {
			sr.Assignments[a.MemberID] = a.MemberAssignment
		}
	}
	res := h.Groups.Sync(ctx, sr)
	resp.ErrorCode = errorCode(res.Err)
	resp.MemberAssignment = []byte{}
	if res.Err != nil {
		return resp
	}
	resp.ProtocolType, resp.Protocol = &res.ProtocolType, &res.Protocol
	resp.MemberAssignment = res.Assignment
	return resp
}
