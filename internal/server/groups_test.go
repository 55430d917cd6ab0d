package server

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// groupTestConfig makes a single node a practical group coordinator: one
// replica for __consumer_offsets, no initial rebalance delay, short
// minimum session timeouts.
var groupTestConfig = []string{
	"offsets.topic.replication.factor=1", "offsets.topic.num.partitions=5",
	"group.initial.rebalance.delay.ms=0", "group.min.session.timeout.ms=100",
}

func produceN(t *testing.T, addr, topic string, partitions int32, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if partitions > 0 {
		if _, err := kadm.NewClient(cl).CreateTopic(ctx, partitions, 1, nil, topic); err != nil {
			t.Fatalf("create topic: %v", err)
		}
	}
	for i := 0; i < n; i++ {
		cl.Produce(ctx, &kgo.Record{Value: []byte(fmt.Sprint(i))}, func(_ *kgo.Record, err error) {
			if err != nil {
				t.Errorf("produce: %v", err)
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// tally counts deliveries per (partition, offset) across consumers.
type tally struct {
	mu    sync.Mutex
	seen  map[[2]int64]int
	dupes int
}

func (ty *tally) add(p int32, off int64) {
	ty.mu.Lock()
	defer ty.mu.Unlock()
	k := [2]int64{int64(p), off}
	ty.seen[k]++
	if ty.seen[k] > 1 {
		ty.dupes++
	}
}

func (ty *tally) unique() int {
	ty.mu.Lock()
	defer ty.mu.Unlock()
	return len(ty.seen)
}

// groupConsumer consumes in group g, committing each poll's records
// before allowing a rebalance, until stop is called.
type groupConsumer struct {
	cl   *kgo.Client
	got  atomic.Int64 // records this consumer received
	stop context.CancelFunc
	done chan struct{}
}

func startGroupConsumer(t *testing.T, addr, group, topic string, ty *tally, opts ...kgo.Opt) *groupConsumer {
	t.Helper()
	opts = append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.DisableAutoCommit(), kgo.BlockRebalanceOnPoll(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.SessionTimeout(6 * time.Second), kgo.HeartbeatInterval(100 * time.Millisecond)}, opts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	gc := &groupConsumer{cl: cl, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(gc.done)
		for ctx.Err() == nil {
			fs := cl.PollRecords(ctx, 50)
			fs.EachRecord(func(r *kgo.Record) { ty.add(r.Partition, r.Offset) })
			gc.got.Add(int64(fs.NumRecords()))
			if recs := fs.Records(); len(recs) > 0 {
				cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
				if err := cl.CommitRecords(cctx, recs...); err != nil {
					t.Errorf("commit: %v", err)
				}
				ccancel()
			}
			cl.AllowRebalance()
			time.Sleep(10 * time.Millisecond) // a slow consumer, so membership changes land mid-stream
		}
	}()
	return gc
}

// leave stops consuming and leaves the group.
func (gc *groupConsumer) leave() {
	gc.stop()
	<-gc.done
	gc.cl.Close()
}

func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestGroupConsumesExactlyOnceThroughMembershipChanges(t *testing.T) {
	balancers := map[string]kgo.GroupBalancer{
		"range":              kgo.RangeBalancer(),
		"roundrobin":         kgo.RoundRobinBalancer(),
		"cooperative-sticky": kgo.CooperativeStickyBalancer(),
	}
	for name, bal := range balancers {
		t.Run(name, func(t *testing.T) {
			s := startTestServer(t, t.TempDir(), groupTestConfig...)
			defer s.Close()
			addr := s.Addrs()[0].String()
			const n = 60000
			produceN(t, addr, "events", 6, n)
			ty := &tally{seen: make(map[[2]int64]int)}
			var cs []*groupConsumer
			for i := 0; i < 3; i++ {
				cs = append(cs, startGroupConsumer(t, addr, "g-"+name, "events", ty, kgo.Balancers(bal),
					kgo.FetchMaxPartitionBytes(4<<10)))
			}
			waitUntil(t, 60*time.Second, "a third consumed", func() bool { return ty.unique() >= n/3 })
			cs[0].leave()
			waitUntil(t, 60*time.Second, "two thirds consumed", func() bool { return ty.unique() >= 2*n/3 })
			cs = append(cs, startGroupConsumer(t, addr, "g-"+name, "events", ty, kgo.Balancers(bal)))
			waitUntil(t, 60*time.Second, "all consumed", func() bool { return ty.unique() == n })
			for _, c := range cs[1:] {
				c.leave()
			}
			for i, c := range cs {
				if c.got.Load() == 0 {
					t.Errorf("consumer %d received nothing", i)
				}
			}
			if ty.dupes != 0 {
				t.Fatalf("%d records delivered more than once", ty.dupes)
			}
		})
	}
}
