package group

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestPartitionForIsKafkas(t *testing.T) {
	cases := []struct {
		group string
		n     int32
		want  int32
	}{
		{"hello", 50, 99162322 % 50},  // "hello".hashCode() == 99162322
		{"polygenelubricants", 50, 0}, // hashCode() == Integer.MIN_VALUE; abs -> 0
		{"", 50, 0},
		{"Aa", 7, 2112 % 7},                              // "Aa".hashCode() == 2112
		{"\U0001F600", 50, absJava(55357*31+56832) % 50}, // surrogate pair
	}
	for _, c := range cases {
		if got := PartitionFor(c.group, c.n); got != c.want {
			t.Errorf("PartitionFor(%q, %d) = %d, want %d", c.group, c.n, got, c.want)
		}
	}
	if h := javaStringHash("abcdefghijklmnopqrstuvwxyz"); h != 958031277 {
		t.Errorf("hash of the alphabet = %d, want 958031277", h)
	}
}

func absJava(h int32) int32 {
	if h < 0 {
		return -h
	}
	return h
}

// joinAndSync brings a one-member group to Stable and returns the member.
func (e *env) joinAndSync(group string) (string, JoinResult) {
	e.t.Helper()
	id, ch := e.joinNew(group)
	res := recv(e.t, ch)
	if res.Err != nil {
		e.t.Fatalf("join: %v", res.Err)
	}
	s := e.c.Sync(context.Background(), SyncRequest{Group: group, MemberID: id, Generation: res.Generation,
		Assignments: map[string][]byte{id: []byte("a1")}})
	if s.Err != nil || string(s.Assignment) != "a1" {
		e.t.Fatalf("sync = %+v", s)
	}
	return id, res
}

func TestJoinSyncHeartbeatSingleMember(t *testing.T) {
	e := newEnv(t)
	id, res := e.joinAndSync("g")
	if res.Generation != 1 || res.Leader != id || res.Protocol != "range" || len(res.Members) != 1 {
		t.Fatalf("join result = %+v", res)
	}
	if got := e.state("g"); got != Stable {
		t.Fatalf("state = %v, want Stable", got)
	}
	if err := e.c.Heartbeat(HeartbeatRequest{Group: "g", MemberID: id, Generation: 1}); err != nil {
		t.Fatalf("heartbeat: %v", err)
	}
	if e.log.count(e.c.PartitionFor("g")) == 0 {
		t.Fatal("group metadata not written to the log")
	}
}

func TestSecondMemberTriggersRebalance(t *testing.T) {
	e := newEnv(t)
	a, _ := e.joinAndSync("g")
	b, chB := e.joinNew("g")
	pending(t, chB)
	if err := e.c.Heartbeat(HeartbeatRequest{Group: "g", MemberID: a, Generation: 1}); !errors.Is(err, ErrRebalanceInProgress) {
		t.Fatalf("heartbeat during rebalance = %v", err)
	}
	if s := e.c.Sync(context.Background(), SyncRequest{Group: "g", MemberID: a, Generation: 1}); !errors.Is(s.Err, ErrRebalanceInProgress) {
		t.Fatalf("sync during rebalance = %v", s.Err)
	}
	resA := recv(t, e.joinAsync(joinReq("g", a)))
	resB := recv(t, chB)
	if resA.Generation != 2 || resB.Generation != 2 || resA.Leader != a || resB.Leader != a {
		t.Fatalf("results: a=%+v b=%+v", resA, resB)
	}
	if got, want := sortedIDs(resA.Members), sortedIDs([]JoinMember{{MemberID: a}, {MemberID: b}}); !slices.Equal(got, want) {
		t.Fatalf("leader sees %v, want %v", got, want)
	}
	if len(resB.Members) != 0 {
		t.Fatal("follower got the member list")
	}
	syncB := make(chan SyncResult, 1)
	go func() { syncB <- e.c.Sync(context.Background(), SyncRequest{Group: "g", MemberID: b, Generation: 2}) }()
	pending(t, syncB)
	sa := e.c.Sync(context.Background(), SyncRequest{Group: "g", MemberID: a, Generation: 2,
		Assignments: map[string][]byte{a: []byte("A"), b: []byte("B")}})
	if sa.Err != nil || string(sa.Assignment) != "A" {
		t.Fatalf("leader sync = %+v", sa)
	}
	if sb := recv(t, syncB); sb.Err != nil || string(sb.Assignment) != "B" {
		t.Fatalf("follower sync = %+v", sb)
	}
	// Errors of a stable group.
	if err := e.c.Heartbeat(HeartbeatRequest{Group: "g", MemberID: a, Generation: 1}); !errors.Is(err, ErrIllegalGeneration) {
		t.Fatalf("old generation heartbeat = %v", err)
	}
	if err := e.c.Heartbeat(HeartbeatRequest{Group: "g", MemberID: "nobody", Generation: 2}); !errors.Is(err, ErrUnknownMemberID) {
		t.Fatalf("unknown member heartbeat = %v", err)
	}
}

func TestInvalidSessionTimeout(t *testing.T) {
	e := newEnv(t)
	for _, d := range []time.Duration{time.Millisecond, 2 * time.Minute} {
		req := joinReq("g", "")
		req.SessionTimeout = d
		if r := e.c.Join(context.Background(), req); !errors.Is(r.Err, ErrInvalidSessionTimeout) {
			t.Errorf("session %v: %v", d, r.Err)
		}
	}
}

func TestInconsistentProtocol(t *testing.T) {
	e := newEnv(t)
	e.joinAndSync("g")
	req := joinReq("g", "")
	req.Protocols = []Protocol{{Name: "other"}}
	if r := e.c.Join(context.Background(), req); !errors.Is(r.Err, ErrInconsistentProtocol) {
		t.Fatalf("join with another protocol = %v", r.Err)
	}
}

func TestSessionExpiryRemovesMember(t *testing.T) {
	e := newEnv(t)
	a, _ := e.joinAndSync("g")
	b, chB := e.joinNew("g")
	chA := e.joinAsync(joinReq("g", a))
	recv(t, chA)
	recv(t, chB)
	e.c.Sync(context.Background(), SyncRequest{Group: "g", MemberID: a, Generation: 2})
	e.c.Sync(context.Background(), SyncRequest{Group: "g", MemberID: b, Generation: 2})
	// a keeps heartbeating, b goes silent.
	for i := 0; i < 4; i++ {
		e.clock.Advance(4 * time.Second)
		err := e.c.Heartbeat(HeartbeatRequest{Group: "g", MemberID: a, Generation: 2})
		if errors.Is(err, ErrRebalanceInProgress) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := e.state("g"); got != PreparingRebalance {
		t.Fatalf("state after b expired = %v", got)
	}
	res := recv(t, e.joinAsync(joinReq("g", a)))
	if res.Generation != 3 || len(res.Members) != 1 {
		t.Fatalf("rejoin = %+v", res)
	}
	if err := e.c.Heartbeat(HeartbeatRequest{Group: "g", MemberID: b, Generation: 2}); !errors.Is(err, ErrUnknownMemberID) {
		t.Fatalf("expired member heartbeat = %v", err)
	}
}

func TestRebalanceTimeoutDropsMemberThatDoesNotRejoin(t *testing.T) {
	e := newEnv(t)
	a, _ := e.joinAndSync("g")
	_, chB := e.joinNew("g")
	pending(t, chB)
	e.clock.Advance(21 * time.Second) // a never rejoins
	res := recv(t, chB)
	if res.Err != nil || res.Generation != 2 || len(res.Members) != 1 {
		t.Fatalf("join after rebalance timeout = %+v", res)
	}
	if err := e.c.Heartbeat(HeartbeatRequest{Group: "g", MemberID: a, Generation: 2}); !errors.Is(err, ErrUnknownMemberID) {
		t.Fatalf("dropped member heartbeat = %v", err)
	}
}

func TestInitialRebalanceDelayGathersMembers(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.InitialRebalanceDelay = 3 * time.Second })
	_, chA := e.joinNew("g")
	e.clock.Advance(2 * time.Second)
	_, chB := e.joinNew("g")
	pending(t, chA)
	e.clock.Advance(2 * time.Second) // first delay ends; b arrived, so it extends
	pending(t, chA)
	e.clock.Advance(3 * time.Second)
	ra, rb := recv(t, chA), recv(t, chB)
	if ra.Generation != 1 || rb.Generation != 1 {
		t.Fatalf("generations %d and %d, want both 1", ra.Generation, rb.Generation)
	}
}

func TestLeaveGroup(t *testing.T) {
	e := newEnv(t)
	a, _ := e.joinAndSync("g")
	errs, err := e.c.Leave("g", []LeaveMember{{MemberID: a}, {MemberID: "ghost"}})
	if err != nil || errs[0] != nil || !errors.Is(errs[1], ErrUnknownMemberID) {
		t.Fatalf("leave = %v, %v", errs, err)
	}
	if got := e.state("g"); got != Empty {
		t.Fatalf("state after last member left = %v", got)
	}
}

func TestStaticMemberReplacementFencesOldID(t *testing.T) {
	e := newEnv(t)
	req := joinReq("g", "")
	req.InstanceID = "i1"
	res := e.c.Join(context.Background(), req) // static members skip KIP-394
	if res.Err != nil || res.Generation != 1 {
		t.Fatalf("static join = %+v", res)
	}
	old := res.MemberID
	e.c.Sync(context.Background(), SyncRequest{Group: "g", MemberID: old, InstanceID: "i1", Generation: 1,
		Assignments: map[string][]byte{old: []byte("x")}})
	// Restart of a follower-only static member: a second static member makes
	// "i1" not the leader only if it joined first, so test the leader path
	// with skip-assignment support (KIP-814).
	req.SupportsSkipAssignment = true
	res2 := e.c.Join(context.Background(), req)
	if res2.Err != nil || res2.Generation != 1 || res2.MemberID == old || !res2.SkipAssignment {
		t.Fatalf("static rejoin = %+v", res2)
	}
	if got := e.state("g"); got != Stable {
		t.Fatalf("static restart rebalanced: state %v", got)
	}
	err := e.c.Heartbeat(HeartbeatRequest{Group: "g", MemberID: old, InstanceID: "i1", Generation: 1})
	if !errors.Is(err, ErrFencedInstanceID) {
		t.Fatalf("old instance heartbeat = %v", err)
	}
	if _, err := e.c.Commit(context.Background(), CommitRequest{Group: "g", MemberID: old, InstanceID: "i1",
		Generation: 1, Retention: -1, Offsets: []OffsetCommit{{TopicPartition{"t", 0}, 1, -1, ""}}}); !errors.Is(err, ErrFencedInstanceID) {
		t.Fatalf("old instance commit = %v", err)
	}
}

func TestLoadInProgress(t *testing.T) {
	clock := newFakeClock()
	log := newFakeLog()
	log.replayGate = make(chan struct{})
	c := New(testConfig(clock), log)
	defer c.Close()
	if r := c.Join(context.Background(), joinReq("g", "")); !errors.Is(r.Err, ErrNotCoordinator) {
		t.Fatalf("join before leading = %v", r.Err)
	}
	c.SetLeaders(map[int32]int32{c.PartitionFor("g"): 1})
	if r := c.Join(context.Background(), joinReq("g", "")); !errors.Is(r.Err, ErrLoadInProgress) {
		t.Fatalf("join while loading = %v", r.Err)
	}
	close(log.replayGate)
	waitFor(t, func() bool { return c.Status(c.PartitionFor("g")) == Loaded })
	c.SetLeaders(nil)
	if _, err := c.FetchOffsets("g", nil); !errors.Is(err, ErrNotCoordinator) {
		t.Fatalf("fetch after resigning = %v", err)
	}
}

func TestCloseFailsWaiters(t *testing.T) {
	e := newEnv(t)
	e.joinAndSync("g")
	_, ch := e.joinNew("g")
	pending(t, ch)
	e.c.Close()
	if r := recv(t, ch); !errors.Is(r.Err, ErrNotCoordinator) {
		t.Fatalf("waiting join after close = %v", r.Err)
	}
}

func TestLeaderThatNeverSyncsIsRemoved(t *testing.T) {
	e := newEnv(t)
	a, _ := e.joinAndSync("g")
	b, chB := e.joinNew("g")
	recv(t, e.joinAsync(joinReq("g", a)))
	recv(t, chB)
	syncB := make(chan SyncResult, 1)
	go func() { syncB <- e.c.Sync(context.Background(), SyncRequest{Group: "g", MemberID: b, Generation: 2}) }()
	pending(t, syncB)
	for i := 0; i < 3; i++ { // the leader heartbeats but never syncs
		e.clock.Advance(7 * time.Second)
		if err := e.c.Heartbeat(HeartbeatRequest{Group: "g", MemberID: a, Generation: 2}); err != nil {
			break
		}
	}
	if r := recv(t, syncB); !errors.Is(r.Err, ErrRebalanceInProgress) {
		t.Fatalf("follower sync = %+v", r)
	}
	res := recv(t, e.joinAsync(joinReq("g", b)))
	if res.Err != nil || res.Leader != b || len(res.Members) != 1 {
		t.Fatalf("rejoin after the leader was dropped = %+v", res)
	}
}

func TestStaticLeaderRestartWithoutSkipSupportDoesNotRebalance(t *testing.T) {
	e := newEnv(t)
	req := joinReq("g", "")
	req.InstanceID = "i1"
	res := e.c.Join(context.Background(), req)
	e.c.Sync(context.Background(), SyncRequest{Group: "g", MemberID: res.MemberID, Generation: 1,
		Assignments: map[string][]byte{res.MemberID: []byte("x")}})
	res2 := e.c.Join(context.Background(), req) // e.g. librdkafka, JoinGroup < v9
	if res2.Err != nil || res2.Generation != 1 || res2.Leader != res2.MemberID || len(res2.Members) != 0 {
		t.Fatalf("static leader rejoin = %+v", res2)
	}
	s := e.c.Sync(context.Background(), SyncRequest{Group: "g", MemberID: res2.MemberID, Generation: 1})
	if s.Err != nil || string(s.Assignment) != "x" {
		t.Fatalf("sync after static rejoin = %+v", s)
	}
	if got := e.state("g"); got != Stable {
		t.Fatalf("state = %v", got)
	}
}
