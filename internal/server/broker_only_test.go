package server

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/samsa-io/samsa/internal/config"
)

// brokerOnlyConfig is node id's configuration as a broker-only node of
// tc's cluster: process.roles=broker, the same controller.quorum.voters
// and controller.listener.names, no controller listener of its own.
func brokerOnlyConfig(t *testing.T, tc *testCluster, id int32, port int) *config.Broker {
	t.Helper()
	var voters []string
	for _, v := range tc.cfgs[0].ControllerQuorumVoters {
		voters = append(voters, fmt.Sprintf("%d@%s", v.ID, v.Addr()))
	}
	cfg, _, err := config.Parse(nil, "test", []string{
		fmt.Sprintf("node.id=%d", id), "process.roles=broker",
		"controller.quorum.voters=" + strings.Join(voters, ","),
		fmt.Sprintf("listeners=PLAINTEXT://127.0.0.1:%d", port),
		"inter.broker.listener.name=PLAINTEXT", "controller.listener.names=CONTROLLER",
		"listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
		"log.dirs=" + t.TempDir(), "broker.heartbeat.interval.ms=200", "broker.session.timeout.ms=3000",
		"replica.lag.time.max.ms=3000", "default.replication.factor=3", "min.insync.replicas=2",
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// A broker-only node joins a running three-voter cluster: it follows the
// metadata log as a Raft non-voter (its Raft traffic shares its
// inter-broker port), sees topics created before it came, is listed by
// Metadata, hosts replicas of a topic created after it registered, and
// keeps following the log across an active controller crash.
func TestBrokerOnlyNodeJoinsRunningCluster(t *testing.T) {
	tc := startCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	adm := func(seeds ...string) (*kadm.Client, func()) {
		cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.MetadataMinAge(100*time.Millisecond),
			kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordPartitioner(kgo.ManualPartitioner()))
		if err != nil {
			t.Fatal(err)
		}
		return kadm.NewClient(cl), cl.Close
	}
	a, closeA := adm(tc.clients...)
	defer closeA()
	if _, err := a.CreateTopic(ctx, 1, 3, nil, "before"); err != nil {
		t.Fatalf("create topic: %v", err)
	}

	port := freePorts(t, 1)[0]
	addr4 := fmt.Sprintf("127.0.0.1:%d", port)
	joined := time.Now()
	n4, err := Start(ctx, brokerOnlyConfig(t, tc, 4, port), tc.logger.With("test_node", 4))
	if err != nil {
		t.Fatalf("start broker-only node: %v", err)
	}
	t.Cleanup(func() { n4.Close() })
	t.Logf("broker-only node 4 joined and caught up in %v", time.Since(joined).Round(time.Millisecond))
	if n4.ctrl.IsLeader() {
		t.Fatal("a broker-only node became the active controller")
	}
	q, err := n4.ctrl.Quorum()
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Voters) != 3 || len(q.Observers) != 1 || q.Observers[0].ID != 4 || q.Observers[0].Addr != addr4 {
		t.Fatalf("raft configuration: voters %+v, non-voters %+v; want node 4 a non-voter at %s", q.Voters, q.Observers, addr4)
	}
	if _, ok := n4.ctrl.Image().Topic("before"); !ok {
		t.Fatal("node 4 does not see the topic created before it joined")
	}
	tc.eventually("4 live brokers on every node", func() bool {
		for _, s := range append(slices.Clone(tc.nodes), n4) {
			if len(s.ctrl.Image().LiveBrokers()) != 4 {
				return false
			}
		}
		return true
	})
	// Its metadata log dir's id reached every node's image through
	// BrokerRegistration; DescribeQuorum reports it for the observer.
	for i, s := range tc.nodes {
		if got := s.ctrl.Image().Brokers[4].MetadataDirectoryID; got == ([16]byte{}) || got != n4.dirIDs[0] {
			t.Errorf("node %d: broker 4 metadata directory id %x, want %x", i+1, got, n4.dirIDs[0])
		}
	}
	// The active controller knows node 4's metadata progress from its
	// heartbeats, for DescribeQuorum.
	tc.eventually("node 4's progress on the leader", func() bool {
		for _, s := range tc.nodes {
			if !s.ctrl.IsLeader() {
				continue
			}
			q, err := s.ctrl.Quorum()
			return err == nil && len(q.Observers) == 1 && q.Observers[0].Progress != nil &&
				q.Observers[0].LogEndOffset > 0 && !q.Observers[0].Progress.CaughtUp.IsZero()
		}
		return false
	})
	a4, close4 := adm(addr4) // bootstrapped from the broker-only node alone
	defer close4()
	meta, err := a4.BrokerMetadata(ctx)
	if err != nil {
		t.Fatalf("metadata from node 4: %v", err)
	}
	if ids := meta.Brokers.NodeIDs(); !slices.Equal(ids, []int32{1, 2, 3, 4}) {
		t.Fatalf("Metadata from node 4 lists brokers %v", ids)
	}
	if meta.Controller < 1 || meta.Controller > 3 {
		t.Fatalf("Metadata from node 4 names controller %d", meta.Controller)
	}

	// Four partitions of RF=3 over four brokers: node 4 hosts three.
	if _, err := a4.CreateTopic(ctx, 4, 3, nil, "after"); err != nil {
		t.Fatalf("create topic through node 4: %v", err)
	}
	hosted := func() []int32 {
		t, ok := n4.ctrl.Image().Topic("after")
		if !ok {
			return nil
		}
		var out []int32
		for _, p := range t.Partitions {
			if slices.Contains(p.ISR, 4) {
				out = append(out, p.Index)
			}
		}
		return out
	}
	tc.eventually("node 4 in the ISR of its replicas of the new topic", func() bool { return len(hosted()) >= 2 })
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr4), kgo.DefaultProduceTopic("after"),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.MetadataMinAge(100*time.Millisecond), kgo.RecordRetries(1000))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for _, p := range hosted() {
		if err := cl.ProduceSync(ctx, &kgo.Record{Partition: p, Value: []byte("v")}).FirstErr(); err != nil {
			t.Fatalf("acks=all produce to partition %d: %v", p, err)
		}
		if rp := n4.parts.Partition("after", p); rp == nil || rp.LogEndOffset() < 1 {
			tc.eventually(fmt.Sprintf("node 4's replica of after-%d has the record", p), func() bool {
				rp := n4.parts.Partition("after", p)
				return rp != nil && rp.LogEndOffset() >= 1
			})
		}
	}
	t.Logf("node 4 hosts replicas of partitions %v of the new RF=3 topic", hosted())

	// The active controller crashes; node 4 follows the new one.
	active := tc.running().ctrl.LeaderID()
	tc.stop(active, true)
	a2, close2 := adm(tc.liveAddrs()...)
	defer close2()
	for {
		resp, err := a2.CreateTopic(ctx, 1, 2, nil, "later")
		if err == nil && resp.Err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("create topic after the controller crash: %v %v", err, resp.Err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	tc.eventually("node 4 sees the topic made by the new controller", func() bool {
		_, ok := n4.ctrl.Image().Topic("later")
		return ok && n4.ctrl.LeaderID() != active && n4.ctrl.LeaderID() >= 0
	})
	if b := n4.ctrl.Image().Brokers[4]; b.Fenced {
		t.Fatal("node 4 fenced after the controller failover")
	}
}
