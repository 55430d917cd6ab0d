package server

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/config"
)

// A cluster of three controller-only voters (process.roles=controller)
// and three broker-only nodes: the brokers register, Metadata lists only
// them, an RF=3 topic takes acks=all writes, and when the active
// controller crashes another voter takes over while produce carries on.
func TestControllerOnlyQuorumWithBrokerOnlyNodes(t *testing.T) {
	ports := freePorts(t, 6)
	var voters []string
	for i := range 3 {
		voters = append(voters, fmt.Sprintf("%d@127.0.0.1:%d", i+1, ports[i]))
	}
	tc := &testCluster{t: t, nodes: make([]*Server, 6), cfgs: make([]*config.Broker, 6), logger: slog.New(slog.DiscardHandler)}
	if os.Getenv("SAMSA_TEST_LOG") != "" {
		tc.logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	t.Cleanup(tc.closeAll)
	common := []string{
		"controller.quorum.voters=" + strings.Join(voters, ","), "controller.listener.names=CONTROLLER",
		"listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
		"broker.heartbeat.interval.ms=200", "broker.session.timeout.ms=3000",
		"replica.lag.time.max.ms=3000", "default.replication.factor=3", "min.insync.replicas=2",
	}
	for i := range 6 {
		id := i + 1
		own := []string{fmt.Sprintf("node.id=%d", id), "log.dirs=" + t.TempDir()}
		if id <= 3 {
			own = append(own, "process.roles=controller", fmt.Sprintf("listeners=CONTROLLER://127.0.0.1:%d", ports[i]))
		} else {
			addr := fmt.Sprintf("127.0.0.1:%d", ports[i])
			tc.clients = append(tc.clients, addr)
			own = append(own, "process.roles=broker", "listeners=PLAINTEXT://"+addr, "inter.broker.listener.name=PLAINTEXT")
		}
		cfg, _, err := config.Parse(nil, "test", append(own, common...))
		if err != nil {
			t.Fatal(err)
		}
		tc.cfgs[i] = cfg
	}
	startAll := func(ids ...int) {
		errs := make([]error, len(ids))
		var wg sync.WaitGroup
		for k, id := range ids {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				tc.nodes[id-1], errs[k] = Start(ctx, tc.cfgs[id-1], tc.logger.With("test_node", id))
			})
		}
		wg.Wait()
		for k, err := range errs {
			if err != nil {
				t.Fatalf("start node %d: %v", ids[k], err)
			}
		}
	}
	startAll(1, 2, 3)
	for _, s := range tc.nodes[:3] {
		if len(s.Addrs()) != 0 {
			t.Fatalf("controller-only node %d serves client listeners %v", s.cfg.NodeID, s.Addrs())
		}
	}
	startAll(4, 5, 6)
	brokerIDs := []int32{4, 5, 6}
	tc.eventually("brokers 4, 5, 6 live on every node", func() bool {
		for _, s := range tc.nodes {
			var ids []int32
			for _, b := range s.ctrl.Image().LiveBrokers() {
				ids = append(ids, b.ID)
			}
			slices.Sort(ids)
			if !slices.Equal(ids, brokerIDs) {
				return false
			}
		}
		return true
	})
	active := tc.running().ctrl.LeaderID()
	if active < 1 || active > 3 {
		t.Fatalf("active controller %d is not one of the controller-only voters", active)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(tc.clients...), kgo.DefaultProduceTopic("ha"),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProduceRequestTimeout(5*time.Second), kgo.RecordRetries(1000), kgo.MetadataMinAge(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()

	// Metadata lists the brokers only, and names a broker as controller
	// (the clients' admin requests reach the real one by forwarding).
	meta, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	var listed []int32
	for _, b := range meta.Brokers {
		listed = append(listed, b.NodeID)
	}
	slices.Sort(listed)
	if !slices.Equal(listed, brokerIDs) || !slices.Contains(brokerIDs, meta.ControllerID) {
		t.Fatalf("metadata brokers %v controller %d; want brokers %v and one of them as controller", listed, meta.ControllerID, brokerIDs)
	}

	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 3, nil, "ha"); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	tc.eventually("a fully replicated ISR on the brokers", func() bool {
		p, ok := tc.running().ctrl.Image().PartitionOf("ha", 0)
		if !ok || len(p.ISR) != 3 {
			return false
		}
		for _, r := range p.Replicas {
			if !slices.Contains(brokerIDs, r) {
				t.Fatalf("replica assigned to non-broker %d: %+v", r, p)
			}
		}
		return true
	})
	for _, s := range tc.nodes[:3] {
		if s.parts.Partition("ha", 0) != nil {
			t.Fatalf("controller-only node %d hosts a replica", s.cfg.NodeID)
		}
	}

	acked := map[string]bool{} // written by one goroutine at a time
	produce := func(from, to int) error {
		for i := from; i < to; i++ {
			v := fmt.Sprint(i)
			if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(v)}).FirstErr(); err != nil {
				return fmt.Errorf("produce %d: %w", i, err)
			}
			acked[v] = true
		}
		return nil
	}
	if err := produce(0, 100); err != nil {
		t.Fatal(err)
	}

	// Crash-stop the active controller while producing.
	done := make(chan error, 1)
	go func() { done <- produce(100, 300) }()
	time.Sleep(50 * time.Millisecond)
	killed := time.Now()
	tc.stop(active, true)
	tc.eventually("a new active controller", func() bool {
		id := tc.running().ctrl.LeaderID()
		return id >= 1 && id <= 3 && id != active
	})
	t.Logf("controller %d killed; controller %d active after %v", active, tc.running().ctrl.LeaderID(),
		time.Since(killed).Round(time.Millisecond))
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("while the controller failed over: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("produce did not finish after the controller failover")
	}
	// The new controller serves admin requests and broker lifecycle:
	// create another topic, and keep producing.
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 2, nil, "after"); err != nil {
		t.Fatalf("create topic after failover: %v", err)
	}
	if err := produce(300, 350); err != nil {
		t.Fatal(err)
	}
	seen := consumeAll(t, ctx, tc.clients, len(acked))
	for v := range acked {
		if seen[v] != 1 {
			t.Errorf("acknowledged record %s read %d times", v, seen[v])
		}
	}
	t.Logf("acknowledged %d, read %d distinct", len(acked), len(seen))
}
