package handler

// Heartbeat, versions 0–4.
//
// Keeps a member's session alive. REBALANCE_IN_PROGRESS tells the member to
// rejoin; UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION and (v3+, static members)
// FENCED_INSTANCE_ID as Kafka returns them.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/group"
)

var heartbeatAPI = api{key: kmsg.Heartbeat, min: 0, max: 4, serve: (*Handler).heartbeat,
	authz: wholeGroup(kmsg.Heartbeat, func(r *kmsg.HeartbeatRequest) string { return r.Group })}

func (h *Handler) heartbeat(_ context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.HeartbeatRequest)
	resp := req.ResponseKind().(*kmsg.HeartbeatResponse)
	resp.ErrorCode = errorCode(h.Groups.Heartbeat(group.HeartbeatRequest{Group: req.Group, MemberID: req.MemberID,
		InstanceID: deref(req.InstanceID), Generation: req.Generation}))
	return resp
}
