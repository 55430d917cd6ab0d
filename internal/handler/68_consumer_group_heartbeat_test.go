package handler

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestConsumerGroupHeartbeatAndDescribe(t *testing.T) {
	f := newGroupsFixture(t, dpTopic("t", 7, 3, nil))
	req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	req.Version, req.Group, req.MemberEpoch, req.SubscribedTopicNames = 0, "ng", 0, []string{"t"}
	req.RebalanceTimeoutMillis = 1000
	req.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{}
	resp := serve[*kmsg.ConsumerGroupHeartbeatResponse](f, req)
	code(t, "join", resp.ErrorCode, nil)
	if resp.MemberID == nil || *resp.MemberID == "" || resp.MemberEpoch != 1 || resp.HeartbeatIntervalMillis <= 0 {
		t.Fatalf("v0 join = %+v", resp)
	}
	if a := resp.Assignment; a == nil || len(a.Topics) != 1 || a.Topics[0].TopicID != [16]byte{0xD0, 7} || len(a.Topics[0].Partitions) != 3 {
		t.Fatalf("assignment = %+v", resp.Assignment)
	}
	req.Version, req.MemberID, req.MemberEpoch = 1, *resp.MemberID, 9
	code(t, "fenced epoch", serve[*kmsg.ConsumerGroupHeartbeatResponse](f, req).ErrorCode, kerr.FencedMemberEpoch)
	bad := "t["
	req.SubscribedTopicRegex = &bad
	code(t, "invalid regex", serve[*kmsg.ConsumerGroupHeartbeatResponse](f, req).ErrorCode, kerr.InvalidRegularExpression)

	rj := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	regex := "t|nothing.*"
	rj.Version, rj.Group, rj.MemberID, rj.MemberEpoch, rj.SubscribedTopicRegex = 1, "rg", "m1", 0, &regex
	rj.RebalanceTimeoutMillis, rj.Topics = 1000, []kmsg.ConsumerGroupHeartbeatRequestTopic{}
	rr := serve[*kmsg.ConsumerGroupHeartbeatResponse](f, rj)
	code(t, "regex join", rr.ErrorCode, nil)
	if a := rr.Assignment; a == nil || len(a.Topics) != 1 || a.Topics[0].TopicID != [16]byte{0xD0, 7} || len(a.Topics[0].Partitions) != 3 {
		t.Fatalf("regex assignment = %+v", rr.Assignment)
	}
	rd := kmsg.NewPtrConsumerGroupDescribeRequest()
	rd.Version, rd.Groups = 1, []string{"rg"}
	if m := serve[*kmsg.ConsumerGroupDescribeResponse](f, rd).Groups[0].Members; len(m) != 1 || deref(m[0].SubscribedTopicRegex) != regex {
		t.Fatalf("regex member described as %+v", m)
	}

	desc := kmsg.NewPtrConsumerGroupDescribeRequest()
	desc.Version, desc.Groups = 1, []string{"ng", "missing"}
	dr := serve[*kmsg.ConsumerGroupDescribeResponse](f, desc)
	g := dr.Groups[0]
	if g.State != "Stable" || g.Epoch != 1 || g.AssignorName != "uniform" || len(g.Members) != 1 ||
		len(g.Members[0].Assignment.TopicPartitions) != 1 || g.Members[0].Assignment.TopicPartitions[0].Topic != "t" {
		t.Fatalf("describe = %+v", g)
	}
	code(t, "describe missing", dr.Groups[1].ErrorCode, kerr.GroupIDNotFound)

	list := kmsg.NewPtrListGroupsRequest()
	list.Version, list.TypesFilter = 5, []string{"consumer"}
	if lr := serve[*kmsg.ListGroupsResponse](f, list); len(lr.Groups) != 2 || lr.Groups[0].GroupType != "consumer" {
		t.Fatalf("list consumer groups = %+v", lr.Groups)
	}
}
