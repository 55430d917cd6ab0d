package handler

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/acl"
)

// Requested authorized-operation fields report exactly what the ACLs
// allow, implied operations included, and every operation without an
// authorizer (KIP-430).
func TestAuthorizedOperations(t *testing.T) {
	metadataReq := func() *kmsg.MetadataRequest {
		req := kmsg.NewPtrMetadataRequest()
		req.SetVersion(10)
		req.IncludeClusterAuthorizedOperations, req.IncludeTopicAuthorizedOperations = true, true
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr("app-events")
		req.Topics = append(req.Topics, rt)
		return req
	}
	clusterReq := kmsg.NewPtrDescribeClusterRequest()
	clusterReq.IncludeClusterAuthorizedOperations = true

	open := newDataPath(t, dpTopic("app-events", 1, 1, nil))
	resp := open.as("User:anyone", metadataReq()).(*kmsg.MetadataResponse)
	if resp.AuthorizedOperations != clusterOperations || resp.Topics[0].AuthorizedOperations != topicOperations {
		t.Fatalf("without an authorizer: cluster %b topic %b", resp.AuthorizedOperations, resp.Topics[0].AuthorizedOperations)
	}

	dp := newSecured(t, dpTopic("app-events", 1, 1, nil))
	grant(dp, "User:alice", acl.ResourceTopic, "app-", acl.PatternPrefixed, acl.OpRead, acl.OpAlterConfigs)
	grant(dp, "User:alice", acl.ResourceCluster, acl.ClusterName, acl.PatternLiteral, acl.OpDescribe)
	resp = dp.as("User:alice", metadataReq()).(*kmsg.MetadataResponse)
	wantTopic := int32(1<<acl.OpRead | 1<<acl.OpDescribe | 1<<acl.OpAlterConfigs | 1<<acl.OpDescribeConfigs)
	if got := resp.Topics[0].AuthorizedOperations; got != wantTopic {
		t.Errorf("topic operations %b, want %b (READ, ALTER_CONFIGS and what they imply)", got, wantTopic)
	}
	if got := resp.AuthorizedOperations; got != 1<<acl.OpDescribe {
		t.Errorf("cluster operations %b, want DESCRIBE only", got)
	}
	dc := dp.as("User:alice", clusterReq).(*kmsg.DescribeClusterResponse)
	if dc.ErrorCode != 0 || dc.ClusterAuthorizedOperations != 1<<acl.OpDescribe {
		t.Errorf("DescribeCluster: error %d operations %b, want DESCRIBE only", dc.ErrorCode, dc.ClusterAuthorizedOperations)
	}
	plain := kmsg.NewPtrMetadataRequest()
	plain.SetVersion(10)
	resp = dp.as("User:alice", plain).(*kmsg.MetadataResponse)
	if resp.AuthorizedOperations != authorizedOpsNotRequested || resp.Topics[0].AuthorizedOperations != authorizedOpsNotRequested {
		t.Errorf("not requested: cluster %d topic %d", resp.AuthorizedOperations, resp.Topics[0].AuthorizedOperations)
	}
}

func TestAllowedOpsKeepsNotRequested(t *testing.T) {
	z := &authz{}
	if got := z.allowedOps(authorizedOpsNotRequested, acl.Cluster()); got != authorizedOpsNotRequested {
		t.Fatalf("got %d", got)
	}
}

func TestDescribeGroupsOperationsNarrowed(t *testing.T) {
	dp := newSecured(t)
	grant(dp, "User:alice", acl.ResourceGroup, "g", acl.PatternLiteral, acl.OpRead)
	z := &authz{h: dp.h, principal: "User:alice", host: "127.0.0.1", im: dp.im.Load()}
	resp := kmsg.NewPtrDescribeGroupsResponse()
	for _, id := range []string{"g", "other"} {
		g := kmsg.NewDescribeGroupsResponseGroup()
		g.Group, g.AuthorizedOperations = id, groupOperations
		resp.Groups = append(resp.Groups, g)
	}
	describeGroupsOps(z, resp)
	if got := resp.Groups[0].AuthorizedOperations; got != 1<<acl.OpRead|1<<acl.OpDescribe {
		t.Errorf("g: %b, want READ and DESCRIBE", got)
	}
	if got := resp.Groups[1].AuthorizedOperations; got != 0 {
		t.Errorf("other: %b, want none", got)
	}
}
