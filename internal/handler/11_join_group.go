package handler

// JoinGroup, versions 0–9 (classic protocol).
//
// The request waits until the group's join phase ends: every known member
// has rejoined, the rebalance timeout (v0: the session timeout) passed, or,
// for the first rebalance of an empty group, group.initial.rebalance.delay.ms
// passed with no newcomer. v4+ (KIP-394): a first join without a member id
// gets MEMBER_ID_REQUIRED and the id to rejoin with; static members
// (group.instance.id, v5+) skip that step, and a new join with a known
// instance id fences the previous member id (FENCED_INSTANCE_ID). A
// session timeout outside [group.min.session.timeout.ms,
// group.max.session.timeout.ms] gets INVALID_SESSION_TIMEOUT. The leader's
// response lists every member with its metadata for the chosen protocol;
// v9 SkipAssignment tells a restarted static leader of a stable group to
// keep the current assignment. Protocol metadata is passed through opaque.

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/group"
)

var joinGroupAPI = api{key: kmsg.JoinGroup, min: 0, max: 9, serve: (*Handler).joinGroup,
	authz: wholeGroup(kmsg.JoinGroup, func(r *kmsg.JoinGroupRequest) string { return r.Group }),
	parks: alwaysParks,
}

func (h *Handler) joinGroup(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.JoinGroupRequest)
	resp := req.ResponseKind().(*kmsg.JoinGroupResponse)
	if h.Share.Coordinator().Has(req.Group) { // a share group's id: Kafka's "Group g is not a classic group."
		resp.ErrorCode, resp.Generation = kerr.GroupIDNotFound.Code, -1
		return resp
	}
	rebalance := req.RebalanceTimeoutMillis
	if req.Version == 0 {
		rebalance = req.SessionTimeoutMillis
	}
	ci := clientOf(ctx)
	jr := group.JoinRequest{
		Group: req.Group, MemberID: req.MemberID, InstanceID: deref(req.InstanceID),
		ClientID: ci.id, ClientHost: "/" + ci.host, ProtocolType: req.ProtocolType,
		SessionTimeout:         time.Duration(req.SessionTimeoutMillis) * time.Millisecond,
		RebalanceTimeout:       time.Duration(rebalance) * time.Millisecond,
		RequireKnownMemberID:   req.Version >= 4,
		SupportsSkipAssignment: req.Version >= 9,
	}
	for _, p := range req.Protocols {
		jr.Protocols = append(jr.Protocols, group.Protocol{Name: p.Name, Metadata: p.Metadata})
	}
	res := h.Groups.Join(ctx, jr)
	resp.ErrorCode = errorCode(res.Err)
	resp.Generation, resp.MemberID = res.Generation, res.MemberID
	if res.Err != nil {
		return resp
	}
	resp.ProtocolType, resp.Protocol = &res.ProtocolType, &res.Protocol
	resp.LeaderID, resp.SkipAssignment = res.Leader, res.SkipAssignment
	for _, m := range res.Members {
		rm := kmsg.NewJoinGroupResponseMember()
		rm.MemberID, rm.InstanceID, rm.ProtocolMetadata = m.MemberID, nullable(m.InstanceID), m.Metadata
		resp.Members = append(resp.Members, rm)
	}
	return resp
}
