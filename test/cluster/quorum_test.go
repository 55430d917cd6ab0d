package cluster

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// produceOnce sends one acks=all record to topic-0 through a fresh,
// non-idempotent client with few retries, so that the broker's answer
// reaches the test instead of being retried for minutes.
func produceOnce(c *harness.Cluster, topic, value string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(c.Bootstrap(), ",")...), kgo.DisableIdempotentWrite(),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RecordRetries(1), kgo.RecordDeliveryTimeout(10*time.Second), kgo.ProduceRequestTimeout(5*time.Second),
		kgo.MetadataMinAge(250*time.Millisecond), kgo.DialTimeout(time.Second))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Partition: 0, Value: []byte(value)}).FirstErr()
}

// TestAcksAllWithNodesDown: with one of three nodes down acks=all still
// succeeds; with two down (the controller quorum lost as well) the leader
// answers NOT_ENOUGH_REPLICAS; when one returns writes succeed again. No
// acknowledged record is lost.
func TestAcksAllWithNodesDown(t *testing.T) {
	const topic = "mindown"
	c := harness.StartCluster(t, 3, nil)
	c.CreateTopic(topic, 1, 3, map[string]string{"min.insync.replicas": "2"})
	leader := c.Leader(topic, 0)
	var others []int32
	for id := int32(1); id <= 3; id++ {
		if id != leader {
			others = append(others, id)
		}
	}
	var acked []string
	write := func(v string) error {
		err := produceOnce(c, topic, v)
		if err == nil {
			acked = append(acked, v)
		}
		return err
	}
	if err := write("all-up"); err != nil {
		t.Fatalf("acks=all with 3 of 3 up: %v", err)
	}

	c.Node(others[0]).Kill()
	harness.Eventually(t, 30*time.Second, func() error { return write("one-down") })
	t.Logf("node %d down: acks=all succeeds", others[0])

	c.Node(others[1]).Kill()
	start := time.Now()
	var last error
	err := harness.Poll(30*time.Second, func() error {
		last = write("two-down-" + strconv.Itoa(len(acked)))
		if errors.Is(last, kerr.NotEnoughReplicas) {
			return nil
		}
		return fmt.Errorf("want NOT_ENOUGH_REPLICAS, got %v", last)
	})
	if err != nil {
		t.Fatalf("nodes %v down: %v", others, err)
	}
	t.Logf("nodes %v down: acks=all refused with %v after %.1fs", others, last, time.Since(start).Seconds())

	c.Node(others[1]).Launch()
	start = time.Now()
	harness.Eventually(t, 60*time.Second, func() error { return write("one-back") })
	t.Logf("node %d back: acks=all succeeds again after %.1fs", others[1], time.Since(start).Seconds())

	c.Node(others[0]).Launch()
	c.WaitFullISR(topic, 3)
	seen := readValues(t, c, topic)
	for _, v := range acked {
		if seen[v] != 1 {
			t.Errorf("acknowledged %q read %d times", v, seen[v])
		}
	}
}

// readValues reads topic-0 to its high watermark and counts each value.
func readValues(t *testing.T, c *harness.Cluster, topic string) map[string]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ends, err := c.Admin().ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	end, _ := ends.Lookup(topic, 0)
	cl := c.Client(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}))
	seen := map[string]int{}
	var next int64
	for next < end.Offset && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			seen[string(r.Value)]++
			next = r.Offset + 1
		})
	}
	if next < end.Offset {
		t.Fatalf("read %s-0 up to %d of %d", topic, next, end.Offset)
	}
	return seen
}

// TestControllerKillTopicCreation: the active controller is killed; a new
// one is elected and topic creation works again within seconds.
func TestControllerKillTopicCreation(t *testing.T) {
	c := harness.StartCluster(t, 3, nil)
	c.CreateTopic("before", 1, 3, nil)
	old := c.ActiveController()
	killed := time.Now()
	c.Node(old).Kill()
	var created time.Duration
	harness.Eventually(t, 30*time.Second, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		resp, err := c.Admin().CreateTopic(ctx, 3, 2, nil, "after")
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("create topic: %w (%s)", err, resp.ErrMessage)
		}
		created = time.Since(killed)
		return nil
	})
	now := c.ActiveController()
	if now == old {
		t.Fatalf("active controller is still the killed node %d", old)
	}
	t.Logf("controller %d killed: node %d took over; topic created %.2fs after the kill", old, now, created.Seconds())
}
