package handler

// LeaveGroup, versions 0–5.
//
// v0–2 name one member; v3+ (KIP-345) a batch, each by member id and/or
// group.instance.id, with an error per member (UNKNOWN_MEMBER_ID,
// FENCED_INSTANCE_ID when the instance belongs to another member id). The
// remaining members rebalance. For v0–2 the member's error is the
// top-level error.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/group"
)

var leaveGroupAPI = api{key: kmsg.LeaveGroup, min: 0, max: 5, serve: (*Handler).leaveGroup,
	authz: wholeGroup(kmsg.LeaveGroup, func(r *kmsg.LeaveGroupRequest) string { return r.Group })}

func (h *Handler) leaveGroup(_ context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.LeaveGroupRequest)
	resp := req.ResponseKind().(*kmsg.LeaveGroupResponse)
	var members []group.LeaveMember
	if req.Version < 3 {
		members = []group.LeaveMember{{MemberID: req.MemberID}}
	}
	for _, m := range req.Members {
		members = append(members, group.LeaveMember{MemberID: m.MemberID, InstanceID: deref(m.InstanceID)})
	}
	errs, err := h.Groups.Leave(req.Group, members)
	if err != nil {
		resp.ErrorCode = errorCode(err)
		return resp
	}
	if req.Version < 3 {
		resp.ErrorCode = errorCode(errs[0])
		return resp
	}
	for i, m := range req.Members {
		rm := kmsg.NewLeaveGroupResponseMember()
		rm.MemberID, rm.InstanceID, rm.ErrorCode = m.MemberID, m.InstanceID, errorCode(errs[i])
		resp.Members = append(resp.Members, rm)
	}
	return resp
}
