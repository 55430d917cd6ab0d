package handler

// DescribeGroups, versions 0–6.
//
// A group unknown to this coordinator, or one of another type (a KIP-848
// consumer group), is reported in state Dead without error before v6 and
// as GROUP_ID_NOT_FOUND with Kafka's message from v6 (KIP-1043). Member metadata and assignments are
// included only while the group is Stable; the protocol name likewise.
// With IncludeAuthorizedOperations (v3+) the group's operations are
// offered (READ, DESCRIBE, DELETE) and, with ACLs, narrowed to the
// principal's by the authorization hook (authz_ops.go).

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

var describeGroupsAPI = api{key: kmsg.DescribeGroups, min: 0, max: 6, serve: (*Handler).describeGroups,
	authz: withOpsFix(authzDescribeGroups, describeGroupsOps)}

// groupOperations is the ACL bit field of READ(3), DELETE(6), DESCRIBE(8).
const groupOperations = 1<<3 | 1<<6 | 1<<8

func (h *Handler) describeGroups(_ context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.DescribeGroupsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeGroupsResponse)
	for _, id := range req.Groups {
		d, err := h.Groups.DescribeGroup(id)
		rg := kmsg.NewDescribeGroupsResponseGroup()
		rg.Group = id
		if req.IncludeAuthorizedOperations {
			rg.AuthorizedOperations = groupOperations
		}
		if err != nil {
			rg.ErrorCode = errorCode(err)
			resp.Groups = append(resp.Groups, rg)
			continue
		}
		if d.NotClassic != "" && req.Version >= 6 {
			rg.ErrorCode, rg.ErrorMessage = kerr.GroupIDNotFound.Code, &d.NotClassic
			resp.Groups = append(resp.Groups, rg)
			continue
		}
		rg.State, rg.ProtocolType, rg.Protocol = d.State.String(), d.ProtocolType, d.Protocol
		for _, m := range d.Members {
			rm := kmsg.NewDescribeGroupsResponseGroupMember()
			rm.MemberID, rm.InstanceID, rm.ClientID, rm.ClientHost = m.MemberID, nullable(m.InstanceID), m.ClientID, m.ClientHost
			rm.ProtocolMetadata, rm.MemberAssignment = orEmpty(m.Metadata), orEmpty(m.Assignment)
			rg.Members = append(rg.Members, rm)
		}
		resp.Groups = append(resp.Groups, rg)
	}
	return resp
}

func orEmpty(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
