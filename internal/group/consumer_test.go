package group

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestAssignRange(t *testing.T) {
	ms := []assignMember{{id: "a", subscribed: map[string]bool{"t": true}}, {id: "b", subscribed: map[string]bool{"t": true, "u": true}}}
	got := assignRange(ms, map[string]int32{"t": 5, "u": 2})
	if want := []TopicPartition{{"t", 0}, {"t", 1}, {"t", 2}}; !slices.Equal(sortedPartitions(got["a"]), want) {
		t.Errorf("a = %v, want %v", sortedPartitions(got["a"]), want)
	}
	if want := []TopicPartition{{"t", 3}, {"t", 4}, {"u", 0}, {"u", 1}}; !slices.Equal(sortedPartitions(got["b"]), want) {
		t.Errorf("b = %v, want %v", sortedPartitions(got["b"]), want)
	}
}

func TestAssignUniformIsStickyAndBalanced(t *testing.T) {
	sub := map[string]bool{"t": true}
	ms := []assignMember{
		{id: "a", subscribed: sub, current: []TopicPartition{{"t", 0}, {"t", 1}, {"t", 2}}},
		{id: "b", subscribed: sub, current: []TopicPartition{{"t", 3}, {"t", 4}, {"t", 5}}},
		{id: "c", subscribed: sub},
	}
	got := assignUniform(ms, map[string]int32{"t": 6})
	for _, id := range []string{"a", "b", "c"} {
		if len(got[id]) != 2 {
			t.Fatalf("%s got %v", id, sortedPartitions(got[id]))
		}
	}
	if !got["a"][TopicPartition{"t", 0}] || !got["b"][TopicPartition{"t", 3}] {
		t.Fatalf("not sticky: %v", got)
	}
}

func hb(member string, epoch int32, owned []TopicPartition) ConsumerHeartbeat {
	return ConsumerHeartbeat{Group: "ng", MemberID: member, MemberEpoch: epoch, Subscribed: []string{"t"},
		Owned: owned, OwnedSent: owned != nil}
}

func TestConsumerGroupIncrementalRevocation(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.PartitionCount = func(string) int32 { return 4 } })
	ctx := context.Background()
	a := e.c.ConsumerHeartbeat(ctx, hb("a", 0, []TopicPartition{}))
	if a.Err != nil || a.MemberEpoch != 1 || len(a.Assignment) != 4 {
		t.Fatalf("first member = %+v", a)
	}
	b := e.c.ConsumerHeartbeat(ctx, hb("b", 0, []TopicPartition{}))
	if b.Err != nil || len(b.Assignment) != 0 {
		t.Fatalf("b must wait for a to revoke: %+v", b)
	}
	a2 := e.c.ConsumerHeartbeat(ctx, hb("a", a.MemberEpoch, nil))
	if len(a2.Assignment) != 2 || a2.MemberEpoch != 1 {
		t.Fatalf("a told to revoke = %+v", a2)
	}
	a3 := e.c.ConsumerHeartbeat(ctx, hb("a", a2.MemberEpoch, a2.Assignment))
	if a3.MemberEpoch != 2 || len(a3.Assignment) != 2 {
		t.Fatalf("a after revoking = %+v", a3)
	}
	b2 := e.c.ConsumerHeartbeat(ctx, hb("b", b.MemberEpoch, []TopicPartition{}))
	if b2.MemberEpoch != 2 || len(b2.Assignment) != 2 {
		t.Fatalf("b after a revoked = %+v", b2)
	}
	for _, tp := range b2.Assignment {
		if slices.Contains(a3.Assignment, tp) {
			t.Fatalf("%v assigned to both", tp)
		}
	}
	if r := e.c.ConsumerHeartbeat(ctx, hb("a", 7, nil)); !errors.Is(r.Err, ErrFencedMemberEpoch) {
		t.Fatalf("wrong epoch = %v", r.Err)
	}
	if r := e.c.ConsumerHeartbeat(ctx, hb("ghost", 2, nil)); !errors.Is(r.Err, ErrUnknownMemberID) {
		t.Fatalf("unknown member = %v", r.Err)
	}
	commit := CommitRequest{Group: "ng", MemberID: "a", Generation: 0, Retention: -1,
		Offsets: []OffsetCommit{{TopicPartition: a3.Assignment[0], Offset: 5}}}
	if _, err := e.c.Commit(ctx, commit); !errors.Is(err, ErrStaleMemberEpoch) {
		t.Fatalf("stale epoch commit = %v", err)
	}
	commit.Generation = 2
	if _, err := e.c.Commit(ctx, commit); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if r := e.c.Join(ctx, joinReq("ng", "")); !errors.Is(r.Err, ErrInconsistentProtocol) {
		t.Fatalf("classic join to a consumer group = %v", r.Err)
	}
	d, err := e.c.DescribeConsumerGroup("ng")
	if err != nil || d.State != "Stable" || d.Epoch != 2 || len(d.Members) != 2 {
		t.Fatalf("describe = %+v, %v", d, err)
	}
	// b stops heartbeating: after the session timeout a gets everything.
	e.c.ConsumerHeartbeat(ctx, hb("a", 2, nil))
	e.clock.Advance(30 * time.Second)
	e.c.ConsumerHeartbeat(ctx, hb("a", 2, nil))
	e.clock.Advance(30 * time.Second)
	a4 := e.c.ConsumerHeartbeat(ctx, hb("a", 2, nil))
	if a4.MemberEpoch != 3 || len(a4.Assignment) != 4 {
		t.Fatalf("a after b expired = %+v", a4)
	}
	if r := e.c.ConsumerHeartbeat(ctx, hb("a", -1, nil)); r.Err != nil || r.MemberEpoch != -1 {
		t.Fatalf("leave = %+v", r)
	}
	if err := e.c.DeleteGroup(ctx, "ng"); err != nil {
		t.Fatalf("delete emptied consumer group: %v", err)
	}
}

func TestConsumerThatNeverRevokesIsRemoved(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.PartitionCount = func(string) int32 { return 2 } })
	ctx := context.Background()
	join := func(id string) ConsumerHeartbeat {
		r := hb(id, 0, []TopicPartition{})
		r.RebalanceTimeout = 10 * time.Second
		return r
	}
	a := e.c.ConsumerHeartbeat(ctx, join("a"))
	b := e.c.ConsumerHeartbeat(ctx, join("b"))
	// a keeps heartbeating but never reports giving up a partition.
	for i := 0; i < 3; i++ {
		e.c.ConsumerHeartbeat(ctx, hb("a", a.MemberEpoch, a.Assignment))
		if r := e.c.ConsumerHeartbeat(ctx, hb("b", b.MemberEpoch, []TopicPartition{})); r.Err != nil {
			t.Fatalf("b heartbeat: %v", r.Err)
		}
		e.clock.Advance(4 * time.Second)
	}
	if r := e.c.ConsumerHeartbeat(ctx, hb("a", a.MemberEpoch, nil)); !errors.Is(r.Err, ErrUnknownMemberID) {
		t.Fatalf("stuck member heartbeat = %+v", r)
	}
	d, _ := e.c.DescribeConsumerGroup("ng")
	if len(d.Members) != 1 || len(d.Members[0].Target) != 2 {
		t.Fatalf("group after removal = %+v", d)
	}
}

func TestAssignUniformMovesSharedTopicsToNarrowSubscribers(t *testing.T) {
	var all []TopicPartition
	for p := int32(0); p < 4; p++ {
		all = append(all, TopicPartition{"t", p}, TopicPartition{"u", p})
	}
	ms := []assignMember{
		{id: "a", subscribed: map[string]bool{"t": true, "u": true}, current: all},
		{id: "b", subscribed: map[string]bool{"t": true}},
	}
	got := assignUniform(ms, map[string]int32{"t": 4, "u": 4})
	if len(got["a"]) != 4 || len(got["b"]) != 4 {
		t.Fatalf("a %v, b %v: b can take only t, so a must keep u and give t up", sortedPartitions(got["a"]), sortedPartitions(got["b"]))
	}
}
