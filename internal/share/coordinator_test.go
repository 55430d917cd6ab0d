package share

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func topicsOf(counts map[string]int32) Topics {
	return func(name string) (int32, bool) { n, ok := counts[name]; return n, ok }
}

func TestHeartbeatJoinAssignLeave(t *testing.T) {
	c := NewCoordinator(DefaultCoordinatorConfig())
	topics := topicsOf(map[string]int32{"t": 3})
	r := c.Heartbeat(Heartbeat{Group: "g", MemberID: "a", Subscribed: []string{"t"}}, topics, t0)
	if r.Err != nil || r.MemberEpoch != 1 {
		t.Fatalf("join: %+v", r)
	}
	want := []TopicPartition{{"t", 0}, {"t", 1}, {"t", 2}}
	if !slices.Equal(r.Assignment, want) {
		t.Fatalf("lone member's assignment %v, want every partition %v", r.Assignment, want)
	}
	// An unchanged heartbeat carries no assignment.
	if r = c.Heartbeat(Heartbeat{Group: "g", MemberID: "a", MemberEpoch: 1}, topics, t0); r.Err != nil || r.Assignment != nil || r.MemberEpoch != 1 {
		t.Fatalf("steady heartbeat: %+v", r)
	}
	rb := c.Heartbeat(Heartbeat{Group: "g", MemberID: "b", Subscribed: []string{"t"}}, topics, t0)
	if rb.Err != nil || rb.MemberEpoch != 2 || len(rb.Assignment) == 0 {
		t.Fatalf("second member: %+v", rb)
	}
	// a learns the new epoch; every partition stays covered.
	r = c.Heartbeat(Heartbeat{Group: "g", MemberID: "a", MemberEpoch: 1}, topics, t0)
	if r.Err != nil || r.MemberEpoch != 2 || r.Assignment == nil {
		t.Fatalf("a after b joined: %+v", r)
	}
	covered := map[TopicPartition]bool{}
	for _, tp := range append(r.Assignment, rb.Assignment...) {
		covered[tp] = true
	}
	if len(covered) != 3 {
		t.Fatalf("partitions covered %v, want all 3", covered)
	}
	if r = c.Heartbeat(Heartbeat{Group: "g", MemberID: "a", MemberEpoch: 1}, topics, t0); !errors.Is(r.Err, ErrFencedMemberEpoch) {
		t.Fatalf("stale epoch: %+v, want fenced", r)
	}
	if r = c.Heartbeat(Heartbeat{Group: "g", MemberID: "a", MemberEpoch: -1}, topics, t0); r.Err != nil || r.MemberEpoch != -1 {
		t.Fatalf("leave: %+v", r)
	}
	d, err := c.Describe("g", t0)
	if err != nil || len(d.Members) != 1 || d.Members[0].MemberID != "b" || d.State != StateStable {
		t.Fatalf("describe after leave: %+v %v", d, err)
	}
	if r = c.Heartbeat(Heartbeat{Group: "g", MemberID: "b", MemberEpoch: 2}, topics, t0); r.Err != nil ||
		!slices.Equal(r.Assignment, want) {
		t.Fatalf("b alone again: %+v, want all partitions", r)
	}
}

func TestHeartbeatErrors(t *testing.T) {
	c := NewCoordinator(CoordinatorConfig{SessionTimeout: time.Second, HeartbeatInterval: time.Second, MaxSize: 1})
	topics := topicsOf(map[string]int32{"t": 1})
	for _, c2 := range []struct {
		hb   Heartbeat
		want error
	}{
		{Heartbeat{Group: "g", Subscribed: []string{"t"}}, ErrInvalidRequest},
		{Heartbeat{Group: "g", MemberID: "a"}, ErrInvalidRequest},
		{Heartbeat{Group: "g", MemberID: "a", MemberEpoch: 3}, ErrUnknownMember},
		{Heartbeat{Group: "g", MemberID: "a", MemberEpoch: -1}, ErrUnknownMember},
	} {
		if r := c.Heartbeat(c2.hb, topics, t0); !errors.Is(r.Err, c2.want) {
			t.Errorf("%+v: %v, want %v", c2.hb, r.Err, c2.want)
		}
	}
	c.Heartbeat(Heartbeat{Group: "g", MemberID: "a", Subscribed: []string{"t"}}, topics, t0)
	if r := c.Heartbeat(Heartbeat{Group: "g", MemberID: "b", Subscribed: []string{"t"}}, topics, t0); !errors.Is(r.Err, ErrGroupMaxSize) {
		t.Errorf("second member of a max-1 group: %v", r.Err)
	}
	if err := c.Delete("g", t0); !errors.Is(err, ErrNonEmptyGroup) {
		t.Errorf("delete non-empty: %v", err)
	}
	// The session expires; the group is empty and can be deleted.
	if l := c.List(t0.Add(time.Second)); len(l) != 1 || l[0].State != StateEmpty {
		t.Fatalf("list after expiry: %+v", l)
	}
	if err := c.Delete("g", t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Describe("g", t0); !errors.Is(err, ErrGroupNotFound) {
		t.Fatalf("describe deleted: %v", err)
	}
}

func TestNewPartitionsAreAssigned(t *testing.T) {
	c := NewCoordinator(DefaultCoordinatorConfig())
	counts := map[string]int32{"t": 1}
	c.Heartbeat(Heartbeat{Group: "g", MemberID: "a", Subscribed: []string{"t", "later"}}, topicsOf(counts), t0)
	counts["t"], counts["later"] = 2, 1
	r := c.Heartbeat(Heartbeat{Group: "g", MemberID: "a", MemberEpoch: 1}, topicsOf(counts), t0)
	want := []TopicPartition{{"later", 0}, {"t", 0}, {"t", 1}}
	if r.Err != nil || r.MemberEpoch != 2 || !slices.Equal(r.Assignment, want) {
		t.Fatalf("after topics grew: %+v, want epoch 2 %v", r, want)
	}
}

func TestJavaHash(t *testing.T) {
	// Values of Java's "...".hashCode().
	for s, want := range map[string]int32{"": 0, "a": 97, "hello": 99162322, "member-id-0123456789": 1833982980, "😀x": 54959989} {
		if got := javaHash(s); got != want {
			t.Errorf("javaHash(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestSessionEpochs(t *testing.T) {
	m := NewManager(Config{Partition: DefaultPartitionConfig(), Coordinator: DefaultCoordinatorConfig(), MaxSessions: 1})
	tp := TopicIDPartition{TopicID: [16]byte{1}, Partition: 0}
	if _, err := m.UseSession(SessionRequest{Group: "g", MemberID: "a", Epoch: 1}, t0); !errors.Is(err, ErrSessionNotFound) {
		t.Fatalf("no session: %v", err)
	}
	parts, err := m.UseSession(SessionRequest{Group: "g", MemberID: "a", Epoch: 0, Add: []TopicIDPartition{tp}}, t0)
	if err != nil || !slices.Equal(parts, []TopicIDPartition{tp}) {
		t.Fatalf("open: %v %v", parts, err)
	}
	if _, err := m.UseSession(SessionRequest{Group: "g", MemberID: "b", Epoch: 0}, t0); !errors.Is(err, ErrSessionLimit) {
		t.Fatalf("second session over the limit: %v", err)
	}
	if _, err := m.UseSession(SessionRequest{Group: "g", MemberID: "a", Epoch: 2}, t0); !errors.Is(err, ErrInvalidSessionEpoch) {
		t.Fatalf("skipped epoch: %v", err)
	}
	if parts, err = m.UseSession(SessionRequest{Group: "g", MemberID: "a", Epoch: 1, Forget: []TopicIDPartition{tp}}, t0); err != nil || len(parts) != 0 {
		t.Fatalf("epoch 1 forgetting: %v %v", parts, err)
	}
	if _, err := m.UseSession(SessionRequest{Group: "g", MemberID: "a", Epoch: -1}, t0); err != nil {
		t.Fatalf("close: %v", err)
	}
	if m.Sessions() != 0 {
		t.Fatalf("%d sessions after close", m.Sessions())
	}
	// An idle session is evicted when a new one needs room, and its
	// member's records are released.
	m.UseSession(SessionRequest{Group: "g", MemberID: "a", Epoch: 0}, t0)
	p := m.Partition(PartitionKey{Group: "g", TopicIDPartition: tp}, 0, func() int64 { return 0 })
	p.Acquire("a", t0, []Batch{{First: 0, Last: 0}}, 1, false)
	later := t0.Add(DefaultCoordinatorConfig().SessionTimeout + time.Second)
	if _, err := m.UseSession(SessionRequest{Group: "g", MemberID: "b", Epoch: 0}, later); err != nil {
		t.Fatalf("new session after the idle one expired: %v", err)
	}
	if s, _ := p.State(0, t0); s != Available {
		t.Fatalf("record of the evicted session is %v, want Available", s)
	}
}

// A share-partition kept from an earlier leader epoch is stale: it is
// replaced by one at the current start offset.
func TestManagerPartitionNewLeaderEpoch(t *testing.T) {
	m := NewManager(DefaultConfig())
	key := PartitionKey{Group: "g", TopicIDPartition: TopicIDPartition{TopicID: [16]byte{1}}}
	p := m.Partition(key, 3, func() int64 { return 10 })
	p.Acquire("a", t0, []Batch{{First: 10, Last: 12}}, 10, false)
	if again := m.Partition(key, 3, func() int64 { return 99 }); again != p {
		t.Fatal("same leader epoch: a new share-partition")
	}
	fresh := m.Partition(key, 4, func() int64 { return 13 })
	if fresh == p || fresh.StartOffset() != 13 || fresh.EndOffset() != 13 {
		t.Fatalf("new leader epoch: SPSO %d SPEO %d, want a fresh share-partition at 13", fresh.StartOffset(), fresh.EndOffset())
	}
}
