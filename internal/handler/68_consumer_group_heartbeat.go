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
// SubscribedTopicRegex) are resolved by the coordinator against the image's
// topics, filtered by the member's DESCRIBE right (group/regex.go). A
// static member (group.instance.id) that leaves with epoch -2 keeps its
// partitions until its session times out, and its instance id joining again
// takes them over; a second member with an instance id in use gets
// UNRELEASED_INSTANCE_ID.
// Membership is not persisted: after a coordinator restart members get
// UNKNOWN_MEMBER_ID and rejoin; committed offsets are kept.

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/acl"
	"github.com/samsa-io/samsa/internal/group"
	"github.com/samsa-io/samsa/internal/metadata"
)

var consumerGroupHeartbeatAPI = api{key: kmsg.ConsumerGroupHeartbeat, min: 0, max: 1, serve: (*Handler).consumerGroupHeartbeat,
	authz: authzConsumerGroupHeartbeat, parks: alwaysParks}

func (h *Handler) consumerGroupHeartbeat(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.ConsumerGroupHeartbeatRequest)
	resp := req.ResponseKind().(*kmsg.ConsumerGroupHeartbeatResponse)
	if h.Share.Coordinator().Has(req.Group) { // a share group's id (KIP-932)
		resp.ErrorCode = kerr.GroupIDNotFound.Code
		resp.ErrorMessage = kmsg.StringPtr("Group " + req.Group + " is not a consumer group.")
		return resp
	}
	im := h.Image()
	ci := clientOf(ctx)
	hb := group.ConsumerHeartbeat{Group: req.Group, MemberID: req.MemberID, MemberEpoch: req.MemberEpoch,
		InstanceID: deref(req.InstanceID), RackID: deref(req.RackID), ClientID: ci.id, ClientHost: "/" + ci.host,
		RebalanceTimeout: time.Duration(req.RebalanceTimeoutMillis) * time.Millisecond,
		Subscribed:       req.SubscribedTopicNames, SubscribedRegex: req.SubscribedTopicRegex,
		Assignor: deref(req.ServerAssignor), OwnedSent: req.Topics != nil,
		Topics: imageTopics{im}, CanDescribe: h.describeFilter(im, principalOf(ctx), ci.host)}
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

// imageTopics lists an image's topics for regex subscriptions.
type imageTopics struct{ im *metadata.Image }

func (t imageTopics) TopicsVersion() uint64 { return t.im.AppliedIndex }

func (t imageTopics) TopicNames() []string {
	names := make([]string, 0, len(t.im.Topics))
	for name := range t.im.Topics {
		names = append(names, name)
	}
	return names
}

// describeFilter is the principal's DESCRIBE right on topics, or nil when
// every topic may be seen (no authorizer, or an in-process request).
func (h *Handler) describeFilter(im *metadata.Image, principal, host string) func(string) bool {
	if h.authorizer == nil || principal == "" {
		return nil
	}
	return func(topic string) bool {
		return h.authorizer.Authorize(im.ACLs, principal, host, acl.OpDescribe, acl.Topic(topic))
	}
}
