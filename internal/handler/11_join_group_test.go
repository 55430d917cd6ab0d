package handler

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestJoinGroupVersions(t *testing.T) {
	f := newGroupsFixture(t)
	for _, v := range []int16{0, 3} { // before KIP-394: an id at once
		req := kmsg.NewPtrJoinGroupRequest()
		req.Version, req.Group, req.SessionTimeoutMillis, req.ProtocolType = v, "old", 10000, "consumer"
		req.RebalanceTimeoutMillis = 10000 // 0 would end the sync phase at once
		req.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range"}}
		resp := serve[*kmsg.JoinGroupResponse](f, req)
		code(t, "old join", resp.ErrorCode, nil)
		if resp.MemberID == "" || resp.Protocol == nil || *resp.Protocol != "range" {
			t.Fatalf("v%d join = %+v", v, resp)
		}
		leave := kmsg.NewPtrLeaveGroupRequest()
		leave.Version, leave.Group, leave.MemberID = 0, "old", resp.MemberID
		code(t, "v0 leave", serve[*kmsg.LeaveGroupResponse](f, leave).ErrorCode, nil)
	}
	req := kmsg.NewPtrJoinGroupRequest()
	req.Version, req.Group, req.SessionTimeoutMillis, req.RebalanceTimeoutMillis = 9, "new", 10, 100
	req.ProtocolType, req.Protocols = "consumer", []kmsg.JoinGroupRequestProtocol{{Name: "range"}}
	code(t, "tiny session", serve[*kmsg.JoinGroupResponse](f, req).ErrorCode, kerr.InvalidSessionTimeout)
	req.SessionTimeoutMillis = 10000
	resp := serve[*kmsg.JoinGroupResponse](f, req)
	code(t, "v9 first join", resp.ErrorCode, kerr.MemberIDRequired)
	if resp.MemberID == "" {
		t.Fatal("MEMBER_ID_REQUIRED without a member id")
	}
}

func TestSyncHeartbeatLeave(t *testing.T) {
	f := newGroupsFixture(t)
	id := f.joinStable("g", 9)

	sync := kmsg.NewPtrSyncGroupRequest()
	sync.Version, sync.Group, sync.MemberID, sync.Generation = 5, "g", id, 1
	other := "roundrobin"
	sync.Protocol = &other
	code(t, "sync naming another protocol", serve[*kmsg.SyncGroupResponse](f, sync).ErrorCode, kerr.InconsistentGroupProtocol)
	sync.Protocol = nil
	sresp := serve[*kmsg.SyncGroupResponse](f, sync)
	if sresp.ErrorCode != 0 || string(sresp.MemberAssignment) != "asg" || sresp.Protocol == nil || *sresp.Protocol != "range" {
		t.Fatalf("stable sync = %+v", sresp)
	}

	hb := kmsg.NewPtrHeartbeatRequest()
	hb.Version, hb.Group, hb.MemberID, hb.Generation = 4, "g", id, 1
	code(t, "heartbeat", serve[*kmsg.HeartbeatResponse](f, hb).ErrorCode, nil)
	hb.Generation = 2
	code(t, "heartbeat, wrong generation", serve[*kmsg.HeartbeatResponse](f, hb).ErrorCode, kerr.IllegalGeneration)
	hb.Group = "nope"
	code(t, "heartbeat, unknown group", serve[*kmsg.HeartbeatResponse](f, hb).ErrorCode, kerr.UnknownMemberID)

	leave := kmsg.NewPtrLeaveGroupRequest()
	leave.Version, leave.Group = 5, "g"
	ghost := "ghost-instance"
	leave.Members = []kmsg.LeaveGroupRequestMember{{MemberID: id}, {MemberID: "x", InstanceID: &ghost}}
	lresp := serve[*kmsg.LeaveGroupResponse](f, leave)
	code(t, "batch leave", lresp.ErrorCode, nil)
	code(t, "leaving member", lresp.Members[0].ErrorCode, nil)
	code(t, "unknown instance", lresp.Members[1].ErrorCode, kerr.UnknownMemberID)
	d, _ := f.c.DescribeGroup("g")
	if d.State.String() != "Empty" {
		t.Fatalf("state after leave = %v", d.State)
	}
}
