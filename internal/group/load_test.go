package group

import (
	"context"
	"testing"
)

// TestReloadAtNewLeaderEpoch: this node led an offsets partition at epoch
// 1, another node led it at epoch 2 and took a commit, and this node's
// metadata goes straight to epoch 3 with itself leading again (it never
// saw an image without the partition). Its groups from epoch 1 lack the
// other leader's commit: the coordinator must drop them and load the log
// again, as Kafka's reloads on every election with a newer epoch. Before,
// SetLeaders took no epochs and kept the stale groups, serving the older
// offset for ever.
func TestReloadAtNewLeaderEpoch(t *testing.T) {
	clock := newFakeClock()
	log := newFakeLog()
	commit := func(c *Coordinator, off int64) {
		t.Helper()
		errs, err := c.Commit(context.Background(), CommitRequest{Group: "g", Generation: -1,
			Offsets: []OffsetCommit{{TopicPartition{"t", 0}, off, -1, ""}}})
		if err != nil || errs[0] != nil {
			t.Fatalf("commit %d: %v %v", off, err, errs)
		}
	}
	c := New(testConfig(clock), log)
	defer c.Close()
	p := c.PartitionFor("g")
	c.SetLeaders(map[int32]int32{p: 1})
	waitFor(t, func() bool { return c.Status(p) == Loaded })
	commit(c, 5)

	other := New(testConfig(clock), log)
	other.SetLeaders(map[int32]int32{p: 2})
	waitFor(t, func() bool { return other.Status(p) == Loaded })
	commit(other, 9)
	other.Close()

	c.SetLeaders(map[int32]int32{p: 3})
	waitFor(t, func() bool { return c.Status(p) == Loaded })
	got, err := c.FetchOffsets("g", []TopicPartition{{"t", 0}})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Offset != 9 {
		t.Fatalf("t-0 at %d after leading again at a newer epoch, want 9 (the other leader's commit)", got[0].Offset)
	}
}
