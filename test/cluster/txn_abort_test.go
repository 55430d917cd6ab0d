package cluster

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// txnOutcomes is what the commit/abort workload knows about its
// transactions: the values of every transaction whose commit was
// acknowledged, and how many transactions it committed and aborted.
type txnOutcomes struct {
	mu              sync.Mutex
	committed       map[string]bool
	commits, aborts int
	failed          int // transactions ended by an error (fate unknown unless meant to abort)
	lastErr         error
	next            int // the next transaction's number
}

// runCommitAbortWorkload runs transactions of 8 records over the topic's
// partitions until ctx ends: two of every three are committed, the third
// aborted. Values are "c<txn>-<i>" for the transactions meant to commit
// and "a<txn>-<i>" for those meant to abort, which no read_committed
// consumer may ever see. On any error the client is dropped and a new one
// (a new InitProducerID, which fences the old epoch and aborts its open
// transaction) carries on.
func runCommitAbortWorkload(ctx context.Context, seeds []string, txnID, topic string, out *txnOutcomes) {
	for ctx.Err() == nil {
		cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.TransactionalID(txnID), kgo.DefaultProduceTopic(topic),
			kgo.RecordPartitioner(kgo.RoundRobinPartitioner()), kgo.TransactionTimeout(10*time.Second),
			kgo.MetadataMinAge(250*time.Millisecond), kgo.RequestTimeoutOverhead(5*time.Second))
		if err != nil {
			out.fail(err)
			return
		}
		for ctx.Err() == nil {
			if err := oneWorkloadTxn(ctx, cl, out); err != nil {
				out.fail(err)
				break
			}
		}
		cl.Close()
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (o *txnOutcomes) fail(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.failed++
	o.lastErr = err
}

func oneWorkloadTxn(ctx context.Context, cl *kgo.Client, out *txnOutcomes) error {
	out.mu.Lock()
	n := out.next
	out.next++
	out.mu.Unlock()
	commit := n%3 != 2
	prefix := "c"
	if !commit {
		prefix = "a"
	}
	if err := cl.BeginTransaction(); err != nil {
		return fmt.Errorf("begin %d: %w", n, err)
	}
	var recs []*kgo.Record
	var vals []string
	for i := range 8 {
		v := fmt.Sprintf("%s%d-%d", prefix, n, i)
		vals = append(vals, v)
		recs = append(recs, &kgo.Record{Value: []byte(v)})
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := cl.ProduceSync(pctx, recs...).FirstErr(); err != nil {
		return fmt.Errorf("produce %d: %w", n, err)
	}
	if err := cl.EndTransaction(pctx, kgo.TransactionEndTry(commit)); err != nil {
		return fmt.Errorf("end %d (commit=%v): %w", n, commit, err)
	}
	out.mu.Lock()
	defer out.mu.Unlock()
	if commit {
		out.commits++
		for _, v := range vals {
			out.committed[v] = true
		}
	} else {
		out.aborts++
	}
	return nil
}

// TestTxnAbortsStayInvisibleAcrossKills: on 3 nodes (RF=3,
// min.insync.replicas=2) a transactional producer commits two of every
// three transactions and aborts the third while random nodes, the
// transaction coordinator half of the time, are killed with SIGKILL and
// relaunched for about a minute. A read_committed consumer then sees every
// acknowledged commit exactly once and no record of an aborted
// transaction. A coordinator that took over used to re-send the markers
// of a transaction its predecessor had completed, committing the next
// (aborted) transaction's records.
func TestTxnAbortsStayInvisibleAcrossKills(t *testing.T) {
	if testing.Short() {
		t.Skip("long multi-process test")
	}
	const killFor = 60 * time.Second
	c, w := startCommitAbortWorkload(t)
	seed := time.Now().UnixNano()
	t.Logf("kill schedule seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	sleep := func(lo, hi time.Duration) { time.Sleep(lo + time.Duration(rng.Int64N(int64(hi-lo)))) }
	sleep(time.Second, 2*time.Second)
	kills := 0
	for end := time.Now().Add(killFor); time.Now().Before(end); kills++ {
		victim := int32(rng.IntN(3) + 1)
		if rng.IntN(2) == 0 {
			victim = txnCoordinatorOf(t, c, w.txnID)
		}
		t.Logf("kill -9 node %d", victim)
		c.Node(victim).Kill()
		sleep(500*time.Millisecond, 3*time.Second)
		c.Node(victim).Launch()
		// Back in every ISR before the next kill, so that one node down
		// never leaves a partition below min.insync.replicas.
		c.WaitFullISR(w.topic, 3)
		c.WaitFullISR("__transaction_state", 3)
		sleep(time.Second, 4*time.Second)
	}
	t.Logf("%d kills", kills)
	w.verify(t, c)
}

// TestTxnAbortsStayInvisibleAcrossCoordinatorRestarts is the same with
// only the node coordinating the transactional id killed, five times, and
// relaunched at once: it comes back with the high watermark of its last
// checkpoint (written every few seconds), below state records its log
// holds, and may lead __transaction_state again before its followers tell
// it more. Its coordinator loaded the state only up to that high
// watermark, found a transaction that it had long completed still
// prepared, and committed it again: that marker committed the aborted
// transaction that followed.
func TestTxnAbortsStayInvisibleAcrossCoordinatorRestarts(t *testing.T) {
	if testing.Short() {
		t.Skip("long multi-process test")
	}
	c, w := startCommitAbortWorkload(t)
	for i := range 5 {
		time.Sleep(2 * time.Second) // a checkpoint's worth of transactions
		coord := txnCoordinatorOf(t, c, w.txnID)
		t.Logf("restart %d: kill -9 node %d (transaction coordinator)", i+1, coord)
		c.Node(coord).Kill()
		c.Node(coord).Launch()
		c.WaitFullISR(w.topic, 3)
		c.WaitFullISR("__transaction_state", 3)
	}
	w.verify(t, c)
}

// commitAbortWorkload is runCommitAbortWorkload running against a
// cluster, owned by the test that started it.
type commitAbortWorkload struct {
	txnID, topic string
	out          *txnOutcomes
	stop         func() // ends the workload and waits for it
}

// startCommitAbortWorkload starts 3 nodes and the workload on a topic with
// 3 partitions; the workload stops when the test ends at the latest.
func startCommitAbortWorkload(t *testing.T) (*harness.Cluster, *commitAbortWorkload) {
	t.Helper()
	w := &commitAbortWorkload{txnID: "txn-commit-abort", topic: "txn-ca",
		out: &txnOutcomes{committed: make(map[string]bool)}}
	c := harness.StartCluster(t, 3, map[string]string{"transaction.state.log.num.partitions": "3",
		"offsets.topic.num.partitions": "3", "transaction.state.log.min.isr": "2"})
	c.CreateTopic(w.topic, 3, 3, nil)
	seeds := strings.Split(c.Bootstrap(), ",")
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // owned by the test: stop ends it
		defer wg.Done()
		runCommitAbortWorkload(ctx, seeds, w.txnID, w.topic, w.out)
	}()
	var once sync.Once
	w.stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(w.stop)
	return c, w
}

// verify stops the workload, commits one last transaction with a record on
// every partition (its InitProducerID aborts whatever the workload left
// open) and reads the topic read_committed up to those records: every
// acknowledged commit must be there once, no aborted record at all.
func (w *commitAbortWorkload) verify(t *testing.T, c *harness.Cluster) {
	t.Helper()
	w.stop()
	out := w.out
	out.mu.Lock()
	commits, aborts, failed, lastErr := out.commits, out.aborts, out.failed, out.lastErr
	committed := out.committed
	out.mu.Unlock()
	t.Logf("%d transactions committed, %d aborted, %d ended by errors (last: %v)", commits, aborts, failed, lastErr)
	if commits < 10 || aborts < 5 {
		t.Fatalf("too little progress to judge: %d commits, %d aborts", commits, aborts)
	}

	fin := c.Client(kgo.TransactionalID(w.txnID), kgo.DefaultProduceTopic(w.topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.TransactionTimeout(10*time.Second))
	fctx, fcancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer fcancel()
	if err := fin.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for p := range int32(3) {
		if err := fin.ProduceSync(fctx, &kgo.Record{Partition: p, Value: fmt.Appendf(nil, "end-%d", p)}).FirstErr(); err != nil {
			t.Fatalf("final record: %v", err)
		}
	}
	if err := fin.EndTransaction(fctx, kgo.TryCommit); err != nil {
		t.Fatalf("final commit: %v", err)
	}

	cons := c.Client(kgo.ConsumeTopics(w.topic), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	seen := make(map[string]int)
	ends := 0
	for ends < 3 && fctx.Err() == nil {
		cons.PollFetches(fctx).EachRecord(func(r *kgo.Record) {
			v := string(r.Value)
			seen[v]++
			if strings.HasPrefix(v, "end-") {
				ends++
			}
		})
	}
	if ends < 3 {
		t.Fatalf("read_committed saw %d of the 3 final records", ends)
	}
	var aborted, missing, dup []string
	for v, k := range seen {
		switch {
		case strings.HasPrefix(v, "a"):
			aborted = append(aborted, v)
		case k > 1:
			dup = append(dup, v)
		}
	}
	for v := range committed {
		if seen[v] == 0 {
			missing = append(missing, v)
		}
	}
	if len(aborted) > 0 {
		t.Errorf("read_committed saw %d records of aborted transactions: %v", len(aborted), firstN(aborted, 20))
	}
	if len(missing) > 0 {
		t.Errorf("read_committed misses %d records of acknowledged commits: %v", len(missing), firstN(missing, 20))
	}
	if len(dup) > 0 {
		t.Errorf("read_committed saw %d records more than once: %v", len(dup), firstN(dup, 20))
	}
}

func firstN(s []string, n int) []string { return s[:min(n, len(s))] }
