package server

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// checkListenerView asserts that a client bootstrapped on seed sees
// exactly the broker ports in want (node id -> port) through Metadata,
// DescribeCluster and FindCoordinator, then produces and consumes through
// a consumer group, so every connection it makes follows those addresses.
func checkListenerView(t *testing.T, seed string, want map[int32]int32, topic string, rf int16) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(seed), kgo.DefaultProduceTopic(topic),
		kgo.ConsumerGroup("g-"+topic), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.RetryTimeout(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	md, err := adm.BrokerMetadata(ctx)
	if err != nil {
		t.Fatalf("metadata via %s: %v", seed, err)
	}
	got := map[int32]int32{}
	for _, b := range md.Brokers {
		got[b.NodeID] = b.Port
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("metadata via %s: brokers %v, want %v", seed, got, want)
	}
	dreq := kmsg.NewPtrDescribeClusterRequest()
	dresp, err := dreq.RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("describe cluster via %s: %v", seed, err)
	}
	got = map[int32]int32{}
	for _, b := range dresp.Brokers {
		got[b.NodeID] = b.Port
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("describe cluster via %s: brokers %v, want %v", seed, got, want)
	}
	if _, err := adm.CreateTopic(ctx, 2, rf, nil, topic); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	const n = 50
	for i := range n {
		cl.Produce(ctx, &kgo.Record{Value: []byte(fmt.Sprint(i))}, nil)
	}
	if err := cl.Flush(ctx); err != nil {
		t.Fatalf("produce via %s: %v", seed, err)
	}
	for got := 0; got < n; {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d via %s: %v", got, n, seed, err)
		}
		fs.EachError(func(tp string, p int32, err error) { t.Fatalf("fetch %s-%d: %v", tp, p, err) })
		got += fs.NumRecords()
	}
	// The group's coordinator was found; ask again to check its address.
	fc := kmsg.NewPtrFindCoordinatorRequest()
	fc.CoordinatorKey = "g-" + topic
	fresp, err := fc.RequestWith(ctx, cl)
	if err != nil || fresp.ErrorCode != 0 {
		t.Fatalf("find coordinator via %s: %v %+v", seed, err, fresp)
	}
	if p, ok := want[fresp.NodeID]; !ok || fresp.Port != p {
		t.Fatalf("find coordinator via %s: node %d port %d, want ports %v", seed, fresp.NodeID, fresp.Port, want)
	}
}

func TestSecondListenerAdvertisesItsOwnAddresses(t *testing.T) {
	ports := freePorts(t, 2)
	s := startTestServer(t, t.TempDir(),
		fmt.Sprintf("listeners=PLAINTEXT://127.0.0.1:%d,EXTERNAL://127.0.0.1:%d", ports[0], ports[1]),
		"listener.security.protocol.map=PLAINTEXT:PLAINTEXT,EXTERNAL:PLAINTEXT",
		"inter.broker.listener.name=PLAINTEXT", "offsets.topic.replication.factor=1", "offsets.topic.num.partitions=3")
	defer s.Close()
	b := s.ctrl.Image().Brokers[1]
	if b.Port != int32(ports[0]) || b.ListenerName != "PLAINTEXT" || len(b.Endpoints) != 2 {
		t.Fatalf("registration = %+v", b)
	}
	for i, name := range []string{"PLAINTEXT", "EXTERNAL"} {
		t.Run(name, func(t *testing.T) {
			checkListenerView(t, fmt.Sprintf("127.0.0.1:%d", ports[i]), map[int32]int32{1: int32(ports[i])},
				"t-"+strings.ToLower(name), 1)
		})
	}
}

func TestClusterSecondListenerAdvertisesItsOwnAddresses(t *testing.T) {
	ports := freePorts(t, 9) // PLAINTEXT, EXTERNAL, CONTROLLER per node
	var nodes [3]nodeLayout
	for i := range nodes {
		client, ctrl := fmt.Sprintf("127.0.0.1:%d", ports[i]), fmt.Sprintf("127.0.0.1:%d", ports[6+i])
		nodes[i] = nodeLayout{client: client, ctrl: ctrl,
			listeners: fmt.Sprintf("PLAINTEXT://%s,EXTERNAL://127.0.0.1:%d,CONTROLLER://%s", client, ports[3+i], ctrl),
			props: []string{"inter.broker.listener.name=PLAINTEXT",
				"listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,EXTERNAL:PLAINTEXT"}}
	}
	startNodes(t, slog.New(slog.DiscardHandler), nodes, nil)
	for _, l := range []struct {
		name string
		base int
	}{{"PLAINTEXT", 0}, {"EXTERNAL", 3}} {
		t.Run(l.name, func(t *testing.T) {
			want := map[int32]int32{}
			for i := range 3 {
				want[int32(i+1)] = int32(ports[l.base+i])
			}
			// Seed on node 2 so the answer does not depend on the
			// controller answering.
			checkListenerView(t, fmt.Sprintf("127.0.0.1:%d", ports[l.base+1]), want, "t-"+strings.ToLower(l.name), 3)
		})
	}
}
