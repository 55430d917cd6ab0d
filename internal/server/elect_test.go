package server

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// allInSync waits until every partition of topic has its full replica set
// in the ISR.
func (tc *testCluster) allInSync(topic string) {
	tc.t.Helper()
	tc.eventually(topic+" fully in sync", func() bool {
		t, ok := tc.running().ctrl.Image().Topic(topic)
		if !ok {
			return false
		}
		for _, p := range t.Partitions {
			if len(p.ISR) != len(p.Replicas) {
				return false
			}
		}
		return true
	})
}

// A leader moved away by a restart goes back to the preferred replica on
// a preferred ElectLeaders, without losing acknowledged records.
func TestPreferredLeaderElection(t *testing.T) {
	tc := startCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(tc.clients...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	createAssigned(t, ctx, cl, "pe", 1, 2, 3)
	tc.allInSync("pe")
	prod := startProducer(t, tc.clients, "pe")
	prod.waitFor(t, 100)

	tc.stop(1, false)
	tc.eventually("leadership moved off 1", func() bool {
		p, _ := tc.running().ctrl.Image().PartitionOf("pe", 0)
		return p.Leader != 1 && p.Leader >= 0
	})
	prod.waitFor(t, 100)
	tc.restart(1)
	tc.allInSync("pe")
	before, _ := tc.running().ctrl.Image().PartitionOf("pe", 0)

	res, err := adm.ElectLeaders(ctx, kadm.ElectPreferredReplica, kadm.TopicsSet{"pe": {0: {}}})
	if r, ok := res["pe"][0]; err != nil || !ok || r.Err != nil {
		t.Fatalf("preferred election: %v %+v", err, res)
	}
	tc.eventually("1 leads again", func() bool {
		for _, s := range tc.nodes {
			if p, _ := s.ctrl.Image().PartitionOf("pe", 0); p.Leader != 1 {
				return false
			}
		}
		return true
	})
	after, _ := tc.running().ctrl.Image().PartitionOf("pe", 0)
	if after.LeaderEpoch != before.LeaderEpoch+1 {
		t.Fatalf("leader epoch %d -> %d", before.LeaderEpoch, after.LeaderEpoch)
	}
	res, err = adm.ElectLeaders(ctx, kadm.ElectPreferredReplica, kadm.TopicsSet{"pe": {0: {}}})
	if err != nil || !errors.Is(res["pe"][0].Err, kerr.ElectionNotNeeded) {
		t.Fatalf("second election: %v %+v", err, res)
	}
	res, err = adm.ElectLeaders(ctx, kadm.ElectLiveReplica, kadm.TopicsSet{"pe": {0: {}}})
	if err != nil || !errors.Is(res["pe"][0].Err, kerr.ElectionNotNeeded) {
		t.Fatalf("unclean election with a live leader: %v %+v", err, res)
	}
	prod.waitFor(t, 100)
	prod.close()
	seen := consumeTopic(t, ctx, tc.clients, "pe", len(prod.acked))
	for _, v := range prod.acked {
		if seen[v] != 1 {
			t.Errorf("acknowledged record %s read %d times", v, seen[v])
		}
	}
	t.Logf("leader %d -> %d (epoch %d); acknowledged %d, read %d distinct",
		before.Leader, after.Leader, after.LeaderEpoch, len(prod.acked), len(seen))
}

// After a rolling restart, which moves every leader away from each node
// in turn, auto.leader.rebalance.enable brings each partition back to its
// preferred replica.
func TestAutoLeaderRebalanceAfterRollingRestart(t *testing.T) {
	tc := startCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(tc.clients...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 6, 3, nil, "ab"); err != nil {
		t.Fatal(err)
	}
	tc.allInSync("ab")
	for id := int32(1); id <= 3; id++ {
		tc.stop(id, false)
		// Restart with a one-second imbalance check: after the last
		// restart every node, so every possible active controller, has it.
		tc.cfgs[id-1].LeaderImbalanceCheckIntervalSeconds = 1
		tc.restart(id)
		tc.allInSync("ab")
	}
	start := time.Now()
	tc.eventually("every partition led by its preferred replica", func() bool {
		tp, _ := tc.running().ctrl.Image().Topic("ab")
		for _, p := range tp.Partitions {
			if p.Leader != p.Replicas[0] {
				return false
			}
		}
		return true
	})
	tp, _ := tc.running().ctrl.Image().Topic("ab")
	leaders := map[int32]int{}
	for _, p := range tp.Partitions {
		leaders[p.Leader]++
	}
	t.Logf("balanced %v after the rolling restart; leaders per broker %s", time.Since(start).Round(time.Millisecond), fmt.Sprint(leaders))
}
