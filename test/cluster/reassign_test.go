package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// TestReassignToAddedBroker: a broker-only node 4 joins a running
// three-node cluster, then `samsa reassign-partitions` moves a partition
// from {1,2,3} to {2,3,4} with Kafka's JSON while an idempotent acks=all
// producer writes to it. The move completes, node 1 deletes its copy, and
// every acknowledged record is read exactly once.
func TestReassignToAddedBroker(t *testing.T) {
	const topic = "moving"
	c := harness.StartCluster(t, 3, nil)
	c.CreateTopic(topic, 1, 3, nil)
	assertReplicas(t, c, topic, []int32{1, 2, 3}) // one partition on three nodes
	cl := c.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.MetadataMinAge(250*time.Millisecond))
	p := startProducer(cl, topic, 1, 2000)
	time.Sleep(2 * time.Second)

	n4 := c.AddBroker(nil)
	t.Logf("broker-only node 4 joined at %s", n4.Addr) // AddBroker waited until every node lists it

	plan := filepath.Join(t.TempDir(), "reassign.json")
	if err := os.WriteFile(plan, []byte(`{"version":1,"partitions":[{"topic":"moving","partition":0,"replicas":[2,3,4]}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	boot := c.Node(2).Addr
	start := time.Now()
	r := harness.MustTool(t, 30*time.Second, "", "reassign-partitions", "--bootstrap-server", boot,
		"--reassignment-json-file", plan, "--execute")
	t.Logf("execute: %s", strings.TrimSpace(r.Stdout))
	var verify string
	harness.Eventually(t, 60*time.Second, func() error {
		r := harness.Tool(t, 30*time.Second, "", "reassign-partitions", "--bootstrap-server", boot,
			"--reassignment-json-file", plan, "--verify")
		verify = r.Stdout
		if !strings.Contains(r.Stdout, "Reassignment of partition moving-0 is completed.") {
			return fmt.Errorf("not complete yet: %s", r)
		}
		return nil
	})
	t.Logf("reassignment completed after %.2fs: %s", time.Since(start).Seconds(), strings.TrimSpace(verify))
	assertReplicas(t, c, topic, []int32{2, 3, 4})
	c.WaitFullISR(topic, 3)
	time.Sleep(time.Second) // keep producing on the new replica set
	p.stop(t, time.Minute)

	dir := filepath.Join(c.Node(1).LogDir, topic+"-0")
	harness.Eventually(t, 30*time.Second, func() error {
		if _, err := os.Stat(dir); err == nil {
			return fmt.Errorf("node 1 still has %s", dir)
		}
		return nil
	})
	if _, err := os.Stat(filepath.Join(n4.LogDir, topic+"-0")); err != nil {
		t.Errorf("node 4 has no copy of %s-0: %v", topic, err)
	}
	seen := readAll(t, c.Client(), c.Admin(), topic)
	verifyExactlyOnce(t, p.l, seen)
}

// assertReplicas waits until Metadata shows topic-0 with exactly want as
// its replicas.
func assertReplicas(t *testing.T, c *harness.Cluster, topic string, want []int32) {
	t.Helper()
	harness.Eventually(t, 30*time.Second, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		md, err := c.Admin().Metadata(ctx, topic)
		if err != nil {
			return err
		}
		got := slices.Clone(md.Topics[topic].Partitions[0].Replicas)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			return fmt.Errorf("%s-0 replicas %v, want %v", topic, got, want)
		}
		return nil
	})
}
