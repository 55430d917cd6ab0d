package controller

import (
	"errors"
	"slices"
	"testing"
)

// leaderMovedAway returns a fixture on {1,2,3} whose leader moved from 1 to
// 2 while 1 was fenced, with 1 back in the ISR when rejoin is set.
func leaderMovedAway(t *testing.T, rejoin bool) *Controller {
	t.Helper()
	c := reassignFixture(t, 1, 2, 3)
	_, err := beat(t, c, 1, true) // controlled shutdown of 1
	must(t, err, "fence 1")
	wantPartition(t, c, 2, []int32{1, 2, 3}, []int32{2, 3}, nil, nil)
	if rejoin {
		_, err = beat(t, c, 1, false)
		must(t, err, "unfence 1")
		alterISR(t, c, 2, 3, 1)
	}
	return c
}

func electOne(t *testing.T, c *Controller, typ ElectionType) error {
	t.Helper()
	res, err := c.ElectLeaders(ctxT(t), typ, []TopicPartition{{"r", 0}})
	must(t, err, "ElectLeaders")
	if len(res) != 1 {
		t.Fatalf("results %+v", res)
	}
	return res[0].Err
}

func TestElectPreferred(t *testing.T) {
	c := leaderMovedAway(t, false)
	if err := electOne(t, c, ElectPreferred); !errors.Is(err, ErrPreferredLeaderNotAvailable) {
		t.Fatalf("preferred replica fenced: %v", err)
	}
	_, err := beat(t, c, 1, false)
	must(t, err, "unfence 1")
	if err := electOne(t, c, ElectPreferred); !errors.Is(err, ErrPreferredLeaderNotAvailable) {
		t.Fatalf("preferred replica out of the ISR: %v", err)
	}
	alterISR(t, c, 2, 3, 1)
	before := partR0(t, c)
	must(t, electOne(t, c, ElectPreferred), "preferred election")
	after := wantPartition(t, c, 1, []int32{1, 2, 3}, []int32{2, 3, 1}, nil, nil)
	if after.LeaderEpoch != before.LeaderEpoch+1 {
		t.Fatalf("leader epoch %d -> %d", before.LeaderEpoch, after.LeaderEpoch)
	}
	if err := electOne(t, c, ElectPreferred); !errors.Is(err, ErrElectionNotNeeded) {
		t.Fatalf("second election: %v", err)
	}
	res, err := c.ElectLeaders(ctxT(t), ElectPreferred, nil)
	must(t, err, "elect all")
	if len(res) != 0 {
		t.Fatalf("elect all reported partitions needing no election: %+v", res)
	}
	_, err = c.ElectLeaders(ctxT(t), ElectPreferred, []TopicPartition{{"nope", 0}})
	must(t, err, "unknown topic is a per-partition error")
	if res, _ := c.ElectLeaders(ctxT(t), ElectPreferred, []TopicPartition{{"r", 7}}); !errors.Is(res[0].Err, ErrUnknownTopic) {
		t.Fatalf("unknown partition: %+v", res)
	}
	if _, err := c.ElectLeaders(ctxT(t), 5, nil); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("unknown election type: %v", err)
	}
}

func TestElectUnclean(t *testing.T) {
	c := reassignFixture(t, 1, 2)
	if err := electOne(t, c, ElectUnclean); !errors.Is(err, ErrElectionNotNeeded) {
		t.Fatalf("unclean with a live leader: %v", err)
	}
	for _, id := range []int32{2, 1} {
		_, err := beat(t, c, id, true)
		must(t, err, "fence %d", id)
	}
	// 1 was the last ISR member: the ISR empties, 1 is eligible (KIP-966)
	// and the last known leader, and the partition is offline.
	p := wantPartition(t, c, -1, []int32{1, 2}, nil, nil, nil)
	if !slices.Equal(p.ELR, []int32{1}) || !slices.Equal(p.LastKnownELR, []int32{1}) {
		t.Fatalf("ELR %v last known %v, want [1] [1]", p.ELR, p.LastKnownELR)
	}
	if err := electOne(t, c, ElectUnclean); !errors.Is(err, ErrEligibleLeadersNotAvailable) {
		t.Fatalf("unclean with nothing live: %v", err)
	}
	must(t, c.FenceBroker(ctxT(t), 2, false), "unfence 2 without electing")
	must(t, electOne(t, c, ElectUnclean), "unclean election")
	p = wantPartition(t, c, 2, []int32{1, 2}, []int32{2}, nil, nil)
	if len(p.ELR) != 0 || len(p.LastKnownELR) != 0 {
		t.Fatalf("after an unclean election: ELR %v last known %v, want both empty", p.ELR, p.LastKnownELR)
	}
}

func TestBalanceLeaders(t *testing.T) {
	c := leaderMovedAway(t, true)
	// Broker 1 prefers one partition and leads none: 100% > 10%.
	if got := imbalancedPartitions(c.Image(), 10); len(got) != 1 || got[0] != (TopicPartition{"r", 0}) {
		t.Fatalf("imbalanced = %+v", got)
	}
	if got := imbalancedPartitions(c.Image(), 100); len(got) != 0 {
		t.Fatalf("imbalanced at 100%% = %+v", got)
	}
	must(t, c.BalanceLeaders(ctxT(t), 10), "balance")
	wantPartition(t, c, 1, []int32{1, 2, 3}, []int32{2, 3, 1}, nil, nil)
}
