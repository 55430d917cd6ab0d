package server

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// A cluster-wide dynamic log.retention.ms, sent to any broker, changes an
// existing topic without an override of its own on every node: its closed
// segments, kept under the static 7-day default, are deleted.
func TestDynamicDefaultRetentionAppliesOnEveryNode(t *testing.T) {
	ports := freePorts(t, 6)
	var nodes [3]nodeLayout
	for i := range nodes {
		nodes[i] = plaintextNode(fmt.Sprintf("127.0.0.1:%d", ports[i]), fmt.Sprintf("127.0.0.1:%d", ports[3+i]))
		nodes[i].props = append(nodes[i].props, "log.retention.check.interval.ms=100")
	}
	tc := startNodes(t, testLogger(), nodes, nil)
	cl, err := kgo.NewClient(kgo.SeedBrokers(tc.clients...), kgo.DefaultProduceTopic("dyn"), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(ctx, 1, 3, map[string]*string{"segment.bytes": kadmStr("1024")}, "dyn"); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	const n = 40
	for i := range n {
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(strings.Repeat("x", 200) + fmt.Sprint(i))}).FirstErr(); err != nil {
			t.Fatalf("produce %d: %v", i, err)
		}
	}
	logStarts := func() []int64 {
		var out []int64
		for _, s := range tc.nodes {
			p := s.parts.Partition("dyn", 0)
			if p == nil || p.HighWatermark() < n {
				out = append(out, -1)
				continue
			}
			out = append(out, p.LogStartOffset())
		}
		return out
	}
	tc.eventually("every replica has all records", func() bool {
		for _, o := range logStarts() {
			if o < 0 {
				return false
			}
		}
		return true
	})
	// Several retention checks run meanwhile; the static default keeps all.
	time.Sleep(500 * time.Millisecond)
	for i, o := range logStarts() {
		if o != 0 {
			t.Fatalf("node %d: log start %d before the dynamic default", i+1, o)
		}
	}

	resp, err := adm.AlterBrokerConfigs(ctx, []kadm.AlterConfig{{Name: "log.retention.ms", Value: kadmStr("1")}})
	if err != nil {
		t.Fatalf("alter default: %v", err)
	}
	for _, r := range resp {
		if r.Err != nil {
			t.Fatalf("alter default %q: %v %s", r.Name, r.Err, r.ErrMessage)
		}
	}
	tc.eventually("the closed segments deleted on every node", func() bool {
		for _, o := range logStarts() {
			if o <= 0 {
				return false
			}
		}
		return true
	})
	described, err := adm.DescribeTopicConfigs(ctx, "dyn")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := described.On("dyn", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rc.Configs {
		if c.Key == "retention.ms" && (c.MaybeValue() != "1" || c.Source.String() != "DYNAMIC_DEFAULT_BROKER_CONFIG") {
			t.Errorf("retention.ms = %q from %s, want 1 from DYNAMIC_DEFAULT_BROKER_CONFIG", c.MaybeValue(), c.Source)
		}
	}
}

// An APPEND to a topic config without an override starts from the
// dynamic default, as the topic's effective value.
func TestTopicConfigAppendStartsFromDynamicDefault(t *testing.T) {
	s := startTestServer(t, t.TempDir())
	defer s.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(s.Addrs()[0].String()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "app"); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	mustAlter := func(what string, resp kadm.AlterConfigsResponses, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		for _, r := range resp {
			if r.Err != nil {
				t.Fatalf("%s %q: %v %s", what, r.Name, r.Err, r.ErrMessage)
			}
		}
	}
	resp, err := adm.AlterBrokerConfigs(ctx, []kadm.AlterConfig{{Name: "log.cleanup.policy", Value: kadmStr("compact")}})
	mustAlter("alter default", resp, err)
	resp, err = adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.AppendConfig, Name: "cleanup.policy", Value: kadmStr("delete")}}, "app")
	mustAlter("append", resp, err)
	described, err := adm.DescribeTopicConfigs(ctx, "app")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := described.On("app", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rc.Configs {
		if c.Key == "cleanup.policy" && c.MaybeValue() != "compact,delete" {
			t.Errorf("cleanup.policy = %q after APPEND delete to the dynamic default compact, want compact,delete", c.MaybeValue())
		}
	}
}

func kadmStr(s string) *string { return &s }
