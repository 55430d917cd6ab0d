package txn

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/samsa-io/samsa/protocol/txnstate"
)

// memLog is a Log in memory: one record list per partition.
type memLog struct {
	mu   sync.Mutex
	recs map[int32][]Record
}

func (l *memLog) Append(_ context.Context, p int32, recs []Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs[p] = append(l.recs[p], recs...)
	return nil
}

func (l *memLog) Replay(_ context.Context, p int32, fn func(Record) error) error {
	l.mu.Lock()
	recs := append([]Record(nil), l.recs[p]...)
	l.mu.Unlock()
	for _, r := range recs {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

type marker struct {
	pid    int64
	epoch  int16
	commit bool
	parts  int
}

type memMarkers struct {
	mu   sync.Mutex
	fail bool
	got  []marker
}

func (m *memMarkers) Write(_ context.Context, pid int64, epoch int16, _ int32, commit bool, parts []TopicPartition) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return errors.New("leader unavailable")
	}
	m.got = append(m.got, marker{pid, epoch, commit, len(parts)})
	return nil
}

func (m *memMarkers) all() []marker {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]marker(nil), m.got...)
}

func newTestCoordinator(t *testing.T, log *memLog, mk Markers) *Coordinator {
	t.Helper()
	next := int64(100)
	c := New(Config{NumPartitions: 1, AbortInterval: 20 * time.Millisecond,
		NextProducerID: func() (int64, error) { next++; return next, nil }}, log, mk)
	t.Cleanup(func() { c.Close() })
	c.SetLeaders(map[int32]int32{0: 1})
	deadline := time.Now().Add(5 * time.Second)
	for _, loaded := c.Status(0); !loaded; _, loaded = c.Status(0) {
		if time.Now().After(deadline) {
			t.Fatal("partition not loaded")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return c
}

func TestCoordinatorCommitFenceAndFailover(t *testing.T) {
	ctx := context.Background()
	log, mk := &memLog{recs: map[int32][]Record{}}, &memMarkers{}
	c := newTestCoordinator(t, log, mk)
	pid, epoch, err := c.InitProducerID(ctx, "app", 60000, -1, -1)
	if err != nil || epoch != 0 {
		t.Fatalf("init: %d/%d %v", pid, epoch, err)
	}
	tp := []TopicPartition{{"t", 0}, {"t", 1}}
	if err := c.AddPartitions(ctx, "app", pid, epoch, tp); err != nil {
		t.Fatal(err)
	}
	if err := c.EndTxn(ctx, "app", pid, epoch, true); err != nil {
		t.Fatal(err)
	}
	if got := mk.all(); len(got) != 1 || got[0] != (marker{pid, 0, true, 2}) {
		t.Fatalf("markers: %+v", got)
	}
	// A second instance bumps the epoch; the first is fenced.
	if err := c.AddPartitions(ctx, "app", pid, epoch, tp); err != nil {
		t.Fatal(err)
	}
	pid2, epoch2, err := c.InitProducerID(ctx, "app", 60000, -1, -1)
	if err != nil || pid2 != pid || epoch2 != 1 {
		t.Fatalf("re-init: %d/%d %v", pid2, epoch2, err)
	}
	if got := mk.all(); len(got) != 2 || got[1] != (marker{pid, 1, false, 2}) {
		t.Fatalf("the open transaction was not aborted with the new epoch: %+v", got)
	}
	if err := c.EndTxn(ctx, "app", pid, epoch, true); !errors.Is(err, ErrProducerFenced) {
		t.Fatalf("zombie commit: %v", err)
	}
	// A decision whose markers could not be written is finished by the
	// next coordinator after loading the log.
	if err := c.AddPartitions(ctx, "app", pid, epoch2, tp[:1]); err != nil {
		t.Fatal(err)
	}
	mk.mu.Lock()
	mk.fail = true
	mk.mu.Unlock()
	if err := c.EndTxn(ctx, "app", pid, epoch2, false); err != nil {
		t.Fatalf("end with failing markers: %v", err)
	}
	c.Close()
	mk.mu.Lock()
	mk.fail = false
	mk.mu.Unlock()
	c2 := newTestCoordinator(t, log, mk)
	deadline := time.Now().Add(5 * time.Second)
	for {
		in, err := c2.Describe("app")
		if err == nil && in.State == txnstate.CompleteAbort {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("failover did not finish the abort: %+v %v", in, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCoordinatorTimesOutOpenTransaction(t *testing.T) {
	ctx := context.Background()
	log, mk := &memLog{recs: map[int32][]Record{}}, &memMarkers{}
	c := newTestCoordinator(t, log, mk)
	pid, epoch, err := c.InitProducerID(ctx, "slow", 50, -1, -1)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddPartitions(ctx, "slow", pid, epoch, []TopicPartition{{"t", 0}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(mk.all()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the timed-out transaction was not aborted")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := mk.all()[0]; got.commit || got.epoch != epoch+1 {
		t.Fatalf("timeout marker %+v, want an abort with epoch %d", got, epoch+1)
	}
	if err := c.EndTxn(ctx, "slow", pid, epoch, true); !errors.Is(err, ErrProducerFenced) {
		t.Fatalf("commit after the timeout: %v", err)
	}
	if _, _, err := c.InitProducerID(ctx, "slow", 0, -1, -1); !errors.Is(err, ErrInvalidTimeout) {
		t.Fatalf("zero timeout: %v", err)
	}
}
