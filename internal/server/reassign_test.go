package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/metadata"
)

// createAssigned creates a one-partition topic on exactly the given replicas.
func createAssigned(t *testing.T, ctx context.Context, cl *kgo.Client, topic string, replicas ...int32) {
	t.Helper()
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 10000
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = topic, -1, -1
	ra := kmsg.NewCreateTopicsRequestTopicReplicaAssignment()
	ra.Partition, ra.Replicas = 0, replicas
	rt.ReplicaAssignment = append(rt.ReplicaAssignment, ra)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("create %s: %v", topic, err)
	}
	if err := kerr.ErrorForCode(resp.Topics[0].ErrorCode); err != nil {
		t.Fatalf("create %s: %v", topic, err)
	}
}

// ackedProducer writes sequence numbers to partition 0 of a topic with
// acks=all until stopped, remembering every acknowledged value.
type ackedProducer struct {
	cl    *kgo.Client
	mu    sync.Mutex
	acked []string
	errs  int
	stop  chan struct{}
	done  chan struct{}
}

func startProducer(t *testing.T, seeds []string, topic string) *ackedProducer {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.DefaultProduceTopic(topic),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProduceRequestTimeout(5*time.Second), kgo.RecordRetries(1000),
		kgo.MetadataMinAge(100*time.Millisecond), kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	p := &ackedProducer{cl: cl, stop: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	t.Cleanup(p.close)
	return p
}

func (p *ackedProducer) run() {
	defer close(p.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-p.stop:
			cancel()
		case <-p.done:
		}
	}()
	for i := 0; ctx.Err() == nil; i++ {
		v := fmt.Sprint(i)
		err := p.cl.ProduceSync(ctx, &kgo.Record{Value: []byte(v)}).FirstErr()
		p.mu.Lock()
		if err == nil {
			p.acked = append(p.acked, v)
		} else if !errors.Is(err, context.Canceled) {
			p.errs++
		}
		p.mu.Unlock()
	}
}

func (p *ackedProducer) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.acked)
}

// waitFor waits until n more records than now are acknowledged.
func (p *ackedProducer) waitFor(t *testing.T, n int) {
	t.Helper()
	want := p.count() + n
	deadline := time.Now().Add(30 * time.Second)
	for p.count() < want {
		if time.Now().After(deadline) {
			t.Fatalf("producer stalled at %d acknowledged records (want %d)", p.count(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *ackedProducer) close() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	<-p.done
	p.cl.Close()
}

// consumeTopic reads partition 0 of topic from the start until want
// records arrived or ctx ends, counting each value.
func consumeTopic(t *testing.T, ctx context.Context, seeds []string, topic string, want int) map[string]int {
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

// reassignAndWait moves partition 0 of topic to target and waits until
// every node's image shows the move completed.
func (tc *testCluster) reassignAndWait(ctx context.Context, adm *kadm.Client, topic string, target ...int32) metadata.Partition {
	tc.t.Helper()
	var req kadm.AlterPartitionAssignmentsReq
	req.Assign(topic, 0, target)
	resp, err := adm.AlterPartitionAssignments(ctx, req)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		tc.t.Fatalf("reassign %s to %v: %v", topic, target, err)
	}
	tc.eventually(fmt.Sprintf("%s reassigned to %v", topic, target), func() bool {
		for _, s := range tc.nodes {
			p, _ := s.ctrl.Image().PartitionOf(topic, 0)
			if p.Reassigning() || !slices.Equal(p.Replicas, target) || !slices.Contains(target, p.Leader) {
				return false
			}
		}
		return true
	})
	listed, err := adm.ListPartitionReassignments(ctx, kadm.TopicsSet{topic: {0: {}}})
	if err != nil || len(listed) != 0 {
		tc.t.Fatalf("reassignments still listed after completion: %v %v", listed, err)
	}
	p, _ := tc.running().ctrl.Image().PartitionOf(topic, 0)
	return p
}

// partitionDirGone reports whether node id no longer hosts topic-0 and its
// directory is deleted.
func (tc *testCluster) partitionDirGone(id int32, topic string) bool {
	if tc.nodes[id-1].parts.Partition(topic, 0) != nil {
		return false
	}
	for _, dir := range tc.cfgs[id-1].LogDirs {
		if _, err := os.Stat(filepath.Join(dir, topic+"-0")); !errors.Is(err, os.ErrNotExist) {
			return false
		}
	}
	return true
}

// Reassignments under a continuous acks=all producer: RF=2 {1,2} -> {2,3}
// (adds 3, removes the leader 1), a reorder {2,3} -> {3,2} and a grow and
// shrink through {3,2,1} -> {1,2}. Every acknowledged record is read back
// exactly once and removed replicas' directories are deleted.
func TestReassignWhileProducing(t *testing.T) {
	tc := startCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	admCl, err := kgo.NewClient(kgo.SeedBrokers(tc.clients...))
	if err != nil {
		t.Fatal(err)
	}
	defer admCl.Close()
	adm := kadm.NewClient(admCl)
	createAssigned(t, ctx, admCl, "mv", 1, 2)
	tc.eventually("ISR {1,2}", func() bool {
		p, _ := tc.running().ctrl.Image().PartitionOf("mv", 0)
		return len(p.ISR) == 2
	})
	prod := startProducer(t, tc.clients, "mv")
	prod.waitFor(t, 300)

	start := time.Now()
	p := tc.reassignAndWait(ctx, adm, "mv", 2, 3)
	t.Logf("{1,2} -> {2,3} completed in %v: leader %d epoch %d isr %v, %d acknowledged so far",
		time.Since(start).Round(time.Millisecond), p.Leader, p.LeaderEpoch, p.ISR, prod.count())
	tc.eventually("node 1's copy of mv-0 deleted", func() bool { return tc.partitionDirGone(1, "mv") })
	prod.waitFor(t, 200)

	p = tc.reassignAndWait(ctx, adm, "mv", 3, 2)
	t.Logf("reorder -> {3,2}: leader %d isr %v", p.Leader, p.ISR)
	prod.waitFor(t, 100)

	tc.reassignAndWait(ctx, adm, "mv", 3, 2, 1)
	prod.waitFor(t, 100)
	p = tc.reassignAndWait(ctx, adm, "mv", 1, 2)
	tc.eventually("node 3's copy of mv-0 deleted", func() bool { return tc.partitionDirGone(3, "mv") })
	prod.waitFor(t, 200)
	t.Logf("{3,2,1} -> {1,2}: leader %d isr %v", p.Leader, p.ISR)

	prod.close()
	acked := prod.acked
	seen := consumeTopic(t, ctx, tc.clients, "mv", len(acked))
	for _, v := range acked {
		if seen[v] != 1 {
			t.Errorf("acknowledged record %s read %d times", v, seen[v])
		}
	}
	t.Logf("acknowledged %d (%d produce errors), read %d distinct", len(acked), prod.errs, len(seen))
}

// Cancelling restores the original replicas; errors come back as Kafka's.
func TestReassignCancelAndErrors(t *testing.T) {
	tc := startCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(tc.clients...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	createAssigned(t, ctx, cl, "cx", 1, 2)

	var bad kadm.AlterPartitionAssignmentsReq
	bad.Assign("cx", 0, []int32{1, 1})
	bad.Assign("cx", 7, []int32{1})
	bad.Assign("nope", 0, []int32{1})
	bad.CancelAssign("cx", 0)
	resp, err := adm.AlterPartitionAssignments(ctx, bad)
	if err != nil {
		t.Fatal(err)
	}
	// One request holds one entry per partition: cx-0 carries the cancel.
	want := map[string]error{"cx-0": kerr.NoReassignmentInProgress, "cx-7": kerr.UnknownTopicOrPartition,
		"nope-0": kerr.UnknownTopicOrPartition}
	resp.Each(func(r kadm.AlterPartitionAssignmentsResponse) {
		if key := fmt.Sprintf("%s-%d", r.Topic, r.Partition); !errors.Is(r.Err, want[key]) {
			t.Errorf("%s: %v, want %v", key, r.Err, want[key])
		}
	})
	var dup kadm.AlterPartitionAssignmentsReq
	dup.Assign("cx", 0, []int32{2, 2})
	if resp, err = adm.AlterPartitionAssignments(ctx, dup); err != nil || !errors.Is(resp.Error(), kerr.InvalidReplicaAssignment) {
		t.Fatalf("duplicate broker: %v %v", resp, err)
	}

	// With node 3 down the move to {2,3} cannot finish: it is listed
	// until cancelled, and cancelling goes back to replicas {1,2}.
	tc.stop(3, false)
	var move kadm.AlterPartitionAssignmentsReq
	move.Assign("cx", 0, []int32{2, 3})
	if resp, err = adm.AlterPartitionAssignments(ctx, move); err != nil || resp.Error() != nil {
		t.Fatalf("reassign to a stopped broker: %v %v", resp, err)
	}
	listed, err := adm.ListPartitionReassignments(ctx, kadm.TopicsSet{"cx": {0: {}}})
	if err != nil {
		t.Fatal(err)
	}
	r := listed["cx"][0]
	if !slices.Equal(r.Replicas, []int32{2, 3, 1}) || !slices.Equal(r.AddingReplicas, []int32{3}) ||
		!slices.Equal(r.RemovingReplicas, []int32{1}) {
		t.Fatalf("listed %+v", listed)
	}
	var undo kadm.AlterPartitionAssignmentsReq
	undo.CancelAssign("cx", 0)
	if resp, err = adm.AlterPartitionAssignments(ctx, undo); err != nil || resp.Error() != nil {
		t.Fatalf("cancel: %v %v", resp, err)
	}
	tc.eventually("cancelled", func() bool {
		p, _ := tc.running().ctrl.Image().PartitionOf("cx", 0)
		return !p.Reassigning() && len(p.Replicas) == 2 && !slices.Contains(p.Replicas, 3)
	})
}
