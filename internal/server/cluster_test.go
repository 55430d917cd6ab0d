package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/samsa-io/samsa/internal/config"
)

// freePorts returns n distinct free 127.0.0.1 ports.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// testCluster is three in-process nodes, each broker and controller.
type testCluster struct {
	t       *testing.T
	nodes   []*Server
	cfgs    []*config.Broker
	clients []string
	logger  *slog.Logger
}

func startCluster(t *testing.T) *testCluster {
	t.Helper()
	ports := freePorts(t, 6)
	var nodes [3]nodeLayout
	for i := range nodes {
		client, ctrl := fmt.Sprintf("127.0.0.1:%d", ports[i]), fmt.Sprintf("127.0.0.1:%d", ports[3+i])
		nodes[i] = plaintextNode(client, ctrl)
	}
	return startNodes(t, testLogger(), nodes, nil)
}

// nodeLayout is one node of a three-node in-process cluster: its
// listeners and the properties that differ between tests. startNodes adds
// the common ones: roles, voters, log dir, short heartbeat and session
// timeouts, replication factor 3 and min.insync.replicas 2.
type nodeLayout struct {
	client    string   // the host:port tests bootstrap from
	ctrl      string   // the CONTROLLER listener's host:port, the voter address
	listeners string   // the listeners value (it must include CONTROLLER://ctrl)
	props     []string // inter-broker listener, protocol map, security, ...
}

// plaintextNode is a node with one PLAINTEXT client listener.
func plaintextNode(client, ctrl string) nodeLayout {
	return nodeLayout{client: client, ctrl: ctrl,
		listeners: fmt.Sprintf("PLAINTEXT://%s,CONTROLLER://%s", client, ctrl),
		props: []string{"inter.broker.listener.name=PLAINTEXT",
			"listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"}}
}

// startNodes starts the three nodes at once (none serves before a quorum
// of voters runs), registers their shutdown and waits until every node sees
// three live brokers. opts gives a node's Options (nil: none).
func startNodes(t *testing.T, logger *slog.Logger, nodes [3]nodeLayout, opts func(id int32) Options) *testCluster {
	t.Helper()
	var voters []string
	for i, n := range nodes {
		voters = append(voters, fmt.Sprintf("%d@%s", i+1, n.ctrl))
	}
	tc := &testCluster{t: t, nodes: make([]*Server, 3), cfgs: make([]*config.Broker, 3), logger: logger}
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i, n := range nodes {
		id := int32(i + 1)
		tc.clients = append(tc.clients, n.client)
		cfg, _, err := config.Parse(nil, "test", append([]string{
			fmt.Sprintf("node.id=%d", id), "process.roles=broker,controller",
			"controller.quorum.voters=" + strings.Join(voters, ","),
			"listeners=" + n.listeners, "controller.listener.names=CONTROLLER",
			"log.dirs=" + t.TempDir(), "broker.heartbeat.interval.ms=200", "broker.session.timeout.ms=3000",
			"replica.lag.time.max.ms=3000", "default.replication.factor=3", "min.insync.replicas=2",
		}, n.props...))
		if err != nil {
			t.Fatal(err)
		}
		tc.cfgs[i] = cfg
		var o Options
		if opts != nil {
			o = opts(id)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			tc.nodes[i], errs[i] = StartWithOptions(ctx, cfg, logger.With("test_node", id), o)
		}()
	}
	wg.Wait()
	t.Cleanup(tc.closeAll)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("start node %d: %v", i+1, err)
		}
	}
	tc.eventually("3 live brokers", func() bool {
		for _, s := range tc.nodes {
			if len(s.ctrl.Image().LiveBrokers()) != 3 {
				return false
			}
		}
		return true
	})
	return tc
}

// testLogger discards logs (Raft logs every refused dial at ERROR) unless
// SAMSA_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("SAMSA_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func (tc *testCluster) closeAll() {
	for i, s := range tc.nodes {
		if s != nil {
			s.Close()
			tc.nodes[i] = nil
		}
	}
}

func (tc *testCluster) eventually(what string, cond func() bool) {
	tc.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tc.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// running returns a live node.
func (tc *testCluster) running() *Server {
	for _, s := range tc.nodes {
		if s != nil {
			return s
		}
	}
	return nil
}

func (tc *testCluster) liveAddrs() []string {
	var out []string
	for i, s := range tc.nodes {
		if s != nil {
			out = append(out, tc.clients[i])
		}
	}
	return out
}

// stop stops node id: a controlled shutdown, or with crash a stop without
// telling the controller, which then has to notice the expired session.
func (tc *testCluster) stop(id int32, crash bool) {
	s := tc.nodes[id-1]
	if crash {
		s.life.Close() // stop heartbeats and fetchers first: no controlled shutdown
		s.repl.Close()
	}
	if err := s.Close(); err != nil {
		tc.t.Logf("close node %d: %v", id, err)
	}
	tc.nodes[id-1] = nil
}

// restart starts a stopped node again on its data directory.
func (tc *testCluster) restart(id int32) {
	tc.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := Start(ctx, tc.cfgs[id-1], tc.logger.With("test_node", id))
	if err != nil {
		tc.t.Fatalf("restart node %d: %v", id, err)
	}
	tc.nodes[id-1] = s
}

// A topic with RF=3 and min.insync.replicas=2 keeps every acknowledged
// acks=all record when its leader is shut down mid-stream.
func TestClusterSurvivesLeaderShutdownWithoutLosingAcks(t *testing.T) {
	testLeaderLoss(t, false)
}

// The same when the leader vanishes without a word: its session expires
// (broker.session.timeout.ms) and the controller elects from the ISR.
func TestClusterSurvivesLeaderCrashWithoutLosingAcks(t *testing.T) {
	testLeaderLoss(t, true)
}

func testLeaderLoss(t *testing.T, crash bool) {
	tc := startCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(tc.clients...), kgo.DefaultProduceTopic("ha"),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProduceRequestTimeout(5*time.Second), kgo.RecordRetries(1000), kgo.MetadataMinAge(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 3, nil, "ha"); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	tc.eventually("a fully replicated ISR", func() bool {
		p, ok := tc.running().ctrl.Image().PartitionOf("ha", 0)
		return ok && len(p.ISR) == 3
	})
	acked := map[string]bool{}
	produce := func(from, to int) {
		for i := from; i < to; i++ {
			v := fmt.Sprint(i)
			if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(v)}).FirstErr(); err != nil {
				t.Fatalf("produce %d: %v", i, err)
			}
			acked[v] = true
		}
	}
	produce(0, 200)
	p, _ := tc.running().ctrl.Image().PartitionOf("ha", 0)
	leader := p.Leader
	t.Logf("stopping leader %d (crash %v, active controller %d)", leader, crash, tc.running().ctrl.LeaderID())
	stopped := time.Now()
	tc.stop(leader, crash)
	produce(200, 201)
	t.Logf("first acks=all produce %v after the leader stopped", time.Since(stopped).Round(time.Millisecond))
	produce(201, 400)
	after, _ := tc.running().ctrl.Image().PartitionOf("ha", 0)
	if after.Leader == leader || after.LeaderEpoch <= p.LeaderEpoch {
		t.Fatalf("partition after the leader left: %+v (before %+v)", after, p)
	}
	seen := consumeAll(t, ctx, tc.liveAddrs(), len(acked))
	for v := range acked {
		if seen[v] != 1 {
			t.Errorf("acknowledged record %s read %d times", v, seen[v])
		}
	}
	t.Logf("acknowledged %d, read %d distinct; leader %d -> %d (epoch %d -> %d)",
		len(acked), len(seen), leader, after.Leader, p.LeaderEpoch, after.LeaderEpoch)
	if !crash {
		return
	}
	// The former leader returns: it follows the new leader, catches up and
	// is added back to the ISR through AlterPartition.
	tc.restart(leader)
	tc.eventually("the former leader back in the ISR", func() bool {
		p, _ := tc.running().ctrl.Image().PartitionOf("ha", 0)
		return len(p.ISR) == 3
	})
	newLeader := tc.nodes[after.Leader-1].parts.Partition("ha", 0)
	back := tc.nodes[leader-1].parts.Partition("ha", 0)
	tc.eventually("the same log end offset", func() bool { return back.LogEndOffset() == newLeader.LogEndOffset() })
	produce(400, 410)
}

func consumeAll(t *testing.T, ctx context.Context, seeds []string, want int) map[string]int {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ConsumeTopics("ha"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	seen := map[string]int{}
	total := 0
	for total < want && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) {
			seen[string(r.Value)]++
			total++
		})
	}
	return seen
}
