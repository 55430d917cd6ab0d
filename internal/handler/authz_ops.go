package handler

// Authorized operations (KIP-430): Metadata (topics and cluster),
// DescribeGroups and DescribeCluster report, when asked, a bit field of
// the ACL operations the principal may perform on each resource (bit n is
// operation code n). The serve functions offer every operation of the
// resource type, Kafka's answer without an authorizer; the hooks here
// narrow the fields to what the ACLs allow, implied operations included
// (READ implies DESCRIBE, ...), after the request is served.

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/acl"
)

// topicOperations are Kafka's operations on a topic: READ (3), WRITE (4),
// CREATE (5), DELETE (6), ALTER (7), DESCRIBE (8), DESCRIBE_CONFIGS (10),
// ALTER_CONFIGS (11).
const topicOperations int32 = 1<<3 | 1<<4 | 1<<5 | 1<<6 | 1<<7 | 1<<8 | 1<<10 | 1<<11

// allowedOps keeps the bits of ops whose operation the principal may
// perform on res; the "not requested" value passes unchanged.
func (z *authz) allowedOps(ops int32, res acl.Resource) int32 {
	if ops == authorizedOpsNotRequested {
		return ops
	}
	var out int32
	for op := acl.Operation(0); op < 31; op++ {
		if ops&(1<<op) != 0 && z.can(op, res) {
			out |= 1 << op
		}
	}
	return out
}

// withOpsFix runs hook and then, on the served response, fix: the two
// fixes compose, a denial stays a denial.
func withOpsFix(hook authzHook, fix func(z *authz, resp kmsg.Response)) authzHook {
	return func(z *authz, req kmsg.Request) (func(kmsg.Response), kmsg.Response) {
		first, deny := hook(z, req)
		if deny != nil {
			return nil, deny
		}
		return func(resp kmsg.Response) {
			if first != nil {
				first(resp)
			}
			fix(z, resp)
		}, nil
	}
}

func metadataOps(z *authz, r kmsg.Response) {
	resp := r.(*kmsg.MetadataResponse)
	resp.AuthorizedOperations = z.allowedOps(resp.AuthorizedOperations, acl.Cluster())
	for i := range resp.Topics {
		t := &resp.Topics[i]
		if t.Topic != nil {
			t.AuthorizedOperations = z.allowedOps(t.AuthorizedOperations, acl.Topic(*t.Topic))
		}
	}
}

func describeGroupsOps(z *authz, r kmsg.Response) {
	resp := r.(*kmsg.DescribeGroupsResponse)
	for i := range resp.Groups {
		g := &resp.Groups[i]
		g.AuthorizedOperations = z.allowedOps(g.AuthorizedOperations, acl.Group(g.Group))
	}
}

func describeClusterOps(z *authz, r kmsg.Response) {
	resp := r.(*kmsg.DescribeClusterResponse)
	resp.ClusterAuthorizedOperations = z.allowedOps(resp.ClusterAuthorizedOperations, acl.Cluster())
}
