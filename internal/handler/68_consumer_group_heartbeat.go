package handler

// ConsumerGroupHeartbeat, versions 0–1 (KIP-848, the next-generation
// consumer group protocol).
//
// The coordinator assigns partitions server-side ("uniform", the default,
// or "range") and reconciles each member incrementally: a member first
// gives up partitions (its epoch stays until its heartbeat's owned topics
// show them gone), then receives partitions nobody else owns and moves to
// the group epoch. v1 members bring their own member id; v0 members get one
// on their first heartbeat. Topics travel as topic ids both ways. The full
// current assignment is sent in every response (Kafka sends it only when it
// changed; clients accept both). Regex subscriptions (v1
// SubscribedTopicRegex) are not supported yet and get INVALID_REQUEST.
// Membership is not persisted: after a coordinator restart members get
// UNKNOWN_MEMBER_ID and rejoin; committed offsets are kept.

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/group"
)

var consumerGroupHeartbeatAPI = api{key: kmsg.ConsumerGroupHeartbeat, min: 0, max: 1,
	serve: (*Handler).consumerGroupHeartbeat}

func (h *Handler) consumerGroupHeartbeat(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.ConsumerGroupHeartbeatRequest)
	resp := req.ResponseKind().(*kmsg.ConsumerGroupHeartbeatResponse)
	if h.Share.Coordinator().Has(req.Group) { // a share group's id (KIP-932)
		resp.ErrorCode = kerr.GroupIDNotFound.Code
		resp.ErrorMessage = kmsg.StringPtr("Group " + req.Group + " is not a consumer group.")
		return resp
	}
	if req.SubscribedTopicRegex != nil && *req.SubscribedTopicRegex != "" {
		resp.ErrorCode = kerr.InvalidRequest.Code
		msg := "regular expression subscriptions are not supported by this broker"
		resp.ErrorMessage = &msg
		return resp
	}
	im := h.Image()
	ci := clientOf(ctx)
	hb := group.ConsumerHeartbeat{Group: req.Group, MemberID: req.MemberID, MemberEpoch: req.MemberEpoch,
		InstanceID: deref(req.InstanceID), RackID: deref(req.RackID), ClientID: ci.id, ClientHost: "/" + ci.host,
		RebalanceTimeout: time.Duration(req.RebalanceTimeoutMillis) * time.Millisecond,
		Subscribed:       req.SubscribedTopicNames, Assignor: deref(req.ServerAssignor), OwnedSent: req.Topics != nil}
	for _, t := range req.Topics {
		if topic, ok := im.TopicByID(t.TopicID); ok {
			hb.Owned = appendTPs(hb.Owned, topic.Name, t.Partitions)
		}
	}
	res := h.Groups.ConsumerHeartbeat(ctx, hb)
	resp.ErrorCode, resp.MemberEpoch = errorCode(res.Err), res.MemberEpoch
	if res.MemberID != "" {
		resp.MemberID = &res.MemberID
	}
	if res.Err != nil {
		resp.ErrorMessage = errorMessage(res.Err)
		return resp
	}
	resp.HeartbeatIntervalMillis = int32(res.HeartbeatInterval.Milliseconds())
	if req.MemberEpoch < 0 {
		return resp
	}
	a := kmsg.NewConsumerGroupHeartbeatResponseAssignment()
	a.Topics = []kmsg.ConsumerGroupHeartbeatResponseAssignmentTopic{}
	index := make(map[string]int)
	for _, tp := range res.Assignment {
		t, ok := im.Topic(tp.Topic)
		if !ok {
			continue
		}
		i, seen := index[tp.Topic]
		if !seen {
			i = len(a.Topics)
			index[tp.Topic] = i
			at := kmsg.NewConsumerGroupHeartbeatResponseAssignmentTopic()
			at.TopicID = t.ID
			a.Topics = append(a.Topics, at)
		}
		a.Topics[i].Partitions = append(a.Topics[i].Partitions, tp.Partition)
	}
	resp.Assignment = &a
	return resp
}
