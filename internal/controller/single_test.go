package controller

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/samsa-io/samsa/internal/metadata"
)

func TestSingleNodeReady(t *testing.T) {
	c := startController(t, testConfig(1, t.TempDir()))
	im := c.Image()
	if len(im.ClusterID) != 22 {
		t.Fatalf("cluster id %q, want 22 chars", im.ClusterID)
	}
	if !c.IsLeader() || c.LeaderID() != 1 {
		t.Fatalf("IsLeader=%v LeaderID=%d", c.IsLeader(), c.LeaderID())
	}
	eventually(t, 2e9, "controller id in image", func() bool { return c.Image().ControllerID == 1 })
}

func TestCreateTopic(t *testing.T) {
	c := startController(t, testConfig(1, t.TempDir()))
	registerBrokers(t, c, 1, 2, 3)
	sub, cancel := c.Subscribe()
	defer cancel()

	tp, err := c.CreateTopic(ctxT(t), CreateTopicRequest{
		Name: "orders", NumPartitions: 6, ReplicationFactor: 2,
		Configs: map[string]string{"retention.ms": "1000"},
	})
	must(t, err, "CreateTopic")
	if tp.ID == ([16]byte{}) || len(tp.Partitions) != 6 || tp.Configs["retention.ms"] != "1000" {
		t.Fatalf("topic = %+v", tp)
	}
	leaders := map[int32]int{}
	for i, p := range tp.Partitions {
		if p.Index != int32(i) || len(p.Replicas) != 2 || p.Replicas[0] == p.Replicas[1] {
			t.Fatalf("partition %d = %+v", i, p)
		}
		if p.Leader != p.Replicas[0] || !slices.Equal(p.ISR, p.Replicas) || p.LeaderEpoch != 0 {
			t.Fatalf("partition %d leader/isr/epoch = %+v", i, p)
		}
		leaders[p.Leader]++
	}
	if len(leaders) != 3 {
		t.Fatalf("leaders not spread over 3 brokers: %v", leaders)
	}
	got := <-sub
	if _, ok := got.Topic("orders"); !ok {
		t.Fatal("subscriber image lacks the topic")
	}
	if byID, ok := c.Image().TopicByID(tp.ID); !ok || byID != tp {
		t.Fatal("TopicByID does not return the created topic")
	}

	_, err = c.CreateTopic(ctxT(t), CreateTopicRequest{Name: "orders", NumPartitions: 1, ReplicationFactor: 1})
	if !errors.Is(err, ErrTopicExists) || err.Error() != "Topic 'orders' already exists." {
		t.Fatalf("duplicate create: %v", err)
	}
}

func TestCreateTopicValidation(t *testing.T) {
	cfg := testConfig(1, t.TempDir())
	cfg.ValidateConfig = func(name, value string) error {
		if name == "retention.ms" && strings.HasPrefix(value, "-5") {
			return fmt.Errorf("Invalid value %s for configuration %s", value, name)
		}
		return nil
	}
	c := startController(t, cfg)
	registerBrokers(t, c, 1)
	cases := []struct {
		req  CreateTopicRequest
		want error
		msg  string
	}{
		{CreateTopicRequest{Name: "a", NumPartitions: 0, ReplicationFactor: 1}, ErrInvalidPartitions,
			"Number of partitions must be larger than 0."},
		{CreateTopicRequest{Name: "a", NumPartitions: 1, ReplicationFactor: 2}, ErrInvalidReplicationFactor,
			"Unable to replicate the partition 2 time(s): The target replication factor of 2 cannot be reached because only 1 broker(s) are registered."},
		{CreateTopicRequest{Name: "a", NumPartitions: 1, ReplicationFactor: 0}, ErrInvalidReplicationFactor, ""},
		{CreateTopicRequest{Name: "a", Assignments: map[int32][]int32{0: {1}, 2: {1}}}, ErrInvalidReplicaAssignment, ""},
		{CreateTopicRequest{Name: "a", Assignments: map[int32][]int32{0: {1, 1}}}, ErrInvalidReplicaAssignment, ""},
		{CreateTopicRequest{Name: "a", Assignments: map[int32][]int32{0: {7}}}, ErrInvalidReplicaAssignment, ""},
		{CreateTopicRequest{Name: "a", NumPartitions: 1, ReplicationFactor: 1,
			Configs: map[string]string{"retention.ms": "-5"}}, ErrInvalidConfig,
			"Invalid value -5 for configuration retention.ms"},
	}
	for i, tc := range cases {
		_, err := c.CreateTopic(ctxT(t), tc.req)
		if !errors.Is(err, tc.want) || (tc.msg != "" && err.Error() != tc.msg) {
			t.Errorf("case %d: err = %v, want %v %q", i, err, tc.want, tc.msg)
		}
	}
	before := c.Image().AppliedIndex
	tp, err := c.CreateTopic(ctxT(t), CreateTopicRequest{Name: "v", NumPartitions: 2, ReplicationFactor: 1, ValidateOnly: true})
	must(t, err, "validate-only create")
	if len(tp.Partitions) != 2 || c.Image().AppliedIndex != before || len(c.Image().Topics) != 0 {
		t.Fatalf("validate-only wrote something: %+v", tp)
	}
	tp, err = c.CreateTopic(ctxT(t), CreateTopicRequest{Name: "m", Assignments: map[int32][]int32{0: {1}, 1: {1}}})
	must(t, err, "manual create")
	if len(tp.Partitions) != 2 || tp.Partitions[1].Leader != 1 {
		t.Fatalf("manual topic = %+v", tp)
	}
}

func TestDeleteTopic(t *testing.T) {
	c := startController(t, testConfig(1, t.TempDir()))
	registerBrokers(t, c, 1)
	tp, err := c.CreateTopic(ctxT(t), CreateTopicRequest{Name: "t", NumPartitions: 1, ReplicationFactor: 1})
	must(t, err, "create")
	old := c.Image()
	id, err := c.DeleteTopic(ctxT(t), "t")
	must(t, err, "delete")
	if id != tp.ID {
		t.Fatalf("deleted id %x, want %x", id, tp.ID)
	}
	if _, ok := c.Image().Topic("t"); ok {
		t.Fatal("topic still present")
	}
	if _, ok := c.Image().TopicByID(id); ok {
		t.Fatal("topic still present by id")
	}
	if _, ok := old.Topic("t"); !ok {
		t.Fatal("an older image was mutated")
	}
	if _, err := c.DeleteTopic(ctxT(t), "t"); !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("second delete: %v", err)
	}
	tp2, err := c.CreateTopic(ctxT(t), CreateTopicRequest{Name: "t", NumPartitions: 1, ReplicationFactor: 1})
	must(t, err, "recreate")
	if tp2.ID == tp.ID {
		t.Fatal("recreated topic reuses the old id")
	}
}

func TestCreatePartitions(t *testing.T) {
	c := startController(t, testConfig(1, t.TempDir()))
	registerBrokers(t, c, 1, 2)
	_, err := c.CreateTopic(ctxT(t), CreateTopicRequest{Name: "t", NumPartitions: 3, ReplicationFactor: 2})
	must(t, err, "create")

	err = c.CreatePartitions(ctxT(t), "t", 2, nil, false)
	if !errors.Is(err, ErrInvalidPartitions) ||
		err.Error() != "Topic currently has 3 partitions, which is higher than the requested 2." {
		t.Fatalf("shrink: %v", err)
	}
	if err := c.CreatePartitions(ctxT(t), "t", 3, nil, false); !errors.Is(err, ErrInvalidPartitions) {
		t.Fatalf("same count: %v", err)
	}
	if err := c.CreatePartitions(ctxT(t), "nope", 3, nil, false); !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("unknown topic: %v", err)
	}
	if err := c.CreatePartitions(ctxT(t), "t", 5, [][]int32{{1, 2}}, false); !errors.Is(err, ErrInvalidReplicaAssignment) {
		t.Fatalf("short assignment: %v", err)
	}
	if err := c.CreatePartitions(ctxT(t), "t", 4, [][]int32{{1}}, false); !errors.Is(err, ErrInvalidReplicaAssignment) {
		t.Fatalf("inconsistent rf: %v", err)
	}
	must(t, c.CreatePartitions(ctxT(t), "t", 9, nil, true), "validate only")
	if n := len(mustTopic(t, c, "t").Partitions); n != 3 {
		t.Fatalf("validate-only changed partitions to %d", n)
	}
	must(t, c.CreatePartitions(ctxT(t), "t", 5, nil, false), "grow to 5")
	must(t, c.CreatePartitions(ctxT(t), "t", 6, [][]int32{{2, 1}}, false), "grow to 6 manual")
	tp := mustTopic(t, c, "t")
	if len(tp.Partitions) != 6 || tp.Partitions[5].Leader != 2 || len(tp.Partitions[4].Replicas) != 2 {
		t.Fatalf("topic after growth = %+v", tp.Partitions)
	}
}

func mustTopic(t *testing.T, c *Controller, name string) *metadata.Topic {
	t.Helper()
	tp, ok := c.Image().Topic(name)
	if !ok {
		t.Fatalf("topic %q missing", name)
	}
	return tp
}

func TestAlterTopicConfig(t *testing.T) {
	cfg := testConfig(1, t.TempDir())
	cfg.DefaultTopicConfig = func(name string) (string, bool) {
		if name == "cleanup.policy" {
			return "delete", true
		}
		return "", false
	}
	cfg.ValidateConfig = func(name, value string) error {
		if name == "bogus" {
			return errors.New("Unknown topic config name: bogus")
		}
		return nil
	}
	c := startController(t, cfg)
	registerBrokers(t, c, 1)
	_, err := c.CreateTopic(ctxT(t), CreateTopicRequest{Name: "t", NumPartitions: 1, ReplicationFactor: 1,
		Configs: map[string]string{"retention.ms": "5", "segment.bytes": "1048576"}})
	must(t, err, "create")

	steps := []struct {
		ops        []ConfigOp
		replaceAll bool
		want       map[string]string
	}{
		{[]ConfigOp{{Key: "retention.ms", Value: "7"}, {Key: "segment.bytes", Op: OpDelete}}, false,
			map[string]string{"retention.ms": "7"}},
		{[]ConfigOp{{Key: "cleanup.policy", Value: "compact", Op: OpAppend}}, false,
			map[string]string{"retention.ms": "7", "cleanup.policy": "delete,compact"}},
		{[]ConfigOp{{Key: "cleanup.policy", Value: "delete", Op: OpSubtract}}, false,
			map[string]string{"retention.ms": "7", "cleanup.policy": "compact"}},
		{[]ConfigOp{{Key: "max.message.bytes", Value: "100"}}, true,
			map[string]string{"max.message.bytes": "100"}},
	}
	for i, s := range steps {
		must(t, c.AlterTopicConfig(ctxT(t), "t", s.ops, s.replaceAll, false), "step %d", i)
		if got := mustTopic(t, c, "t").Configs; !reflect.DeepEqual(got, s.want) {
			t.Fatalf("step %d: configs %v, want %v", i, got, s.want)
		}
	}
	err = c.AlterTopicConfig(ctxT(t), "t", []ConfigOp{{Key: "bogus", Value: "1"}}, false, false)
	if !errors.Is(err, ErrInvalidConfig) || err.Error() != "Unknown topic config name: bogus" {
		t.Fatalf("invalid config: %v", err)
	}
	must(t, c.AlterTopicConfig(ctxT(t), "t", []ConfigOp{{Key: "retention.ms", Value: "1"}}, false, true), "validate only")
	if _, ok := mustTopic(t, c, "t").Configs["retention.ms"]; ok {
		t.Fatal("validate-only alter wrote")
	}
	if err := c.AlterTopicConfig(ctxT(t), "x", nil, false, false); !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("unknown topic: %v", err)
	}
}

func TestBrokersAndPartitionChange(t *testing.T) {
	c := startController(t, testConfig(1, t.TempDir()))
	registerBrokers(t, c, 1, 2)
	idx := c.Image().AppliedIndex
	registerBrokers(t, c, 2) // identical registration: no new record
	if c.Image().AppliedIndex != idx {
		t.Fatal("idempotent registration wrote a record")
	}
	must(t, c.FenceBroker(ctxT(t), 2, true), "fence")
	if live := c.Image().LiveBrokers(); len(live) != 1 || live[0].ID != 1 {
		t.Fatalf("live after fence = %v", live)
	}
	if _, err := c.CreateTopic(ctxT(t), CreateTopicRequest{Name: "t", NumPartitions: 1, ReplicationFactor: 2}); !errors.Is(err, ErrInvalidReplicationFactor) {
		t.Fatalf("rf over live brokers: %v", err)
	}
	must(t, c.FenceBroker(ctxT(t), 2, false), "unfence")
	if err := c.FenceBroker(ctxT(t), 9, true); !errors.Is(err, ErrUnknownBroker) {
		t.Fatalf("fence unknown: %v", err)
	}
	tp, err := c.CreateTopic(ctxT(t), CreateTopicRequest{Name: "t", Assignments: map[int32][]int32{0: {1, 2}}})
	must(t, err, "create")
	leader := int32(2)
	must(t, c.ChangePartition(ctxT(t), PartitionChangeRecord{TopicID: tp.ID, Partition: 0, Leader: &leader, ISR: []int32{2}}), "change")
	p, _ := c.Image().PartitionOf("t", 0)
	if p.Leader != 2 || p.LeaderEpoch != 1 || p.PartitionEpoch != 1 || !slices.Equal(p.ISR, []int32{2}) {
		t.Fatalf("partition after change = %+v", p)
	}
	must(t, c.ChangePartition(ctxT(t), PartitionChangeRecord{TopicID: tp.ID, Partition: 0, ISR: []int32{2, 1}}), "isr change")
	p, _ = c.Image().PartitionOf("t", 0)
	if p.LeaderEpoch != 1 || p.PartitionEpoch != 2 || len(p.ISR) != 2 {
		t.Fatalf("partition after isr change = %+v", p)
	}
	if tp.Partitions[0].Leader != 1 {
		t.Fatal("published topic was mutated")
	}
}
