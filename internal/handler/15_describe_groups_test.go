package handler

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// KIP-1043: from v6 a group that is not a classic group here is
// GROUP_ID_NOT_FOUND with Kafka's message; before, it is Dead.
func TestDescribeGroupsNotFoundFromV6(t *testing.T) {
	f := newGroupsFixture(t, dpTopic("t", 7, 3, nil))
	join := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	join.Version, join.Group, join.MemberID, join.MemberEpoch, join.SubscribedTopicNames = 1, "kip848", "m1", 0, []string{"t"}
	join.RebalanceTimeoutMillis, join.Topics = 1000, []kmsg.ConsumerGroupHeartbeatRequestTopic{}
	code(t, "join", serve[*kmsg.ConsumerGroupHeartbeatResponse](f, join).ErrorCode, nil)

	describe := func(version int16) []kmsg.DescribeGroupsResponseGroup {
		req := kmsg.NewPtrDescribeGroupsRequest()
		req.Version, req.Groups = version, []string{"missing", "kip848"}
		return serve[*kmsg.DescribeGroupsResponse](f, req).Groups
	}
	for _, g := range describe(5) {
		if g.ErrorCode != 0 || g.State != "Dead" {
			t.Errorf("v5 %s: error %d state %q, want Dead", g.Group, g.ErrorCode, g.State)
		}
	}
	want := map[string]string{"missing": "Group missing not found.", "kip848": "Group kip848 is not a classic group."}
	for _, g := range describe(6) {
		if g.ErrorCode != kerr.GroupIDNotFound.Code || deref(g.ErrorMessage) != want[g.Group] {
			t.Errorf("v6 %s: error %d %q, want GROUP_ID_NOT_FOUND %q", g.Group, g.ErrorCode, deref(g.ErrorMessage), want[g.Group])
		}
	}
}
