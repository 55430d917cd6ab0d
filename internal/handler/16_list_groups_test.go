package handler

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestListDescribeDeleteGroups(t *testing.T) {
	f := newGroupsFixture(t, dpTopic("t", 1, 1, nil))
	id := f.joinStable("active", 9)
	serve[*kmsg.OffsetCommitResponse](f, commitReq(2, "idle", "", -1, "t", 1))

	list := kmsg.NewPtrListGroupsRequest()
	list.Version = 5
	lr := serve[*kmsg.ListGroupsResponse](f, list)
	if len(lr.Groups) != 2 || lr.Groups[0].Group != "active" || lr.Groups[0].GroupState != "Stable" ||
		lr.Groups[0].ProtocolType != "consumer" || lr.Groups[0].GroupType != "classic" {
		t.Fatalf("list = %+v", lr.Groups)
	}
	list.StatesFilter = []string{"empty"}
	if lr = serve[*kmsg.ListGroupsResponse](f, list); len(lr.Groups) != 1 || lr.Groups[0].Group != "idle" {
		t.Fatalf("list of empty groups = %+v", lr.Groups)
	}
	list.StatesFilter, list.TypesFilter = nil, []string{"consumer"}
	if lr = serve[*kmsg.ListGroupsResponse](f, list); len(lr.Groups) != 0 {
		t.Fatalf("list of KIP-848 groups = %+v", lr.Groups)
	}

	desc := kmsg.NewPtrDescribeGroupsRequest()
	desc.Version, desc.Groups, desc.IncludeAuthorizedOperations = 5, []string{"active", "unknown"}, true
	dr := serve[*kmsg.DescribeGroupsResponse](f, desc)
	a := dr.Groups[0]
	if a.State != "Stable" || a.Protocol != "range" || len(a.Members) != 1 || a.Members[0].MemberID != id ||
		string(a.Members[0].MemberAssignment) != "asg" || a.AuthorizedOperations != groupOperations {
		t.Fatalf("describe active = %+v", a)
	}
	if dr.Groups[1].State != "Dead" || dr.Groups[1].ErrorCode != 0 {
		t.Fatalf("describe unknown = %+v", dr.Groups[1])
	}

	del := kmsg.NewPtrDeleteGroupsRequest()
	del.Version, del.Groups = 2, []string{"active", "idle", "unknown"}
	gr := serve[*kmsg.DeleteGroupsResponse](f, del)
	code(t, "delete active", gr.Groups[0].ErrorCode, kerr.NonEmptyGroup)
	code(t, "delete idle", gr.Groups[1].ErrorCode, nil)
	code(t, "delete unknown", gr.Groups[2].ErrorCode, kerr.GroupIDNotFound)
	if lr = serve[*kmsg.ListGroupsResponse](f, kmsg.NewPtrListGroupsRequest()); len(lr.Groups) != 1 {
		t.Fatalf("list after delete = %+v", lr.Groups)
	}
}
