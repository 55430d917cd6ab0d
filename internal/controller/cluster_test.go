package controller

import (
	"errors"
	"testing"
	"time"
)

// testCluster is an in-process three-voter quorum over TCP on 127.0.0.1.
type testCluster struct {
	cfgs  []Config
	nodes []*Controller
}

func startCluster(t *testing.T, n int) *testCluster {
	t.Helper()
	addrs := freeAddrs(t, n)
	var voters []Voter
	for i, a := range addrs {
		voters = append(voters, Voter{ID: int32(i + 1), Addr: a})
	}
	tc := &testCluster{}
	for i := range n {
		cfg := testConfig(int32(i+1), t.TempDir())
		cfg.Voters = voters
		tc.cfgs = append(tc.cfgs, cfg)
		c, err := New(cfg)
		if err != nil {
			t.Fatalf("New node %d: %v", i+1, err)
		}
		t.Cleanup(func() { _ = c.Close() })
		tc.nodes = append(tc.nodes, c)
	}
	for _, c := range tc.nodes {
		waitReady(t, c)
	}
	return tc
}

// leader waits for a leader among the open nodes and returns it.
func (tc *testCluster) leader(t *testing.T, skip *Controller) *Controller {
	t.Helper()
	var l *Controller
	eventually(t, 10*time.Second, "a leader", func() bool {
		for _, c := range tc.nodes {
			if c != skip && c.IsLeader() {
				l = c
				return true
			}
		}
		return false
	})
	return l
}

func TestClusterReplicates(t *testing.T) {
	tc := startCluster(t, 3)
	l := tc.leader(t, nil)
	cid := l.Image().ClusterID
	registerBrokers(t, l, 1, 2, 3)
	tp, err := l.CreateTopic(ctxT(t), CreateTopicRequest{Name: "t", NumPartitions: 3, ReplicationFactor: 3})
	must(t, err, "create")
	for _, c := range tc.nodes {
		eventually(t, 5*time.Second, "topic on every node", func() bool {
			got, ok := c.Image().Topic("t")
			return ok && got.ID == tp.ID && len(got.Partitions) == 3
		})
		if c.Image().ClusterID != cid {
			t.Fatalf("node %d cluster id %q, leader has %q", c.cfg.NodeID, c.Image().ClusterID, cid)
		}
		if c.LeaderID() != l.cfg.NodeID {
			t.Fatalf("node %d thinks leader is %d", c.cfg.NodeID, c.LeaderID())
		}
		if c != l {
			_, err := c.CreateTopic(ctxT(t), CreateTopicRequest{Name: "u", NumPartitions: 1, ReplicationFactor: 1})
			if !errors.Is(err, ErrNotController) {
				t.Fatalf("follower create: %v", err)
			}
		}
	}
}

func TestClusterFailover(t *testing.T) {
	tc := startCluster(t, 3)
	old := tc.leader(t, nil)
	registerBrokers(t, old, 1, 2, 3)
	_, err := old.CreateTopic(ctxT(t), CreateTopicRequest{Name: "before", NumPartitions: 1, ReplicationFactor: 2})
	must(t, err, "create before")
	must(t, old.Close(), "close leader")

	nl := tc.leader(t, old)
	if nl == old {
		t.Fatal("closed node still leader")
	}
	waitReady(t, nl)
	if _, ok := nl.Image().Topic("before"); !ok {
		t.Fatal("new leader lost a committed topic")
	}
	_, err = nl.CreateTopic(ctxT(t), CreateTopicRequest{Name: "after", NumPartitions: 2, ReplicationFactor: 3})
	must(t, err, "create after failover")
	for _, c := range tc.nodes {
		if c == old {
			continue
		}
		eventually(t, 5*time.Second, "topic after failover on survivors", func() bool {
			_, ok := c.Image().Topic("after")
			return ok && c.Image().ControllerID == nl.cfg.NodeID
		})
	}

	// The old leader rejoins from its data dir and catches up.
	back, err := New(tc.cfgs[old.cfg.NodeID-1])
	must(t, err, "restart old leader")
	t.Cleanup(func() { _ = back.Close() })
	waitReady(t, back)
	eventually(t, 5*time.Second, "rejoined node catches up", func() bool {
		_, ok := back.Image().Topic("after")
		return ok
	})
}
