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
// .
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

// gatedLog is memLog whose Replay waits until gate is closed.
type gatedLog struct {
	*memLog
	gate chan struct{}
}

func (l gatedLog) Replay(ctx context.Context, p int32, fn func(Record) error) error {
	select {
	case <-l.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	return l.memLog.Replay(ctx, p, fn)
}

// TestLoadedPreparedTransactionFinishedByRetry: a new coordinator loads
// transaction N as PrepareCommit and starts finishing it in the
// background, but the producer's EndTxn retry gets there first, completes
// N and opens N+1. The background completion must then leave the id
// alone. Before, it finished whatever it found: finish aborts what is not
// PrepareCommit, so it sent ABORT markers for N+1's partitions and wrote
// CompleteAbort over the ongoing N+1. (It also read the entry without its
// lock, a data race with the retry.) The test holds c.life so that the
// background completion starts only after the retry.
func TestLoadedPreparedTransactionFinishedByRetry(t *testing.T) {
	ctx := context.Background()
	ml := &memLog{recs: map[int32][]Record{}}
	prepared := txnstate.Value{ProducerID: 7, ProducerEpoch: 2, TimeoutMs: 60000, State: txnstate.PrepareCommit,
		Topics: []txnstate.TopicPartitions{{Topic: "t", Partitions: []int32{0}}}, StartMs: time.Now().UnixMilli()}
	if err := ml.Append(ctx, 0, []Record{{Key: txnstate.Key("app"), Value: txnstate.Encode(prepared)}}); err != nil {
		t.Fatal(err)
	}
	gl := gatedLog{memLog: ml, gate: make(chan struct{})}
	mk := &memMarkers{}
	c := New(Config{NumPartitions: 1, NextProducerID: func() (int64, error) { return 100, nil }}, gl, mk)
	defer c.Close()
	c.SetLeaders(map[int32]int32{0: 1})
	c.life.Lock() // the load cannot start its background completion
	close(gl.gate)
	waitLoaded(t, c, 0)
	err := c.EndTxn(ctx, "app", 7, 2, true)
	if err == nil {
		err = c.AddPartitions(ctx, "app", 7, 2, []TopicPartition{{"t", 1}})
	}
	c.life.Unlock()
	if err != nil {
		t.Fatalf("retry of N and start of N+1: %v", err)
	}
	// The background completion runs now; give it time to do harm.
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) && len(mk.all()) < 2 {
		time.Sleep(10 * time.Millisecond)
	}
	if got := mk.all(); len(got) != 1 || !got[0].commit {
		t.Errorf("markers %+v, want only N's COMMIT", got)
	}
	in, err := c.Describe("app")
	if err != nil {
		t.Fatal(err)
	}
	if in.State != txnstate.Ongoing || len(in.Partitions) != 1 || in.Partitions[0] != (TopicPartition{"t", 1}) {
		t.Errorf("id is %v on %v, want N+1 ongoing on t-1", in.State, in.Partitions)
	}
}
