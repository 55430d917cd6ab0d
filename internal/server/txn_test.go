package server

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// txnTestConfig makes a single node a practical transaction coordinator.
var txnTestConfig = append([]string{
	"transaction.state.log.replication.factor=1", "transaction.state.log.min.isr=1",
	"transaction.state.log.num.partitions=5",
	"transaction.abort.timed.out.transaction.cleanup.interval.ms=200",
}, groupTestConfig...)

func createTopic(t *testing.T, addr, topic string, partitions int32) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, partitions, 1, nil, topic); err != nil {
		t.Fatalf("create topic: %v", err)
	}
}

func txnProducer(t *testing.T, addr, id, topic string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	opts = append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.TransactionalID(id), kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.RoundRobinPartitioner())}, opts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// produceTxn writes values in one transaction and commits or aborts it.
func produceTxn(t *testing.T, cl *kgo.Client, commit bool, values ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for _, v := range values {
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatalf("produce %s: %v", v, err)
		}
	}
	if err := cl.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
		t.Fatalf("end transaction (commit=%v): %v", commit, err)
	}
}

// consumeFor reads topic from the start for d and returns the values seen.
func consumeFor(t *testing.T, addr, topic string, committed bool, d time.Duration) []string {
	t.Helper()
	opts := []kgo.Opt{kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic), kgo.FetchMaxWait(100 * time.Millisecond)}
	if committed {
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []string
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) { out = append(out, string(r.Value)) })
	}
	return out
}

func values(prefix string, n int) []string {
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, prefix+strconv.Itoa(i))
	}
	return out
}

func TestTxnAbortedInvisibleToReadCommitted(t *testing.T) {
	s := startTestServer(t, t.TempDir(), txnTestConfig...)
	defer s.Close()
	addr := s.Addrs()[0].String()
	createTopic(t, addr, "t", 2)
	p := txnProducer(t, addr, "tx-visibility", "t")
	produceTxn(t, p, true, values("c", 10)...)
	produceTxn(t, p, false, values("a", 10)...)
	produceTxn(t, p, true, values("d", 5)...)

	got := consumeFor(t, addr, "t", true, 2*time.Second)
	if len(got) != 15 {
		t.Fatalf("read_committed saw %d records, want 15: %v", len(got), got)
	}
	for _, v := range got {
		if v[0] == 'a' {
			t.Fatalf("read_committed saw aborted record %s", v)
		}
	}
	if all := consumeFor(t, addr, "t", false, 2*time.Second); len(all) != 25 {
		t.Fatalf("read_uncommitted saw %d records, want 25", len(all))
	}
}

func lso(t *testing.T, addr, topic string) (lso, hw int64) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := adm.ListCommittedOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	e, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	lo, _ := c.Lookup(topic, 0)
	hi, _ := e.Lookup(topic, 0)
	return lo.Offset, hi.Offset
}

func TestTxnOpenHoldsLSOUntilTimeoutAbort(t *testing.T) {
	s := startTestServer(t, t.TempDir(), txnTestConfig...)
	defer s.Close()
	addr := s.Addrs()[0].String()
	createTopic(t, addr, "held", 1)
	p := txnProducer(t, addr, "tx-open", "held", kgo.TransactionTimeout(2*time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := p.ProduceSync(ctx, &kgo.Record{Value: []byte("open")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	produceN(t, addr, "held", 0, 3) // plain records after the open transaction
	if lo, hi := lso(t, addr, "held"); lo != 0 || hi != 4 {
		t.Fatalf("with an open transaction at 0: LSO %d HW %d, want 0 and 4", lo, hi)
	}
	if got := consumeFor(t, addr, "held", true, time.Second); len(got) != 0 {
		t.Fatalf("read_committed read past the LSO: %v", got)
	}
	// The coordinator aborts the transaction after its 2 s timeout; the
	// abort marker moves the LSO to the high watermark.
	waitUntil(t, 20*time.Second, "timeout abort", func() bool {
		lo, hi := lso(t, addr, "held")
		return lo == hi && hi == 5
	})
	got := consumeFor(t, addr, "held", true, 2*time.Second)
	if len(got) != 3 {
		t.Fatalf("after the abort read_committed saw %v, want the 3 plain records", got)
	}
	// The producer was fenced by the abort's epoch bump.
	err := p.EndTransaction(ctx, kgo.TryCommit)
	if err == nil {
		t.Fatal("commit after the timeout abort succeeded")
	}
	t.Logf("commit after timeout: %v", err)
}

func TestTxnZombieProducerFenced(t *testing.T) {
	s := startTestServer(t, t.TempDir(), txnTestConfig...)
	defer s.Close()
	addr := s.Addrs()[0].String()
	createTopic(t, addr, "z", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	zombie := txnProducer(t, addr, "tx-zombie", "z")
	if err := zombie.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := zombie.ProduceSync(ctx, &kgo.Record{Value: []byte("zombie-1")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	// A new instance with the same transactional id aborts the zombie's
	// transaction and bumps the epoch.
	fresh := txnProducer(t, addr, "tx-zombie", "z")
	produceTxn(t, fresh, true, "fresh-1")
	err := zombie.ProduceSync(ctx, &kgo.Record{Value: []byte("zombie-2")}).FirstErr()
	if err == nil {
		err = zombie.EndTransaction(ctx, kgo.TryCommit)
	}
	if !errors.Is(err, kerr.ProducerFenced) && !errors.Is(err, kerr.InvalidProducerEpoch) &&
		!errors.Is(err, kerr.InvalidProducerIDMapping) {
		t.Fatalf("zombie write/commit: got %v, want PRODUCER_FENCED or INVALID_PRODUCER_EPOCH", err)
	}
	got := consumeFor(t, addr, "z", true, 2*time.Second)
	if len(got) != 1 || got[0] != "fresh-1" {
		t.Fatalf("read_committed: %v, want only fresh-1", got)
	}
}

// TestTxnExactlyOnceCopy runs a consume-transform-produce pipeline with
// franz-go's GroupTransactSession: every record of topic A is copied to B
// exactly once, as read_committed consumers of B see it, although the
// pipeline is restarted half-way (its second instance fences the first).
func TestTxnExactlyOnceCopy(t *testing.T) {
	s := startTestServer(t, t.TempDir(), txnTestConfig...)
	defer s.Close()
	addr := s.Addrs()[0].String()
	const n = 10000
	produceN(t, addr, "src", 3, n)
	createTopic(t, addr, "dst", 3)

	copied := make(chan int, 1<<16)
	run := func(ctx context.Context, stopAfter int) error {
		sess, err := kgo.NewGroupTransactSession(kgo.SeedBrokers(addr), kgo.TransactionalID("eos-copy"),
			kgo.ConsumerGroup("eos"), kgo.ConsumeTopics("src"), kgo.DefaultProduceTopic("dst"),
			kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.FetchMaxPartitionBytes(8<<10),
			kgo.RequireStableFetchOffsets(), kgo.SessionTimeout(6*time.Second))
		if err != nil {
			return err
		}
		defer sess.Close()
		done := 0
		for done < stopAfter && ctx.Err() == nil {
			fs := sess.PollFetches(ctx)
			if fs.IsClientClosed() {
				return nil
			}
			if err := sess.Begin(); err != nil {
				return fmt.Errorf("begin: %w", err)
			}
			k := 0
			fs.EachRecord(func(r *kgo.Record) {
				sess.Produce(ctx, &kgo.Record{Key: r.Key, Value: r.Value}, nil)
				k++
			})
			committed, err := sess.End(ctx, kgo.TryCommit)
			if err != nil {
				return fmt.Errorf("end: %w", err)
			}
			if committed {
				done += k
				copied <- k
			}
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	if err := run(ctx, n/3); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var runErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		runErr = run(ctx, n)
	}()
	got := make(map[string]int)
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("dst"),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for len(got) < n && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) { got[string(r.Value)]++ })
	}
	cancel()
	wg.Wait()
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		t.Logf("pipeline: %v", runErr)
	}
	if len(got) != n {
		t.Fatalf("B has %d distinct records, want %d", len(got), n)
	}
	for v, c := range got {
		if c != 1 {
			t.Fatalf("record %s copied %d times", v, c)
		}
	}
}

// TestTxnAdminViews: DescribeTransactions, ListTransactions and
// DescribeProducers show an open transaction and its first offset.
func TestTxnAdminViews(t *testing.T) {
	s := startTestServer(t, t.TempDir(), txnTestConfig...)
	defer s.Close()
	addr := s.Addrs()[0].String()
	createTopic(t, addr, "adm", 1)
	p := txnProducer(t, addr, "tx-admin", "adm")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	produceTxn(t, p, true, "one")
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := p.ProduceSync(ctx, &kgo.Record{Value: []byte("open")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	d, err := adm.DescribeTransactions(ctx, "tx-admin")
	if err != nil {
		t.Fatal(err)
	}
	dt := d["tx-admin"]
	if dt.Err != nil || dt.State != "Ongoing" || dt.ProducerID < 0 || len(dt.Topics["adm"]) != 1 {
		t.Fatalf("describe: %+v", dt)
	}
	l, err := adm.ListTransactions(ctx, nil, []string{"Ongoing"})
	if err != nil {
		t.Fatal(err)
	}
	if lt, ok := l["tx-admin"]; !ok || lt.ProducerID != dt.ProducerID {
		t.Fatalf("list: %+v", l)
	}
	dp, err := adm.DescribeProducers(ctx, kadm.TopicsSet{"adm": {0: {}}})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	dp.EachProducer(func(pr kadm.DescribedProducer) {
		if pr.ProducerID == dt.ProducerID {
			found = true
			if pr.CurrentTxnStartOffset != 2 { // "one" at 0, its commit marker at 1
				t.Errorf("open transaction starts at %d, want 2", pr.CurrentTxnStartOffset)
			}
		}
	})
	if !found {
		t.Fatalf("describe producers: %+v", dp)
	}
	if err := p.EndTransaction(ctx, kgo.TryAbort); err != nil {
		t.Fatal(err)
	}
}
