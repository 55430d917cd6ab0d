package server

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/samsa-io/samsa/internal/metadata"
)

// A node restarting from its own metadata log may open its partitions from
// an image that lags the quorum: a follower's Raft counts entries applied
// before its state machine has them, and a heartbeat carries no commit
// index. A topic created since the node's last snapshot is then missing
// from that image. Its directories must survive until the node has caught
// up: here the topic has one replica, on the restarting node, so removing
// it as an orphan would lose every record (as the coordinator-kill test
// once lost __transaction_state and __consumer_offsets this way).
func TestRestartFromLaggingImageKeepsPartitions(t *testing.T) {
	var lag atomic.Bool
	withoutSolo := func(im *metadata.Image) *metadata.Image {
		if !lag.Load() {
			return im
		}
		old := im.Clone()
		if topic, ok := old.Topics["solo"]; ok {
			delete(old.Topics, "solo")
			delete(old.TopicsByID, topic.ID)
		}
		return old
	}
	ports := freePorts(t, 6)
	var nodes [3]nodeLayout
	for i := range nodes {
		nodes[i] = plaintextNode(fmt.Sprintf("127.0.0.1:%d", ports[i]), fmt.Sprintf("127.0.0.1:%d", ports[3+i]))
	}
	options := func(int32) Options { return Options{startImage: withoutSolo} }
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
	lag.Store(true)
	sctx, scancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer scancel()
	s, err := StartWithOptions(sctx, tc.cfgs[restarted-1], tc.logger.With("test_node", restarted), options(restarted))
	if err != nil {
		t.Fatalf("restart node %d: %v", restarted, err)
	}
	tc.nodes[restarted-1] = s
	tc.eventually("node 2 opens solo from the image it catches up to", func() bool {
		return s.parts.Partition("solo", solo) != nil
	})
	if leo := s.parts.Partition("solo", solo).LogEndOffset(); leo != perPartition {
		t.Fatalf("solo-%d on node %d holds %d records after the restart, want %d: its directory was removed as an orphan",
			solo, restarted, leo, perPartition)
	}
}
