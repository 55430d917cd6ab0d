package handler

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/acl"
	"github.com/samsa-io/samsa/internal/metadata"
)

// dtpPage renders a DescribeTopicPartitions answer as
// "topic:code:partitions ... -> cursor", e.g. "a1:0:0,1 a2:3: -> a3/0".
func dtpPage(resp *kmsg.DescribeTopicPartitionsResponse) string {
	var b strings.Builder
	for _, t := range resp.Topics {
		fmt.Fprintf(&b, "%s:%d:", deref(t.Topic), t.ErrorCode)
		for i, p := range t.Partitions {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprint(&b, p.Partition)
		}
		b.WriteByte(' ')
	}
	b.WriteString("->")
	if c := resp.NextCursor; c != nil {
		fmt.Fprintf(&b, " %s/%d", c.Topic, c.Partition)
	}
	return b.String()
}

func dtpRequest(limit int32, cursor string, topics ...string) *kmsg.DescribeTopicPartitionsRequest {
	req := kmsg.NewPtrDescribeTopicPartitionsRequest()
	req.ResponsePartitionLimit = limit
	for _, n := range topics {
		req.Topics = append(req.Topics, kmsg.DescribeTopicPartitionsRequestTopic{Topic: n})
	}
	if cursor != "" {
		var c kmsg.DescribeTopicPartitionsRequestCursor
		if _, err := fmt.Sscanf(strings.Replace(cursor, "/", " ", 1), "%s %d", &c.Topic, &c.Partition); err != nil {
			panic(err)
		}
		req.Cursor = &c
	}
	return req
}

// The pages Kafka 4.4 answers to the same requests (checked against the
// reference node): topics a1 (3 partitions), a2 (2), a3 (1).
func TestDescribeTopicPartitionsPages(t *testing.T) {
	dp := newDataPath(t, dpTopic("a1", 1, 3, nil), dpTopic("a2", 2, 2, nil), dpTopic("a3", 3, 1, nil))
	for _, tc := range []struct {
		req  *kmsg.DescribeTopicPartitionsRequest
		want string
	}{
		{dtpRequest(2000, ""), "a1:0:0,1,2 a2:0:0,1 a3:0:0 ->"},
		{dtpRequest(2, ""), "a1:0:0,1 -> a1/2"},
		{dtpRequest(2, "a1/2"), "a1:0:2 a2:0:0 -> a2/1"},
		{dtpRequest(3, "a2/1"), "a2:0:1 a3:0:0 ->"},
		{dtpRequest(3, "", "a1", "a2"), "a1:0:0,1,2 -> a2/0"}, // the limit met exactly: the next page starts at a2
		{dtpRequest(5, "", "a1", "a2", "zz", "a3"), "a1:0:0,1,2 a2:0:0,1 -> a3/0"},
		{dtpRequest(6, "", "zz", "a2", "bad/name", "a2"), "a2:0:0,1 bad/name:17: zz:3: ->"},
		{dtpRequest(0, "", "a2"), "a2:0:0 -> a2/1"},  // at least one partition
		{dtpRequest(-1, "", "a2"), "a2:0:0 -> a2/1"}, // at least one partition
		{dtpRequest(100, "a15/3"), "a2:0:0,1 a3:0:0 ->"},
		{dtpRequest(1, "a2/2"), "a2:0: a3:0:0 ->"}, // past a2's last partition
		{dtpRequest(1, "a1/2147483647", "a1"), "a1:0: ->"},
		{dtpRequest(100, "a0/0", "a2", "a1"), "a2:42: a1:42: ->"}, // the cursor's topic is not asked for
		{dtpRequest(100, "a1/-1", "a1"), "a1:42: ->"},
		{dtpRequest(100, "a1/-1"), "->"},
	} {
		resp := dp.h.describeTopicPartitions(context.Background(), tc.req).(*kmsg.DescribeTopicPartitionsResponse)
		if got := dtpPage(resp); got != tc.want {
			c := tc.req.Cursor
			t.Errorf("limit %d cursor %v topics %v: %q, want %q", tc.req.ResponsePartitionLimit, c, tc.req.Topics, got, tc.want)
		}
	}
}

func TestDescribeTopicPartitionsFields(t *testing.T) {
	a := dpTopic("a", 1, 2, nil)
	a.Partitions[0].Replicas, a.Partitions[0].ISR, a.Partitions[0].LeaderEpoch = []int32{1, 3, 4}, []int32{1}, 7
	a.Partitions[1].Leader = 2
	a.Partitions[1].ELR, a.Partitions[1].LastKnownELR = []int32{3, 4}, []int32{2}
	dp := newDataPath(t, a, dpTopic("__consumer_offsets", 2, 1, nil))
	im := dpImage(a, dpTopic("__consumer_offsets", 2, 1, nil))
	im.Brokers[1] = metadata.Broker{ID: 1, Host: "h1", Port: 9092, Endpoints: []metadata.Endpoint{{Name: "INTERNAL", Host: "h1", Port: 9092}, {Name: "EXTERNAL", Host: "e1", Port: 19092}}}
	im.Brokers[2] = metadata.Broker{ID: 2, Host: "h2", Port: 9093, Endpoints: []metadata.Endpoint{{Name: "INTERNAL", Host: "h2", Port: 9093}}}
	dp.setImage(im)
	ctx := withClient(context.Background(), "c", "127.0.0.1", "EXTERNAL")
	raw := dp.h.describeTopicPartitions(ctx, dtpRequest(100, "", "a", "__consumer_offsets"))
	resp := kmsg.NewPtrDescribeTopicPartitionsResponse()
	if err := resp.ReadFrom(raw.AppendTo(nil)); err != nil {
		t.Fatal(err)
	}
	if len(resp.Topics) != 2 || *resp.Topics[0].Topic != "__consumer_offsets" || !resp.Topics[0].IsInternal ||
		*resp.Topics[1].Topic != "a" || resp.Topics[1].IsInternal || resp.Topics[1].TopicID != a.ID {
		t.Fatalf("topics: %+v", resp.Topics)
	}
	for _, rt := range resp.Topics {
		if rt.AuthorizedOperations != topicOperations {
			t.Errorf("%s: operations %d, want every topic operation", *rt.Topic, rt.AuthorizedOperations)
		}
	}
	p0, p1 := resp.Topics[1].Partitions[0], resp.Topics[1].Partitions[1]
	if p0.LeaderID != 1 || p0.LeaderEpoch != 7 || fmt.Sprint(p0.Replicas, p0.ISR, p0.OfflineReplicas) != "[1 3 4] [1] [3 4]" {
		t.Errorf("partition 0: %+v (broker 3 is fenced, 4 unknown: offline)", p0)
	}
	if p1.LeaderID != -1 {
		t.Errorf("partition 1: leader %d, want -1: broker 2 has no EXTERNAL endpoint", p1.LeaderID)
	}
	if p0.ErrorCode != 0 || p0.EligibleLeaderReplicas == nil || len(p0.EligibleLeaderReplicas) != 0 ||
		p0.LastKnownELR == nil || len(p0.LastKnownELR) != 0 {
		t.Errorf("partition 0: %+v, want no error and empty (not null) ELR lists", p0)
	}
	if fmt.Sprint(p1.EligibleLeaderReplicas, p1.LastKnownELR) != "[3 4] [2]" {
		t.Errorf("partition 1: ELR %v last known %v, want the image's [3 4] [2]", p1.EligibleLeaderReplicas, p1.LastKnownELR)
	}
}

func TestAuthzDescribeTopicPartitions(t *testing.T) {
	dp := newSecured(t, dpTopic("app-1", 1, 2, nil), dpTopic("app-2", 2, 1, nil), dpTopic("b-secret", 3, 2, nil), dpTopic("c-app", 4, 1, nil))
	grant(dp, "User:alice", acl.ResourceTopic, "app-", acl.PatternPrefixed, acl.OpRead)
	grant(dp, "User:alice", acl.ResourceTopic, "c-app", acl.PatternLiteral, acl.OpDescribe)
	for _, tc := range []struct {
		req  *kmsg.DescribeTopicPartitionsRequest
		want string
	}{
		// Hidden topics take no room in a page and are not named.
		{dtpRequest(3, ""), "app-1:0:0,1 app-2:0:0 -> c-app/0"},
		{dtpRequest(100, "app-2/0"), "app-2:0:0 c-app:0:0 ->"},
		// A cursor on a hidden topic starts at the next visible one.
		{dtpRequest(100, "b-secret/1"), "c-app:0:0 ->"},
		{dtpRequest(100, "b-secret/1", "b-secret", "c-app"), "c-app:0:0 b-secret:29: ->"},
		{dtpRequest(100, "", "b-secret", "nosuch", "app-2"), "app-2:0:0 b-secret:29: nosuch:29: ->"},
		{dtpRequest(100, "", "b-secret"), "b-secret:29: ->"},
		{dtpRequest(100, "zz/0"), "->"},
	} {
		resp := dp.as("User:alice", tc.req).(*kmsg.DescribeTopicPartitionsResponse)
		if got := dtpPage(resp); got != tc.want {
			t.Errorf("limit %d cursor %v topics %v: %q, want %q", tc.req.ResponsePartitionLimit, tc.req.Cursor, tc.req.Topics, got, tc.want)
		}
		for _, rt := range resp.Topics {
			switch {
			case rt.ErrorCode == kerr.TopicAuthorizationFailed.Code:
				if rt.TopicID != [16]byte{} || rt.AuthorizedOperations != authorizedOpsNotRequested {
					t.Errorf("%s denied but answered with id %x and operations %d", *rt.Topic, rt.TopicID, rt.AuthorizedOperations)
				}
			case *rt.Topic == "c-app":
				if rt.AuthorizedOperations != 1<<acl.OpDescribe {
					t.Errorf("c-app: operations %b, want DESCRIBE only", rt.AuthorizedOperations)
				}
			}
		}
	}
}
