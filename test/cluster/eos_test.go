package cluster

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// TestExactlyOnceCopyAcrossKills: a franz-go GroupTransactSession copies
// 100,000 records from topic A to topic B on a 3-node cluster while the
// node coordinating its transactional id, and then the leader of one of
// B's partitions, are killed with SIGKILL and relaunched. A read_committed
// consumer of B sees every record of A exactly once.
func TestExactlyOnceCopyAcrossKills(t *testing.T) {
	if testing.Short() {
		t.Skip("long multi-process test")
	}
	const (
		n     = 100000
		txnID = "eos-copy"
	)
	c := harness.StartCluster(t, 3, map[string]string{"transaction.state.log.num.partitions": "5",
		"offsets.topic.num.partitions": "5"})
	c.CreateTopic("eos-a", 3, 3, nil)
	c.CreateTopic("eos-b", 3, 3, nil)
	produceSeqs(t, c, "eos-a", n)

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	var copied atomic.Int64
	var wg sync.WaitGroup
	pipeCtx, stopPipe := context.WithCancel(ctx)
	wg.Add(1)
	go func() { // owned by the test: stopPipe ends it, wg waits
		defer wg.Done()
		for pipeCtx.Err() == nil {
			if err := copyOnce(pipeCtx, c, txnID, &copied); err != nil && pipeCtx.Err() == nil {
				t.Logf("pipeline restarts after: %v", err)
				time.Sleep(500 * time.Millisecond)
			}
		}
	}()
	defer func() { stopPipe(); wg.Wait() }()

	waitCopied := func(at int64) {
		at = min(at, n)
		harness.Eventually(t, 3*time.Minute, func() error {
			if copied.Load() < at {
				return errNoAckYet
			}
			return nil
		})
	}
	waitCopied(n / 5)
	coord := txnCoordinatorOf(t, c, txnID)
	t.Logf("killing node %d (transaction coordinator) after %d copied", coord, copied.Load())
	c.Node(coord).Kill()
	waitCopied(copied.Load() + n/20)
	c.Node(coord).Launch()
	leader := leaderOf(t, c, "eos-b", 0)
	t.Logf("killing node %d (leader of eos-b-0) after %d copied", leader, copied.Load())
	c.Node(leader).Kill()
	waitCopied(copied.Load() + n/20)
	c.Node(leader).Launch()

	got := make(map[string]int)
	cons := c.Client(kgo.ConsumeTopics("eos-b"), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	for len(got) < n && ctx.Err() == nil {
		pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
		cons.PollFetches(pctx).EachRecord(func(r *kgo.Record) { got[string(r.Value)]++ })
		pcancel()
	}
	stopPipe()
	wg.Wait()
	// Drain what is left (a last transaction may have committed meanwhile).
	dctx, dcancel := context.WithTimeout(context.Background(), 3*time.Second)
	cons.PollFetches(dctx).EachRecord(func(r *kgo.Record) { got[string(r.Value)]++ })
	dcancel()
	if len(got) != n {
		t.Fatalf("B holds %d distinct records of %d", len(got), n)
	}
	for v, k := range got {
		if k != 1 {
			t.Fatalf("record %s is in B %d times", v, k)
		}
	}
}

// copyOnce runs one pipeline instance until ctx ends or it fails.
func copyOnce(ctx context.Context, c *harness.Cluster, txnID string, copied *atomic.Int64) error {
	sess, err := kgo.NewGroupTransactSession(kgo.SeedBrokers(c.Nodes[0].Addr, c.Nodes[1].Addr, c.Nodes[2].Addr),
		kgo.TransactionalID(txnID), kgo.ConsumerGroup("eos-copy"), kgo.ConsumeTopics("eos-a"),
		kgo.DefaultProduceTopic("eos-b"), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxPartitionBytes(512), kgo.FetchMaxBytes(2<<10),
		kgo.RequireStableFetchOffsets(), kgo.SessionTimeout(10*time.Second),
		kgo.MetadataMinAge(250*time.Millisecond), kgo.TransactionTimeout(20*time.Second))
	if err != nil {
		return err
	}
	defer sess.Close()
	for ctx.Err() == nil {
		fs := sess.PollRecords(ctx, 200) // small transactions: many in flight when nodes die
		if fs.IsClientClosed() {
			return nil
		}
		if err := sess.Begin(); err != nil {
			return err
		}
		k := 0
		fs.EachRecord(func(r *kgo.Record) {
			sess.Produce(ctx, &kgo.Record{Value: r.Value}, nil)
			k++
		})
		ectx, cancel := context.WithTimeout(context.Background(), time.Minute)
		committed, err := sess.End(ectx, kgo.TryCommit)
		cancel()
		if err != nil {
			return err
		}
		if committed {
			copied.Add(int64(k))
		}
		// The "transform" takes a moment, so that the kills land while
		// transactions are in flight rather than after the copy is done.
		time.Sleep(15 * time.Millisecond)
	}
	return nil
}

func produceSeqs(t *testing.T, c *harness.Cluster, topic string, n int) {
	t.Helper()
	cl := c.Client(kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var failed atomic.Value
	for i := 0; i < n; i++ {
		cl.Produce(ctx, &kgo.Record{Value: []byte(strconv.Itoa(i))}, func(_ *kgo.Record, err error) {
			if err != nil {
				failed.Store(err)
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err, _ := failed.Load().(error); err != nil {
		t.Fatal(err)
	}
}

func txnCoordinatorOf(t *testing.T, c *harness.Cluster, txnID string) int32 {
	t.Helper()
	var id int32
	harness.Eventually(t, 30*time.Second, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req := kmsg.NewPtrFindCoordinatorRequest()
		req.CoordinatorType, req.CoordinatorKey, req.CoordinatorKeys = 1, txnID, []string{txnID}
		resp, err := req.RequestWith(ctx, c.Client())
		if err != nil {
			return err
		}
		code, node := resp.ErrorCode, resp.NodeID
		if len(resp.Coordinators) == 1 { // v4+
			code, node = resp.Coordinators[0].ErrorCode, resp.Coordinators[0].NodeID
		}
		if code != 0 {
			return errors.New("find transaction coordinator: error " + strconv.Itoa(int(code)))
		}
		id = node
		return nil
	})
	return id
}

func leaderOf(t *testing.T, c *harness.Cluster, topic string, p int32) int32 {
	t.Helper()
	var id int32
	harness.Eventually(t, 30*time.Second, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		md, err := c.Admin().Metadata(ctx, topic)
		if err != nil {
			return err
		}
		pd, ok := md.Topics[topic].Partitions[p]
		if !ok || pd.Leader < 0 {
			return errors.New("no leader yet")
		}
		id = pd.Leader
		return nil
	})
	return id
}
