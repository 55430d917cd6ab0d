package e2e

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// startGroupBroker starts a broker that is a practical single-node group
// coordinator: one replica and few partitions for __consumer_offsets, no
// initial rebalance delay and a low minimum session timeout so that
// expiry tests stay short. extra adds or replaces properties.
func startGroupBroker(t *testing.T, extra map[string]string) *harness.Broker {
	t.Helper()
	props := map[string]string{
		"offsets.topic.replication.factor": "1",
		"offsets.topic.num.partitions":     "3",
		"group.initial.rebalance.delay.ms": "0",
		"group.min.session.timeout.ms":     "100",
	}
	maps.Copy(props, extra)
	return harness.Start(t, props)
}

// produceValues produces n records with values prefix-0 .. prefix-(n-1),
// spread round-robin over the topic's partitions, and waits for every
// acknowledgement.
func produceValues(t *testing.T, b *harness.Broker, topic, prefix string, n int) {
	t.Helper()
	cl := b.Client(kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var mu sync.Mutex
	var first error
	for i := range n {
		cl.Produce(ctx, &kgo.Record{Value: fmt.Appendf(nil, "%s-%d", prefix, i)}, func(_ *kgo.Record, err error) {
			if err != nil {
				mu.Lock()
				first = cmpErr(first, err)
				mu.Unlock()
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		t.Fatalf("flush %d records to %s: %v", n, topic, err)
	}
	if first != nil {
		t.Fatalf("produce to %s: %v", topic, first)
	}
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// tally counts deliveries per (partition, offset) over all consumers of a
// test; it also keeps the first commit error any consumer saw.
type tally struct {
	mu        sync.Mutex
	seen      map[[2]int64]int
	total     int
	dupes     int
	firstDupe string
	commitErr error
}

func newTally() *tally { return &tally{seen: make(map[[2]int64]int)} }

func (ty *tally) add(member string, r *kgo.Record) {
	ty.mu.Lock()
	defer ty.mu.Unlock()
	k := [2]int64{int64(r.Partition), r.Offset}
	ty.seen[k]++
	ty.total++
	if ty.seen[k] > 1 {
		if ty.dupes == 0 {
			ty.firstDupe = fmt.Sprintf("%s got partition %d offset %d a second time", member, r.Partition, r.Offset)
		}
		ty.dupes++
	}
}

func (ty *tally) commitFailed(member string, err error) {
	ty.mu.Lock()
	defer ty.mu.Unlock()
	if ty.commitErr == nil {
		ty.commitErr = fmt.Errorf("%s: commit: %w", member, err)
	}
}

func (ty *tally) counts() (unique, total int) {
	ty.mu.Lock()
	defer ty.mu.Unlock()
	return len(ty.seen), ty.total
}

// member is one group consumer polling in its own goroutine. The
// goroutine is owned by the member: stop cancels it and waits for it,
// then closes the client (which leaves the group).
type member struct {
	name     string
	cl       *kgo.Client
	cancel   context.CancelFunc
	done     chan struct{}
	mu       sync.Mutex
	got      int
	assigned map[string][]int32 // latest assignment seen by callbacks
}

// startMember joins group on topic with the given balancer. Records are
// counted into ty; each poll's records are committed synchronously before
// the member allows a rebalance (kgo.BlockRebalanceOnPoll), so a partition
// never changes owner with polled-but-uncommitted records.
func startMember(t *testing.T, b *harness.Broker, name, group, topic string, bal kgo.GroupBalancer, ty *tally) *member {
	t.Helper()
	m := &member{name: name, done: make(chan struct{})}
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.Balancers(bal), kgo.DisableAutoCommit(), kgo.BlockRebalanceOnPoll(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.HeartbeatInterval(200*time.Millisecond), kgo.SessionTimeout(10*time.Second),
		kgo.RebalanceTimeout(20*time.Second), kgo.ClientID(name),
		kgo.OnPartitionsAssigned(m.onAssigned), kgo.OnPartitionsRevoked(m.onRevoked),
		kgo.OnPartitionsLost(m.onRevoked))
	if err != nil {
		t.Fatalf("%s: new client: %v", name, err)
	}
	m.cl = cl
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	go m.run(ctx, ty)
	t.Cleanup(m.stop)
	return m
}

func (m *member) onAssigned(_ context.Context, _ *kgo.Client, added map[string][]int32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.assigned == nil {
		m.assigned = make(map[string][]int32)
	}
	for tp, ps := range added {
		m.assigned[tp] = append(m.assigned[tp], ps...)
	}
}

func (m *member) onRevoked(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for tp, ps := range lost {
		var keep []int32
		for _, p := range m.assigned[tp] {
			if !containsInt32(ps, p) {
				keep = append(keep, p)
			}
		}
		m.assigned[tp] = keep
	}
}

func containsInt32(s []int32, v int32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func (m *member) partitions(topic string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.assigned[topic])
}

func (m *member) received() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.got
}

func (m *member) run(ctx context.Context, ty *tally) {
	defer close(m.done)
	for ctx.Err() == nil {
		fs := m.cl.PollRecords(ctx, 500)
		n := 0
		fs.EachRecord(func(r *kgo.Record) { ty.add(m.name, r); n++ })
		m.mu.Lock()
		m.got += n
		m.mu.Unlock()
		if n > 0 {
			cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := m.cl.CommitUncommittedOffsets(cctx); err != nil {
				ty.commitFailed(m.name, err)
			}
			cancel()
		}
		m.cl.AllowRebalance()
	}
}

// stop ends the poll loop (its last records are committed) and closes the
// client, which leaves the group. Safe to call twice.
func (m *member) stop() {
	if m.cancel == nil {
		return
	}
	m.cancel()
	<-m.done
	m.cl.Close()
	m.cancel = nil
}

// TestGroupExactlyOnceAcrossRebalances: three members of one group share
// a 6-partition topic while 60,000 records are produced; at 20,000
// consumed one member leaves, at 40,000 a new one joins. Once with the
// eager range balancer, once with cooperative-sticky.
//
// Why exactly once is the right expectation: each member polls with
// BlockRebalanceOnPoll and commits everything it polled (synchronously)
// before AllowRebalance. A partition can therefore only be revoked from a
// member whose polled records are all committed, and its next owner starts
// at that commit. A leaving member also stops polling and commits before
// Close sends LeaveGroup. Records fetched but never polled are not counted,
// so any second delivery of a (partition, offset) means the broker lost or
// refused a commit, or handed a partition to two members at once.
func TestGroupExactlyOnceAcrossRebalances(t *testing.T) {
	b := startGroupBroker(t, nil)
	for _, tc := range []struct {
		name string
		bal  kgo.GroupBalancer
	}{{"eager-range", kgo.RangeBalancer()}, {"cooperative-sticky", kgo.CooperativeStickyBalancer()}} {
		t.Run(tc.name, func(t *testing.T) { testExactlyOnce(t, b, tc.name, tc.bal) })
	}
}

func testExactlyOnce(t *testing.T, b *harness.Broker, name string, bal kgo.GroupBalancer) {
	const (
		total  = 60000
		chunks = 60
		chunk  = total / chunks
	)
	topic, group := "eo-"+name, "eo-group-"+name
	b.CreateTopic(topic, 6, nil)
	ty := newTally()
	members := make([]*member, 0, 4)
	for i := range 3 {
		members = append(members, startMember(t, b, fmt.Sprintf("m%d", i), group, topic, bal, ty))
	}
	waitAssignedAll(t, members, topic, 6)

	prod := b.Client(kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for c := range chunks {
		recs := make([]*kgo.Record, chunk)
		for i := range recs {
			recs[i] = &kgo.Record{Value: fmt.Appendf(nil, "v-%d", c*chunk+i)}
		}
		if err := prod.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatalf("produce chunk %d: %v", c, err)
		}
		switch c {
		case 20: // one member leaves while records are flowing
			waitConsumed(t, ty, 20*chunk)
			members[0].stop()
		case 40: // a new member joins while records are flowing
			waitConsumed(t, ty, 40*chunk)
			members = append(members, startMember(t, b, "m3", group, topic, bal, ty))
			waitAssignedAll(t, members[1:], topic, 6)
		}
	}
	waitConsumed(t, ty, total)
	for _, m := range members {
		m.stop()
	}
	unique, seen := ty.counts()
	if ty.commitErr != nil {
		t.Errorf("a commit failed (records of that poll may be delivered again): %v", ty.commitErr)
	}
	if unique != total || seen != total || ty.dupes != 0 {
		t.Errorf("consumed %d distinct records in %d deliveries (%d duplicates; %s), want %d exactly once",
			unique, seen, ty.dupes, ty.firstDupe, total)
	}
	for _, m := range members {
		if m.received() == 0 {
			t.Errorf("member %s consumed nothing; the group did not share the partitions", m.name)
		}
		t.Logf("%s consumed %d records", m.name, m.received())
	}
}

// waitConsumed waits until ty has seen at least n distinct records.
func waitConsumed(t *testing.T, ty *tally, n int) {
	t.Helper()
	harness.Eventually(t, 60*time.Second, func() error {
		if u, _ := ty.counts(); u < n {
			return fmt.Errorf("%d distinct records consumed, want %d", u, n)
		}
		return nil
	})
}

// waitAssignedAll waits until the members together own exactly want
// partitions of topic and each owns at least one.
func waitAssignedAll(t *testing.T, ms []*member, topic string, want int) {
	t.Helper()
	harness.Eventually(t, 30*time.Second, func() error {
		sum := 0
		for _, m := range ms {
			n := m.partitions(topic)
			if n == 0 {
				return fmt.Errorf("member %s owns no partition yet", m.name)
			}
			sum += n
		}
		if sum != want {
			return fmt.Errorf("members own %d partitions, want %d", sum, want)
		}
		return nil
	})
}

// TestGroupResumeAfterBrokerRestart: a consumer commits everything it
// read; after a SIGTERM restart, and separately after kill -9, a new
// consumer of the group reads exactly the records produced after the
// commit and none before it.
func TestGroupResumeAfterBrokerRestart(t *testing.T) {
	for _, mode := range []string{"sigterm", "kill9"} {
		t.Run(mode, func(t *testing.T) {
			b := startGroupBroker(t, nil)
			topic, group := "resume-"+mode, "resume-group-"+mode
			b.CreateTopic(topic, 3, nil)
			produceValues(t, b, topic, "before", 3000)
			committed := consumeAndCommit(t, b, group, topic, 3000)
			if mode == "sigterm" {
				b.Restart()
			} else {
				b.Kill()
				b.Launch()
			}
			after := committedOffsets(t, b, group, topic)
			if !maps.Equal(after, committed) {
				t.Fatalf("committed offsets after %s restart = %v, before = %v", mode, after, committed)
			}
			produceValues(t, b, topic, "after", 300)
			recs := consumeN(t, b, group, topic, 300)
			for _, r := range recs {
				if r.Offset < committed[r.Partition] {
					t.Fatalf("after %s restart the group re-read partition %d offset %d (%q) below its commit %d",
						mode, r.Partition, r.Offset, r.Value, committed[r.Partition])
				}
			}
		})
	}
}

// consumeAndCommit consumes n records in group, commits them and returns
// the committed offsets per partition as the broker reports them.
func consumeAndCommit(t *testing.T, b *harness.Broker, group, topic string, n int) map[int32]int64 {
	t.Helper()
	recs := consumeN(t, b, group, topic, n)
	ends := make(map[int32]int64)
	for _, r := range recs {
		ends[r.Partition] = max(ends[r.Partition], r.Offset+1)
	}
	got := committedOffsets(t, b, group, topic)
	if !maps.Equal(got, ends) {
		t.Fatalf("committed offsets %v, want the ends of what was consumed %v", got, ends)
	}
	return got
}

// consumeN reads exactly n records in group from its committed offsets
// (or the start), commits them with a synchronous commit, and leaves. It
// fails if more than n records arrive within a short grace period.
func consumeN(t *testing.T, b *harness.Broker, group, topic string, n int) []*kgo.Record {
	t.Helper()
	cl := b.Client(kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(200*time.Millisecond))
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var recs []*kgo.Record
	grace := time.Time{}
	for ctx.Err() == nil && (grace.IsZero() || time.Now().Before(grace)) {
		pctx, pcancel := context.WithTimeout(ctx, 300*time.Millisecond)
		fs := cl.PollFetches(pctx)
		pcancel()
		fs.EachError(func(tp string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				t.Errorf("fetch %s-%d: %v", tp, p, err)
			}
		})
		recs = append(recs, fs.Records()...)
		if len(recs) >= n && grace.IsZero() {
			grace = time.Now().Add(time.Second)
		}
	}
	if len(recs) != n {
		t.Fatalf("group %s consumed %d records of %s, want %d", group, len(recs), topic, n)
	}
	cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer ccancel()
	if err := cl.CommitUncommittedOffsets(cctx); err != nil {
		t.Fatalf("commit: %v", err)
	}
	return recs
}

// committedOffsets fetches group's committed offsets for topic.
func committedOffsets(t *testing.T, b *harness.Broker, group, topic string) map[int32]int64 {
	t.Helper()
	var out map[int32]int64
	harness.Eventually(t, 30*time.Second, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		resp, err := b.Admin().FetchOffsets(ctx, group)
		if err != nil {
			return err
		}
		if err := resp.Error(); err != nil {
			return err
		}
		out = make(map[int32]int64)
		resp.Each(func(o kadm.OffsetResponse) {
			if o.Topic == topic && o.At >= 0 {
				out[o.Partition] = o.At
			}
		})
		return nil
	})
	return out
}
