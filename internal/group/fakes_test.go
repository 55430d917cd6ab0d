package group

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"
)

// fakeClock runs timers only when the test advances it.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c       *fakeClock
	at      time.Time
	f       func()
	stopped bool
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.UnixMilli(1_700_000_000_000)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

// Advance moves time forward, running due timers in time order on the
// calling goroutine (including timers they schedule that are due).
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	for i := 0; i < 10000; i++ {
		c.mu.Lock()
		var due *fakeTimer
		live := c.timers[:0]
		for _, t := range c.timers {
			if t.stopped {
				continue
			}
			live = append(live, t)
			if !t.at.After(target) && (due == nil || t.at.Before(due.at)) {
				due = t
			}
		}
		c.timers = live
		if due == nil {
			c.now = target
			c.mu.Unlock()
			return
		}
		due.stopped = true
		if due.at.After(c.now) {
			c.now = due.at
		}
		c.mu.Unlock()
		due.f()
	}
	panic("fakeClock: timers keep rescheduling")
}

// fakeLog keeps each partition's records in memory.
type fakeLog struct {
	mu         sync.Mutex
	parts      map[int32][]Record
	failNext   error
	replayGate chan struct{} // when set, Replay waits for it to close
	afterRead  func()        // when set, Replay calls it once it has read the log
}

func newFakeLog() *fakeLog { return &fakeLog{parts: make(map[int32][]Record)} }

func (l *fakeLog) Append(_ context.Context, p int32, recs []Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.failNext; err != nil {
		l.failNext = nil
		return err
	}
	l.parts[p] = append(l.parts[p], recs...)
	return nil
}

func (l *fakeLog) Replay(ctx context.Context, p int32, fn func(Record) error) error {
	if l.replayGate != nil {
		select {
		case <-l.replayGate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	l.mu.Lock()
	recs := append([]Record(nil), l.parts[p]...)
	l.mu.Unlock()
	if l.afterRead != nil {
		l.afterRead()
	}
	for _, r := range recs {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// AppendTxn makes fakeLog a TxnLog: the records go in marked with the
// producer, as a transactional batch would.
func (l *fakeLog) AppendTxn(ctx context.Context, p int32, producerID int64, _ int16, recs []Record) error {
	out := make([]Record, len(recs))
	for i, r := range recs {
		r.Txn, r.ProducerID = true, producerID
		out[i] = r
	}
	return l.Append(ctx, p, out)
}

func (l *fakeLog) count(p int32) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.parts[p])
}

var errDisk = errors.New("test: disk full")

// env is a coordinator over a fake log and clock that leads every
// partition.
type env struct {
	t     *testing.T
	c     *Coordinator
	clock *fakeClock
	log   *fakeLog
	cfg   Config
}

func testConfig(clock *fakeClock) Config {
	return Config{NumPartitions: 4, MinSessionTimeout: time.Second, MaxSessionTimeout: time.Minute,
		OffsetsRetention: time.Hour, Clock: clock}
}

func newEnv(t *testing.T, mod ...func(*Config)) *env {
	t.Helper()
	clock := newFakeClock()
	cfg := testConfig(clock)
	for _, f := range mod {
		f(&cfg)
	}
	e := &env{t: t, clock: clock, log: newFakeLog(), cfg: cfg}
	e.start()
	return e
}

// start (re)opens the coordinator on the same log and waits for the load.
func (e *env) start() {
	e.t.Helper()
	e.c = New(e.cfg, e.log)
	e.t.Cleanup(func() { e.c.Close() })
	e.c.SetLeaders(map[int32]int32{0: 1, 1: 1, 2: 1, 3: 1})
	waitFor(e.t, func() bool {
		for p := int32(0); p < 4; p++ {
			if e.c.Status(p) != Loaded {
				return false
			}
		}
		return true
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

func joinReq(group, member string) JoinRequest {
	return JoinRequest{Group: group, MemberID: member, ClientID: "cl", ClientHost: "/127.0.0.1",
		ProtocolType: "consumer", Protocols: []Protocol{{Name: "range", Metadata: []byte{0, 0, 0, 0, 0, 1, 0, 1, 't'}}},
		SessionTimeout: 10 * time.Second, RebalanceTimeout: 20 * time.Second, RequireKnownMemberID: true}
}

// joinAsync starts a Join and returns the channel its result arrives on.
func (e *env) joinAsync(req JoinRequest) <-chan JoinResult {
	ch := make(chan JoinResult, 1)
	go func() { ch <- e.c.Join(context.Background(), req) }()
	return ch
}

func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("no result within 5s")
		panic("unreachable")
	}
}

// pending asserts nothing arrives on ch for a moment.
func pending[T any](t *testing.T, ch <-chan T) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("unexpected result %+v", v)
	case <-time.After(20 * time.Millisecond):
	}
}

// joinNew does the KIP-394 round trip and returns the member id and a
// channel for the join result.
func (e *env) joinNew(group string) (string, <-chan JoinResult) {
	e.t.Helper()
	r := e.c.Join(context.Background(), joinReq(group, ""))
	if !errors.Is(r.Err, ErrMemberIDRequired) || r.MemberID == "" {
		e.t.Fatalf("first join = %+v, want member id required", r)
	}
	ch := e.joinAsync(joinReq(group, r.MemberID))
	waitFor(e.t, func() bool { return e.hasMember(group, r.MemberID) })
	return r.MemberID, ch
}

func (e *env) hasMember(group, id string) bool {
	d, _ := e.c.DescribeGroup(group)
	for _, m := range d.Members {
		if m.MemberID == id {
			return true
		}
	}
	return false
}

func (e *env) state(group string) State {
	d, err := e.c.DescribeGroup(group)
	if err != nil {
		e.t.Fatal(err)
	}
	return d.State
}

func sortedIDs(ms []JoinMember) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.MemberID)
	}
	sort.Strings(out)
	return out
}
