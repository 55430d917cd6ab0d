package handler

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestListConfigResources(t *testing.T) {
	dp := newDataPath(t, dpTopic("b-topic", 1, 1, nil), dpTopic("a-topic", 2, 1, nil))
	list := func(version int16, types ...kmsg.ConfigResourceType) *kmsg.ListConfigResourcesResponse {
		req := kmsg.NewPtrListConfigResourcesRequest()
		req.Version = version
		for _, ty := range types {
			req.ResourceTypes = append(req.ResourceTypes, int8(ty))
		}
		return dp.as("", req).(*kmsg.ListConfigResourcesResponse)
	}
	got := func(resp *kmsg.ListConfigResourcesResponse) []string {
		var out []string
		for _, r := range resp.ConfigResources {
			out = append(out, kmsg.ConfigResourceType(r.Type).String()+":"+r.Name)
		}
		return out
	}
	all := list(1)
	code(t, "all types", all.ErrorCode, nil)
	var brokers, topics int
	for _, r := range all.ConfigResources {
		switch kmsg.ConfigResourceType(r.Type) {
		case kmsg.ConfigResourceTypeBroker:
			brokers++
		case kmsg.ConfigResourceTypeTopic:
			topics++
		}
	}
	if brokers != len(dp.im.Load().LiveBrokers()) || topics != 2 {
		t.Fatalf("every type: %v", got(all))
	}
	if g := got(list(1, kmsg.ConfigResourceTypeTopic)); len(g) != 2 || g[0] != "TOPIC:a-topic" || g[1] != "TOPIC:b-topic" {
		t.Fatalf("topics: %v", g)
	}
	if g := got(list(1, kmsg.ConfigResourceTypeGroupConfig, kmsg.ConfigResourceTypeClientMetrics)); len(g) != 0 {
		t.Fatalf("groups and client metrics: %v, want none (no group configs, no subscriptions)", g)
	}
	code(t, "v0 takes only client metrics", list(0, kmsg.ConfigResourceTypeTopic).ErrorCode, kerr.UnsupportedVersion)
	code(t, "an unknown type", list(1, kmsg.ConfigResourceType(99)).ErrorCode, kerr.UnsupportedVersion)
	code(t, "v0", list(0).ErrorCode, nil)
}
