package txn

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/samsa-io/samsa/protocol/txnstate"
)

// gatedMarkers is memMarkers whose first Write blocks until release is
// closed (entered is closed when it starts blocking).
type gatedMarkers struct {
	memMarkers
	once             sync.Once
	entered, release chan struct{}
}

func (g *gatedMarkers) Write(ctx context.Context, pid int64, epoch int16, cepoch int32, commit bool, parts []TopicPartition) error {
	first := false
	g.once.Do(func() { first = true })
	if first {
		close(g.entered)
		select {
		case <-g.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return g.memMarkers.Write(ctx, pid, epoch, cepoch, commit, parts)
}

func waitLoaded(t *testing.T, c *Coordinator, p int32) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, loaded := c.Status(p); !loaded; _, loaded = c.Status(p) {
		if time.Now().After(deadline) {
			t.Fatal("partition not loaded")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestStaleCompletionAfterFailoverWritesNothing: a coordinator whose
// commit of transaction N is still writing markers loses the partition;
// another coordinator completes N and the producer opens N+1 there; the
// first node then leads the partition again (a newer epoch, reloaded from
// the log). When the old completion's markers return, it must neither
// record N's completion over N+1 in the log nor report success: its view
// of the id is stale. Before entries were tied to their load, it wrote
// CompleteCommit over the ongoing N+1, so the next coordinator forgot N+1
// (issue 11, defect 10).
func TestStaleCompletionAfterFailoverWritesNothing(t *testing.T) {
	ctx := context.Background()
	log := &memLog{recs: map[int32][]Record{}}
	gm := &gatedMarkers{entered: make(chan struct{}), release: make(chan struct{})}
	c := newTestCoordinator(t, log, gm)
	pid, epoch, err := c.InitProducerID(ctx, "app", 60000, -1, -1)
	if err != nil {
		t.Fatal(err)
	}
	txnN := []TopicPartition{{"t", 0}}
	if err := c.AddPartitions(ctx, "app", pid, epoch, txnN); err != nil {
		t.Fatal(err)
	}
	endErr := make(chan error, 1)
	go func() { endErr <- c.EndTxn(ctx, "app", pid, epoch, true) }()
	<-gm.entered // PrepareCommit(N) is in the log; its markers are in flight

	c.SetLeaders(map[int32]int32{}) // the partition moves away
	other := &memMarkers{}
	c2 := New(Config{NumPartitions: 1, NextProducerID: func() (int64, error) { return 500, nil }}, log, other)
	c2.SetLeaders(map[int32]int32{0: 2})
	waitLoaded(t, c2, 0)
	deadline := time.Now().Add(5 * time.Second)
	for {
		in, err := c2.Describe("app")
		if err == nil && in.State == txnstate.CompleteCommit {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new coordinator did not complete N: %+v %v", in, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	txnN1 := []TopicPartition{{"t", 1}}
	if err := c2.AddPartitions(ctx, "app", pid, epoch, txnN1); err != nil {
		t.Fatalf("open N+1 at the new coordinator: %v", err)
	}
	c2.Close()

	c.SetLeaders(map[int32]int32{0: 3}) // back, at a newer epoch
	waitLoaded(t, c, 0)
	close(gm.release)
	if err := <-endErr; err != nil {
		// PrepareCommit was durable: the commit stands, whoever finishes it.
		t.Errorf("EndTxn of N: %v", err)
	}
	if got := gm.all(); len(got) != 1 {
		// Only the first, gated write (N's markers at the old epoch,
		// which partitions fence by coordinator epoch) may go out.
		t.Errorf("the stale coordinator sent markers %+v", got)
	}

	c3 := New(Config{NumPartitions: 1, NextProducerID: func() (int64, error) { return 600, nil }}, log, &memMarkers{})
	t.Cleanup(func() { c3.Close() })
	c3.SetLeaders(map[int32]int32{0: 4})
	waitLoaded(t, c3, 0)
	in, err := c3.Describe("app")
	if err != nil {
		t.Fatal(err)
	}
	if in.State != txnstate.Ongoing || len(in.Partitions) != 1 || in.Partitions[0] != txnN1[0] {
		t.Fatalf("the log ends with %v %v, want N+1 ongoing on %v", in.State, in.Partitions, txnN1)
	}
}
