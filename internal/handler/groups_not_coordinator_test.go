package handler

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// When another node leads a group's __consumer_offsets partition (this node
// gave up leadership of it), group requests get NOT_COORDINATOR so the
// client looks the coordinator up again.
func TestGroupRequestsOnAnotherNodesPartitionGetNotCoordinator(t *testing.T) {
	f := newGroupsFixture(t)
	f.c.SetLeaders(nil) // this node leads no offsets partition any more

	join := kmsg.NewPtrJoinGroupRequest()
	join.Version, join.Group, join.MemberID = 9, "elsewhere", ""
	join.SessionTimeoutMillis, join.RebalanceTimeoutMillis, join.ProtocolType = 10000, 10000, "consumer"
	p := kmsg.NewJoinGroupRequestProtocol()
	p.Name, p.Metadata = "range", []byte{0, 0, 0, 0, 0, 1, 0, 1, 't'}
	join.Protocols = append(join.Protocols, p)
	code(t, "JoinGroup", serve[*kmsg.JoinGroupResponse](f, join).ErrorCode, kerr.NotCoordinator)

	hb := kmsg.NewPtrHeartbeatRequest()
	hb.Version, hb.Group, hb.MemberID, hb.Generation = 4, "elsewhere", "m", 1
	code(t, "Heartbeat", serve[*kmsg.HeartbeatResponse](f, hb).ErrorCode, kerr.NotCoordinator)

	of := kmsg.NewPtrOffsetFetchRequest()
	of.Version, of.Group = 7, "elsewhere"
	code(t, "OffsetFetch", serve[*kmsg.OffsetFetchResponse](f, of).ErrorCode, kerr.NotCoordinator)
}
