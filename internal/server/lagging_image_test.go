package server

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/samsa-io/samsa/internal/metadata"
)

// A node restarting from its own metadata log may hold an image that lags
// the quorum: a follower's Raft counts entries applied before its state
// machine has them, and a heartbeat carries no commit index. Opening
// partitions from it took a topic created since the node's last snapshot
// for deleted and removed its directories (the coordinator-kill test lost
// __transaction_state and __consumer_offsets this way). The partitions
// must first open from an image that holds the node's own new
// registration: everything committed before it is then in it. Here the
// topic has one replica, on the restarting node, so its records are the
// proof they were never removed.
func TestRestartOpensPartitionsAfterCatchingUp(t *testing.T) {
	var mu sync.Mutex
	first := map[int32]*metadata.Image{} // node -> the image its partitions first opened from
	options := func(id int32) Options {
		return Options{firstImage: func(im *metadata.Image) {
			mu.Lock()
			defer mu.Unlock()
			first[id] = im
		}}
	}
	ports := freePorts(t, 6)
	var nodes [3]nodeLayout
	for i := range nodes {
		nodes[i] = plaintextNode(fmt.Sprintf("127.0.0.1:%d", ports[i]), fmt.Sprintf("127.0.0.1:%d", ports[3+i]))
	}
	tc := startNodes(t, testLogger(), nodes, options)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(tc.clients...), kgo.DefaultProduceTopic("solo"),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	minISR := "1"
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 3, 1, map[string]*string{"min.insync.replicas": &minISR}, "solo"); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	const restarted, perPartition = int32(2), 50
	var solo int32 = -1
	tc.eventually("a partition of solo on node 2", func() bool {
		topic, ok := tc.running().ctrl.Image().Topic("solo")
		if !ok {
			return false
		}
		for _, p := range topic.Partitions {
			if len(p.Replicas) == 1 && p.Replicas[0] == restarted {
				solo = p.Index
			}
		}
		return solo >= 0
	})
	for i := range perPartition {
		r := &kgo.Record{Partition: solo, Value: fmt.Appendf(nil, "v%d", i)}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}

	tc.stop(restarted, false)
	sctx, scancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer scancel()
	s, err := StartWithOptions(sctx, tc.cfgs[restarted-1], tc.logger.With("test_node", restarted), options(restarted))
	if err != nil {
		t.Fatalf("restart node %d: %v", restarted, err)
	}
	tc.nodes[restarted-1] = s

	mu.Lock()
	im := first[restarted]
	mu.Unlock()
	registration := s.ctrl.Image().Brokers[restarted].Epoch // the record index of this start's registration
	if im == nil || im.Brokers[restarted].Epoch != registration {
		var had int64 = -1
		if im != nil {
			had = im.Brokers[restarted].Epoch
		}
		t.Fatalf("node %d opened its partitions from an image without its registration at index %d (it held epoch %d)",
			restarted, registration, had)
	}
	tc.eventually("node 2 opens solo", func() bool { return s.parts.Partition("solo", solo) != nil })
	if leo := s.parts.Partition("solo", solo).LogEndOffset(); leo != perPartition {
		t.Fatalf("solo-%d on node %d holds %d records after the restart, want %d", solo, restarted, leo, perPartition)
	}
}
