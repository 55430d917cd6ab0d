package handler

import (
	"context"
	"math"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestDescribeCluster(t *testing.T) {
	for _, version := range []int16{0, 1} {
		h, _ := newAdminHandler()
		req := kmsg.NewPtrDescribeClusterRequest()
		req.Version = version
		resp := h.describeCluster(context.Background(), req).(*kmsg.DescribeClusterResponse)
		if resp.ErrorCode != 0 || resp.ClusterID != "test-cluster" || resp.ControllerID != 1 || resp.EndpointType != 1 {
			t.Fatalf("v%d: %+v", version, resp)
		}
		if resp.ClusterAuthorizedOperations != math.MinInt32 {
			t.Errorf("v%d: authorized operations %d without asking", version, resp.ClusterAuthorizedOperations)
		}
		if len(resp.Brokers) != 2 {
			t.Fatalf("v%d: %d brokers, want the 2 live ones", version, len(resp.Brokers))
		}
		b1, b2 := resp.Brokers[0], resp.Brokers[1]
		if b1.NodeID != 1 || b1.Host != "h1" || b1.Port != 9092 || b1.Rack != nil {
			t.Errorf("v%d: broker 1 = %+v", version, b1)
		}
		if b2.NodeID != 2 || b2.Host != "h2" || b2.Port != 9093 || msgOf(b2.Rack) != "r2" {
			t.Errorf("v%d: broker 2 = %+v", version, b2)
		}
	}
}

func TestDescribeClusterOptions(t *testing.T) {
	h, _ := newAdminHandler()
	req := kmsg.NewPtrDescribeClusterRequest()
	req.Version = 1
	req.IncludeClusterAuthorizedOperations = true
	resp := h.describeCluster(context.Background(), req).(*kmsg.DescribeClusterResponse)
	describe, alterConfigs := int32(1<<8), int32(1<<11)
	ops := resp.ClusterAuthorizedOperations
	if ops == math.MinInt32 || ops&describe == 0 || ops&alterConfigs == 0 || ops&(1<<3) != 0 {
		t.Errorf("authorized operations %b", ops)
	}

	req.EndpointType = 2
	resp = h.describeCluster(context.Background(), req).(*kmsg.DescribeClusterResponse)
	if resp.ErrorCode != 115 || resp.ErrorMessage == nil || resp.Brokers != nil {
		t.Errorf("controllers endpoint: code %d %q, %d brokers", resp.ErrorCode, msgOf(resp.ErrorMessage), len(resp.Brokers))
	}
}
