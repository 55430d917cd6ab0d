package group

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func staticHB(member, instance string, epoch int32, owned []TopicPartition) ConsumerHeartbeat {
	hb := hb(member, epoch, owned)
	hb.InstanceID = instance
	return hb
}

// KIP-848 static membership: a static member's leave (epoch -2) keeps its
// partitions and starts no rebalance; the same instance id joining again
// with a new member id takes them over at once; while the first is still
// in, the instance id is UNRELEASED_INSTANCE_ID; a session that times out
// hands the partitions on.
func TestConsumerGroupStaticMembership(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.PartitionCount = func(string) int32 { return 4 }
		c.ConsumerSessionTimeout = 10 * time.Second
	})
	ctx := context.Background()
	a := e.c.ConsumerHeartbeat(ctx, staticHB("a1", "app-a", 0, []TopicPartition{}))
	b := e.c.ConsumerHeartbeat(ctx, staticHB("b1", "app-b", 0, []TopicPartition{}))
	for range 3 { // a gives up two partitions to b
		a = e.c.ConsumerHeartbeat(ctx, staticHB("a1", "app-a", a.MemberEpoch, a.Assignment))
		b = e.c.ConsumerHeartbeat(ctx, staticHB("b1", "app-b", b.MemberEpoch, b.Assignment))
	}
	if len(a.Assignment) != 2 || len(b.Assignment) != 2 {
		t.Fatalf("a %v, b %v", a.Assignment, b.Assignment)
	}
	before, _ := e.c.DescribeConsumerGroup("ng")

	if r := e.c.ConsumerHeartbeat(ctx, staticHB("a2", "app-a", 0, []TopicPartition{})); !errors.Is(r.Err, ErrUnreleasedInstanceID) {
		t.Fatalf("instance id in use: %v, want ErrUnreleasedInstanceID", r.Err)
	}
	if r := e.c.ConsumerHeartbeat(ctx, staticHB("a1", "app-b", a.MemberEpoch, a.Assignment)); !errors.Is(r.Err, ErrFencedInstanceID) {
		t.Fatalf("another member's instance id: %v, want ErrFencedInstanceID", r.Err)
	}
	if r := e.c.ConsumerHeartbeat(ctx, staticHB("a1", "app-a", staticLeaveEpoch, nil)); r.Err != nil || r.MemberEpoch != staticLeaveEpoch {
		t.Fatalf("static leave: %+v", r)
	}
	// b does not get a's partitions while a is away.
	b = e.c.ConsumerHeartbeat(ctx, staticHB("b1", "app-b", b.MemberEpoch, b.Assignment))
	if len(b.Assignment) != 2 {
		t.Fatalf("b while a is away: %v", b.Assignment)
	}
	a2 := e.c.ConsumerHeartbeat(ctx, staticHB("a2", "app-a", 0, []TopicPartition{}))
	if a2.Err != nil || !slices.Equal(a2.Assignment, a.Assignment) {
		t.Fatalf("a's instance back with a new member id: %+v, want partitions %v", a2, a.Assignment)
	}
	after, _ := e.c.DescribeConsumerGroup("ng")
	if after.Epoch != before.Epoch || len(after.Members) != 2 {
		t.Fatalf("group after the replacement: epoch %d (was %d), %d members", after.Epoch, before.Epoch, len(after.Members))
	}

	// a2 leaves for good... as a static member, and never comes back.
	e.c.ConsumerHeartbeat(ctx, staticHB("a2", "app-a", staticLeaveEpoch, nil))
	for range 12 { // b heartbeats through a2's session timeout
		e.clock.Advance(time.Second)
		b = e.c.ConsumerHeartbeat(ctx, staticHB("b1", "app-b", b.MemberEpoch, b.Assignment))
	}
	b = e.c.ConsumerHeartbeat(ctx, staticHB("b1", "app-b", b.MemberEpoch, b.Assignment))
	if len(b.Assignment) != 4 {
		t.Fatalf("b after a2's session expired: %v", b.Assignment)
	}
}

// group.consumer.max.size and group.consumer.assignors: a member over the
// size is GROUP_MAX_SIZE_REACHED; an assignor not in the list is
// UNSUPPORTED_ASSIGNOR; the first of the list is the group's default.
func TestConsumerGroupSizeAndAssignorSettings(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.PartitionCount = func(string) int32 { return 2 }
		c.ConsumerMaxSize = 2
		c.ConsumerAssignors = []string{"range"}
	})
	ctx := context.Background()
	for _, id := range []string{"m1", "m2"} {
		if r := e.c.ConsumerHeartbeat(ctx, hb(id, 0, []TopicPartition{})); r.Err != nil {
			t.Fatalf("%s: %v", id, r.Err)
		}
	}
	if r := e.c.ConsumerHeartbeat(ctx, hb("m3", 0, []TopicPartition{})); !errors.Is(r.Err, ErrGroupMaxSize) {
		t.Fatalf("third member: %v, want ErrGroupMaxSize", r.Err)
	}
	if d, _ := e.c.DescribeConsumerGroup("ng"); d.Assignor != "range" {
		t.Fatalf("default assignor %q, want the list's first", d.Assignor)
	}
	uniform := hb("m1", 0, []TopicPartition{})
	uniform.Assignor = "uniform"
	if r := e.c.ConsumerHeartbeat(ctx, uniform); !errors.Is(r.Err, ErrUnsupportedAssignor) {
		t.Fatalf("an assignor not configured: %v", r.Err)
	}
}
