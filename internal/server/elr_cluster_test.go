package server

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Eligible leader replicas (KIP-966) on a running cluster: a partition
// with replicas [L 4] (L a voter, 4 a broker-only node, so that both can be
// down while the three voters keep their quorum) and min.insync.replicas 2.
// Node 4 shuts down cleanly: the ISR shrinks below min.insync.replicas and
// 4 becomes eligible. L crashes: the ISR empties and the partition is
// offline. Node 4 restarts (its clean-shutdown epoch tells the controller
// its log is whole) and is elected from the ELR although it was outside
// the ISR; once L is back in the ISR every acknowledged acks=all record is
// read exactly once.
func TestClusterELRMemberLeadsAfterTheISREmpties(t *testing.T) {
	tc := startCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	port := freePorts(t, 1)[0]
	cfg4 := brokerOnlyConfig(t, tc, 4, port)
	n4, err := Start(ctx, cfg4, tc.logger.With("test_node", 4))
	if err != nil {
		t.Fatalf("start broker-only node 4: %v", err)
	}
	t.Cleanup(func() {
		if n4 != nil {
			n4.Close()
		}
	})
	addr4 := fmt.Sprintf("127.0.0.1:%d", port)
	tc.eventually("4 live brokers", func() bool { return len(tc.running().ctrl.Image().LiveBrokers()) == 4 })

	// L: a voter that is not the active controller, so that its crash
	// needs no controller failover.
	var leader int32
	for i, s := range tc.nodes {
		if !s.ctrl.IsLeader() {
			leader = int32(i + 1)
			break
		}
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(append(slices.Clone(tc.clients), addr4)...), kgo.DefaultProduceTopic("elr"),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.MetadataMinAge(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	create := kmsg.NewPtrCreateTopicsRequest()
	ct := kmsg.NewCreateTopicsRequestTopic()
	ct.Topic, ct.NumPartitions, ct.ReplicationFactor = "elr", -1, -1
	ct.ReplicaAssignment = []kmsg.CreateTopicsRequestTopicReplicaAssignment{{Partition: 0, Replicas: []int32{leader, 4}}}
	create.Topics = append(create.Topics, ct)
	create.TimeoutMillis = 10000
	resp, err := create.RequestWith(ctx, cl)
	if err != nil || resp.Topics[0].ErrorCode != 0 {
		t.Fatalf("create topic: %v %+v", err, resp)
	}
	tc.eventually("ISR [L 4]", func() bool {
		p, ok := tc.running().ctrl.Image().PartitionOf("elr", 0)
		return ok && len(p.ISR) == 2
	})
	acked := map[string]bool{}
	for i := range 100 {
		v := fmt.Sprint(i)
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatalf("produce %d: %v", i, err)
		}
		acked[v] = true
	}

	// 4 shuts down cleanly: the ISR [L] is below min.insync.replicas 2, so
	// 4 still has every committed record and becomes eligible.
	if err := n4.Close(); err != nil {
		t.Logf("close node 4: %v", err)
	}
	n4 = nil
	wantDescribed(ctx, t, tc, "after 4's clean shutdown", leader, []int32{leader}, []int32{4})
	refusing, err := kgo.NewClient(kgo.SeedBrokers(tc.liveAddrs()...), kgo.DefaultProduceTopic("elr"),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RecordDeliveryTimeout(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	err = refusing.ProduceSync(ctx, &kgo.Record{Value: []byte("refused")}).FirstErr()
	refusing.Close()
	if err == nil {
		t.Fatal("an acks=all record was acknowledged with one replica in sync of min.insync.replicas 2")
	}

	// L crashes: its session ends, the ISR empties, both are eligible,
	// nobody live can lead.
	tc.stop(leader, true)
	wantDescribed(ctx, t, tc, "after L crashed", -1, nil, []int32{min(leader, 4), max(leader, 4)})

	// 4 comes back and leads from the ELR.
	n4, err = Start(ctx, cfg4, tc.logger.With("test_node", 4))
	if err != nil {
		t.Fatalf("restart node 4: %v", err)
	}
	wantDescribed(ctx, t, tc, "after 4 restarted", 4, []int32{4}, []int32{leader})

	// With the ISR [4] below min.insync.replicas the high watermark stands
	// still (strict min ISR), so 4 may not show the last records yet. L
	// returns (after a crash: not eligible), follows 4, joins the ISR, and
	// the high watermark reaches the end of 4's log.
	tc.restart(leader)
	tc.eventually("ISR [4 L]", func() bool {
		p, _ := tc.running().ctrl.Image().PartitionOf("elr", 0)
		return p.Leader == 4 && len(p.ISR) == 2
	})
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("after")}).FirstErr(); err != nil {
		t.Fatalf("produce with the ISR back at min.insync.replicas: %v", err)
	}
	acked["after"] = true

	seen := consumePartition(ctx, t, append(tc.liveAddrs(), addr4), "elr", len(acked))
	for v := range acked {
		if seen[v] != 1 {
			t.Errorf("acknowledged record %s read %d times", v, seen[v])
		}
	}
	if seen["refused"] > 0 {
		t.Errorf("the refused record was read %d times", seen["refused"])
	}
}

// wantDescribed waits until DescribeTopicPartitions, asked of a live node,
// shows partition elr-0 with the given leader, ISR and ELR.
func wantDescribed(ctx context.Context, t *testing.T, tc *testCluster, what string, leader int32, isr, elr []int32) {
	t.Helper()
	var last string
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := describeELR(ctx, tc.liveAddrs()[0])
		if err == nil && got.LeaderID == leader && slices.Equal(got.ISR, isr) && slices.Equal(got.EligibleLeaderReplicas, elr) {
			return
		}
		last = fmt.Sprintf("leader %d ISR %v ELR %v last known ELR %v (err %v)",
			got.LeaderID, got.ISR, got.EligibleLeaderReplicas, got.LastKnownELR, err)
		if time.Now().After(deadline) {
			t.Fatalf("%s: partition elr-0 is %s; want leader %d ISR %v ELR %v", what, last, leader, isr, elr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func describeELR(ctx context.Context, addr string) (kmsg.DescribeTopicPartitionsResponseTopicPartition, error) {
	var none kmsg.DescribeTopicPartitionsResponseTopicPartition
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return none, err
	}
	defer cl.Close()
	req := kmsg.NewPtrDescribeTopicPartitionsRequest()
	rt := kmsg.NewDescribeTopicPartitionsRequestTopic()
	rt.Topic = "elr"
	req.Topics, req.ResponsePartitionLimit = append(req.Topics, rt), 10
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := req.RequestWith(rctx, cl)
	if err != nil {
		return none, err
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		return none, fmt.Errorf("answer %+v", resp.Topics)
	}
	if err := kerr.ErrorForCode(resp.Topics[0].ErrorCode); err != nil {
		return none, err
	}
	return resp.Topics[0].Partitions[0], nil
}

// consumePartition reads topic from the start until want records came or
// ctx ends, counting each value.
func consumePartition(ctx context.Context, t *testing.T, seeds []string, topic string, want int) map[string]int {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	seen := map[string]int{}
	total := 0
	for total < want && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			seen[string(r.Value)]++
			total++
		})
	}
	return seen
}
