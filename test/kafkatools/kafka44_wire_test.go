package kafkatools

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// checkWire44 compares what Kafka 4.4 added to ApiVersions (v5, KIP-1242:
// the client names the cluster and node it expects) and DescribeCluster
// (v2, KIP-1073: fenced brokers on request) on the raw wire; no tool sends
// them by default. It runs in TestKafkaTools to reuse its nodes.
func checkWire44(x *tools) {
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(x.tg.Bootstrap))
	if err != nil {
		x.t.Fatal(err)
	}
	defer cl.Close()
	md, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl)
	if err != nil || md.ClusterID == nil || len(md.Brokers) != 1 {
		x.t.Fatalf("metadata: %v %+v", err, md)
	}
	node := md.Brokers[0].NodeID
	var out strings.Builder
	av := kmsg.NewPtrApiVersionsRequest()
	av.ClientSoftwareName, av.ClientSoftwareVersion = "samsa-kafkatools", "1"
	resp, err := av.RequestWith(ctx, cl)
	if err != nil {
		x.t.Fatal(err)
	}
	for _, k := range resp.ApiKeys {
		if k.ApiKey == 18 || k.ApiKey == 60 {
			fmt.Fprintf(&out, "key %d: %d-%d\n", k.ApiKey, k.MinVersion, k.MaxVersion)
		}
	}
	for _, tc := range []struct {
		name    string
		cluster *string
		node    int32
	}{
		{"no cluster", nil, node + 6},
		{"this cluster and node", md.ClusterID, node},
		{"another node", md.ClusterID, node + 6},
		{"another cluster", kmsg.StringPtr("AAAAAAAAAAAAAAAAAAAAAA"), node},
		{"no node", md.ClusterID, -1},
	} {
		req := kmsg.NewPtrApiVersionsRequest()
		req.SetVersion(5)
		req.ClientSoftwareName, req.ClientSoftwareVersion = "samsa-kafkatools", "1"
		req.ClusterID, req.NodeID = tc.cluster, tc.node
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			x.t.Fatalf("ApiVersions v5 %s: %v", tc.name, err)
		}
		fmt.Fprintf(&out, "ApiVersions v%d %s: error %d, version table %v\n", resp.Version, tc.name, resp.ErrorCode, len(resp.ApiKeys) > 0)
	}
	dc := kmsg.NewPtrDescribeClusterRequest()
	dc.SetVersion(2)
	dc.IncludeFencedBrokers = true
	rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
	defer rcancel()
	dr, err := dc.RequestWith(rctx, cl)
	if err != nil {
		x.t.Fatalf("DescribeCluster v2: %v", err)
	}
	fmt.Fprintf(&out, "DescribeCluster v%d: error %d", dr.Version, dr.ErrorCode)
	for _, b := range dr.Brokers {
		fmt.Fprintf(&out, " broker fenced=%v", b.IsFenced)
	}
	x.same("wire", out.String())
	if x.tg.Name == "kafka" && !strings.Contains(out.String(), "ApiVersions v5 another node: error 129") {
		x.t.Errorf("Kafka does not answer ApiVersions v5 as this check expects:\n%s", out.String())
	}
}
