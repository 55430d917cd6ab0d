package handler

import (
	"context"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ApiVersions v5 (KIP-1242) as Kafka 4.4 answers it: a cluster id with a
// negative node id is INVALID_REQUEST, a cluster or node that is not this
// one REBOOTSTRAP_REQUIRED (no version table either way); without a
// cluster id the node id is not checked.
func TestApiVersionsV5ChecksClusterAndNode(t *testing.T) {
	dp := newDataPath(t) // cluster "dp-cluster", node 1
	for _, tc := range []struct {
		cluster *string
		node    int32
		want    int16
	}{
		{nil, -1, 0},
		{nil, 7, 0},
		{kmsg.StringPtr("dp-cluster"), 1, 0},
		{kmsg.StringPtr("dp-cluster"), 7, kerr.RebootstrapRequired.Code},
		{kmsg.StringPtr("other"), 1, kerr.RebootstrapRequired.Code},
		{kmsg.StringPtr(""), 1, kerr.RebootstrapRequired.Code},
		{kmsg.StringPtr("dp-cluster"), -1, kerr.InvalidRequest.Code},
	} {
		req := kmsg.NewPtrApiVersionsRequest()
		req.SetVersion(5)
		req.ClusterID, req.NodeID = tc.cluster, tc.node
		resp := dp.h.apiVersions(context.Background(), req).(*kmsg.ApiVersionsResponse)
		name := fmt.Sprintf("cluster %q node %d", msgOf(tc.cluster), tc.node)
		if resp.ErrorCode != tc.want {
			t.Errorf("%s: error %d, want %d", name, resp.ErrorCode, tc.want)
		}
		if (len(resp.ApiKeys) == 0) != (tc.want != 0) || (len(resp.FinalizedFeatures) == 0) != (tc.want != 0) {
			t.Errorf("%s: %d keys, %d finalized features", name, len(resp.ApiKeys), len(resp.FinalizedFeatures))
		}
	}
}

// DescribeCluster v2 (KIP-1073): include_fenced_brokers adds the fenced
// brokers, marked is_fenced.
func TestDescribeClusterV2IncludesFencedBrokers(t *testing.T) {
	h, _ := newAdminHandler() // brokers 1 and 2 live, 3 fenced
	for _, include := range []bool{false, true} {
		req := kmsg.NewPtrDescribeClusterRequest()
		req.SetVersion(2)
		req.IncludeFencedBrokers = include
		resp := h.describeCluster(context.Background(), req).(*kmsg.DescribeClusterResponse)
		var got string
		for _, b := range resp.Brokers {
			got += fmt.Sprintf("%d:%v ", b.NodeID, b.IsFenced)
		}
		want := "1:false 2:false "
		if include {
			want += "3:true "
		}
		if resp.ErrorCode != 0 || got != want {
			t.Errorf("include fenced %v: error %d, brokers %q, want %q", include, resp.ErrorCode, got, want)
		}
	}
}
