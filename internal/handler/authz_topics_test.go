package handler

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/acl"
)

// As Kafka's controller: a created topic's v5+ configs, partition count and
// replication factor are shown only to a principal that may
// DESCRIBE_CONFIGS it.
func TestAuthzCreateTopicsHidesConfigsWithoutDescribeConfigs(t *testing.T) {
	dp := newSecured(t)
	grant(dp, "User:alice", acl.ResourceTopic, "new-", acl.PatternPrefixed, acl.OpCreate)
	grant(dp, "User:alice", acl.ResourceTopic, "new-seen", acl.PatternLiteral, acl.OpDescribeConfigs)
	resp := dp.as("User:alice", createReq(7, newTopic("new-hidden", 2, 1), newTopic("new-seen", 2, 1))).(*kmsg.CreateTopicsResponse)
	got := map[string]kmsg.CreateTopicsResponseTopic{}
	for _, rt := range resp.Topics {
		got[rt.Topic] = rt
	}
	if h := got["new-hidden"]; h.ErrorCode != 0 || h.ConfigErrorCode != kerr.TopicAuthorizationFailed.Code ||
		len(h.Configs) != 0 || h.NumPartitions != -1 || h.ReplicationFactor != -1 {
		t.Errorf("without DESCRIBE_CONFIGS: error %d config error %d, %d configs, %d partitions, rf %d",
			h.ErrorCode, h.ConfigErrorCode, len(h.Configs), h.NumPartitions, h.ReplicationFactor)
	}
	if s := got["new-seen"]; s.ErrorCode != 0 || s.ConfigErrorCode != 0 || len(s.Configs) == 0 || s.NumPartitions != 2 {
		t.Errorf("with DESCRIBE_CONFIGS: error %d config error %d, %d configs, %d partitions",
			s.ErrorCode, s.ConfigErrorCode, len(s.Configs), s.NumPartitions)
	}
}

// As Kafka's controller: DeleteTopics by id names the topic in a refusal
// only to a principal that may DESCRIBE it; DELETE on the cluster allows
// every topic.
func TestAuthzDeleteTopicsByID(t *testing.T) {
	visible, hidden := dpTopic("visible", 1, 1, nil), dpTopic("hidden", 2, 1, nil) // ids differ by partition count
	dp := newSecured(t, visible, hidden)
	grant(dp, "User:alice", acl.ResourceTopic, "visible", acl.PatternLiteral, acl.OpDescribe)
	req := kmsg.NewPtrDeleteTopicsRequest()
	req.Version, req.TimeoutMillis = 6, 5000
	for _, id := range [][16]byte{visible.ID, hidden.ID} {
		rt := kmsg.NewDeleteTopicsRequestTopic()
		rt.TopicID = id
		req.Topics = append(req.Topics, rt)
	}
	resp := dp.as("User:alice", req).(*kmsg.DeleteTopicsResponse)
	byID := map[[16]byte]kmsg.DeleteTopicsResponseTopic{}
	for _, rt := range resp.Topics {
		byID[rt.TopicID] = rt
	}
	if v := byID[visible.ID]; v.ErrorCode != kerr.TopicAuthorizationFailed.Code || msgOf(v.Topic) != "visible" {
		t.Errorf("describable topic: %s %q", kerr.ErrorForCode(v.ErrorCode), msgOf(v.Topic))
	}
	if h := byID[hidden.ID]; h.ErrorCode != kerr.TopicAuthorizationFailed.Code || h.Topic != nil {
		t.Errorf("hidden topic: %s %q, want no name", kerr.ErrorForCode(h.ErrorCode), msgOf(h.Topic))
	}
	if len(dp.ctl.deletes) != 0 {
		t.Fatalf("deleted without DELETE: %v", dp.ctl.deletes)
	}

	grant(dp, "User:bob", acl.ResourceCluster, "kafka-cluster", acl.PatternLiteral, acl.OpDelete)
	resp = dp.as("User:bob", req).(*kmsg.DeleteTopicsResponse)
	for _, rt := range resp.Topics {
		if rt.ErrorCode != 0 {
			t.Errorf("DELETE on the cluster: %q %s", msgOf(rt.Topic), kerr.ErrorForCode(rt.ErrorCode))
		}
	}
}
