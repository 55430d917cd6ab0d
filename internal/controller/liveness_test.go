package controller

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/samsa-io/samsa/internal/metadata"
)

// ledBy2 is a controller (node 1) with brokers 1, 2, 3 and topic "t" whose
// one partition is assigned [2, 1, 3], so broker 2 leads it.
func ledBy2(t *testing.T) (*Controller, *metadata.Topic) {
	t.Helper()
	c := startController(t, testConfig(1, t.TempDir()))
	registerBrokers(t, c, 1, 2, 3)
	topic, err := c.CreateTopic(ctxT(t), CreateTopicRequest{Name: "t", NumPartitions: 1,
		ReplicationFactor: -1, Assignments: map[int32][]int32{0: {2, 1, 3}}})
	must(t, err, "create topic")
	if p := topic.Partitions[0]; p.Leader != 2 || !slices.Equal(p.ISR, []int32{2, 1, 3}) {
		t.Fatalf("created partition %+v, want leader 2 ISR [2 1 3]", p)
	}
	return c, topic
}

func part(c *Controller) metadata.Partition {
	p, _ := c.Image().PartitionOf("t", 0)
	return p
}

func TestExpiredSessionFencesAndElectsFromISR(t *testing.T) {
	c, _ := ledBy2(t)
	start := time.Now().Add(-10 * time.Second)
	must(t, c.FenceExpiredBrokers(ctxT(t), start, time.Second), "first pass")
	if len(c.Image().LiveBrokers()) != 3 {
		t.Fatal("fenced brokers never seen in this term")
	}
	must(t, c.FenceExpiredBrokers(ctxT(t), start.Add(900*time.Millisecond), time.Second), "within session")
	if len(c.Image().LiveBrokers()) != 3 {
		t.Fatal("fenced a broker inside its session")
	}
	_, err := beat(t, c, 3, false)
	must(t, err, "heartbeat 3")
	must(t, c.FenceExpiredBrokers(ctxT(t), time.Now(), time.Second), "expired 2")
	if !c.Image().Brokers[2].Fenced || c.Image().Brokers[3].Fenced {
		t.Fatalf("brokers after broker 2's session expired: %+v", c.Image().Brokers)
	}
	p := part(c)
	if p.Leader != 1 || p.LeaderEpoch != 1 || !slices.Equal(p.ISR, []int32{1, 3}) {
		t.Fatalf("partition after fencing its leader: %+v, want leader 1 epoch 1 ISR [1 3]", p)
	}
	res, err := beat(t, c, 2, false)
	if err != nil || res.Fenced || c.Image().Brokers[2].Fenced {
		t.Fatalf("heartbeat of the fenced broker: %+v err %v", res, err)
	}
	if p := part(c); p.Leader != 1 {
		t.Fatalf("leadership moved back on unfence: %+v", p)
	}
}

// The last ISR member leaving empties the ISR and makes it an eligible
// leader replica (KIP-966, Kafka 4.4); back, it leads again.
func TestLastISRMemberJoinsELRAndLeadsAgain(t *testing.T) {
	c, topic := ledBy2(t)
	// Shrink the ISR to the leader alone, as a leader would.
	_, err := c.AlterPartition(ctxT(t), AlterPartitionRequest{BrokerID: 2, BrokerEpoch: epochOf(c, 2),
		TopicID: topic.ID, Partition: 0, LeaderEpoch: 0, PartitionEpoch: 0, ISR: []int32{2}})
	must(t, err, "alter partition")
	_, err = beat(t, c, 2, true) // controlled fence
	must(t, err, "fence 2")
	p := part(c)
	if p.Leader != -1 || len(p.ISR) != 0 || !slices.Equal(p.ELR, []int32{2}) || !slices.Equal(p.LastKnownELR, []int32{2}) {
		t.Fatalf("partition after fencing its only ISR member: %+v, want offline, ISR [], ELR [2], last known [2]", p)
	}
	_, err = beat(t, c, 2, false)
	must(t, err, "unfence 2")
	if p := part(c); p.Leader != 2 || p.LeaderEpoch != 2 || !slices.Equal(p.ISR, []int32{2}) ||
		len(p.ELR) != 0 || len(p.LastKnownELR) != 0 {
		t.Fatalf("offline partition after its ELR member returned: %+v, want leader 2 epoch 2 ISR [2], no ELR", p)
	}
}

func TestAlterPartitionChecksEpochs(t *testing.T) {
	c, topic := ledBy2(t)
	req := AlterPartitionRequest{BrokerID: 2, BrokerEpoch: epochOf(c, 2), TopicID: topic.ID, Partition: 0,
		ISR: []int32{2, 1}}
	bad := []struct {
		name string
		edit func(*AlterPartitionRequest)
		want error
	}{
		{"not leader", func(r *AlterPartitionRequest) { r.BrokerID, r.BrokerEpoch = 1, epochOf(c, 1) }, ErrNotLeader},
		{"stale broker epoch", func(r *AlterPartitionRequest) { r.BrokerEpoch-- }, ErrStaleBrokerEpoch},
		{"old leader epoch", func(r *AlterPartitionRequest) { r.LeaderEpoch = -1 }, ErrFencedLeaderEpoch},
		{"old partition epoch", func(r *AlterPartitionRequest) { r.PartitionEpoch = 5 }, ErrInvalidUpdateVersion},
		{"not a replica", func(r *AlterPartitionRequest) { r.ISR = []int32{2, 4} }, ErrIneligibleReplica},
		{"no leader", func(r *AlterPartitionRequest) { r.ISR = []int32{1, 3} }, ErrInvalidRequest},
	}
	for _, b := range bad {
		r := req
		b.edit(&r)
		if _, err := c.AlterPartition(ctxT(t), r); !errors.Is(err, b.want) {
			t.Errorf("%s: %v, want %v", b.name, err, b.want)
		}
	}
	p, err := c.AlterPartition(ctxT(t), req)
	if err != nil || !slices.Equal(p.ISR, []int32{2, 1}) || p.PartitionEpoch != 1 {
		t.Fatalf("valid shrink: %+v %v", p, err)
	}
	if _, err := c.AlterPartition(ctxT(t), req); !errors.Is(err, ErrInvalidUpdateVersion) {
		t.Fatalf("replayed change: %v", err)
	}
	must(t, c.FenceBroker(ctxT(t), 3, true), "fence 3")
	r := req
	r.PartitionEpoch, r.ISR = 1, []int32{2, 1, 3}
	if _, err := c.AlterPartition(ctxT(t), r); !errors.Is(err, ErrIneligibleReplica) {
		t.Fatalf("adding a fenced broker: %v", err)
	}
}

func TestUncleanElectionOnlyWhenEnabled(t *testing.T) {
	for _, unclean := range []bool{false, true} {
		c, topic := ledBy2(t)
		if unclean {
			must(t, c.AlterTopicConfig(ctxT(t), "t", []ConfigOp{{Key: "unclean.leader.election.enable",
				Value: "true", Op: OpSet}}, false, false), "enable unclean election")
		}
		_, err := c.AlterPartition(ctxT(t), AlterPartitionRequest{BrokerID: 2, BrokerEpoch: epochOf(c, 2),
			TopicID: topic.ID, Partition: 0, ISR: []int32{2}})
		must(t, err, "shrink to the leader")
		_, err = beat(t, c, 2, true)
		must(t, err, "fence 2")
		p := part(c)
		if unclean && (p.Leader != 1 || !slices.Equal(p.ISR, []int32{1})) {
			t.Fatalf("unclean: %+v, want leader 1 with ISR [1]", p)
		}
		if !unclean && p.Leader != -1 {
			t.Fatalf("clean: %+v, want offline", p)
		}
	}
}

// A broker that stopped heartbeating is fenced before its session expires
// only when the probe says its process is gone.
func TestFenceDeadBrokersNeedsProofOfDeath(t *testing.T) {
	c, _ := ledBy2(t)
	past := time.Now().Add(-10 * time.Second)
	must(t, c.FenceExpiredBrokers(ctxT(t), past, time.Hour), "start sessions in the past")
	var probed []int32
	alive := func(b metadata.Broker) bool { probed = append(probed, b.ID); return false }
	must(t, c.FenceDeadBrokers(ctxT(t), time.Now(), time.Second, alive), "probe answers")
	if len(c.Image().LiveBrokers()) != 3 {
		t.Fatal("fenced a broker whose listener still answers")
	}
	if slices.Contains(probed, 1) || len(probed) != 2 {
		t.Fatalf("probed %v, want the two silent brokers other than the controller itself", probed)
	}
	_, err := beat(t, c, 3, false)
	must(t, err, "heartbeat 3")
	gone := func(b metadata.Broker) bool { return true }
	must(t, c.FenceDeadBrokers(ctxT(t), time.Now(), time.Second, gone), "probe refused")
	if !c.Image().Brokers[2].Fenced || c.Image().Brokers[3].Fenced {
		t.Fatalf("after broker 2 was found gone: %+v", c.Image().Brokers)
	}
	if p := part(c); p.Leader == 2 {
		t.Fatalf("the dead broker still leads: %+v", p)
	}
}
