package controller

import (
	"context"
	"slices"

	"github.com/samsa-io/samsa/internal/metadata"
)

// Leader election on the active controller (Kafka's ReplicationControl):
// when a broker is fenced or re-registers, it leaves every ISR it is in
// (unless it is the last member, which is kept so that no committed record
// is forgotten) and every partition it leads gets a new leader: the first
// replica, in assignment order, that is in the remaining ISR and live. With
// none, the partition goes offline (leader -1) until an ISR member comes
// back, unless the topic's unclean.leader.election.enable (default false)
// allows a live replica outside the ISR to lead, with itself as the ISR,
// at the price of losing what only the ISR had.
// Every leader change bumps the leader epoch, every change the partition
// epoch (applyPartitionChange).

// moveAwayLocked applies the rules above for broker id. proposeMu is held.
func (c *Controller) moveAwayLocked(ctx context.Context, id int32) error {
	im := c.Image()
	for _, name := range im.SortedTopicNames() {
		t, _ := im.Topic(name)
		for _, p := range t.Partitions {
			if p.Leader != id && !slices.Contains(p.ISR, id) {
				continue
			}
			rec := withoutBroker(im, t.ID, p, id, c.uncleanAllowed(t))
			if err := c.propose(ctx, RecordPartitionChange, &rec); err != nil {
				return err
			}
		}
	}
	return nil
}

func withoutBroker(im *metadata.Image, topicID [16]byte, p metadata.Partition, id int32, unclean bool) PartitionChangeRecord {
	isr := slices.DeleteFunc(slices.Clone(p.ISR), func(r int32) bool { return r == id })
	if len(isr) == 0 {
		isr = slices.Clone(p.ISR)
	}
	rec := PartitionChangeRecord{TopicID: topicID, Partition: p.Index, ISR: isr}
	if p.Leader == id || p.Leader < 0 {
		leader := electLeader(im, p.Replicas, isr, id)
		if leader < 0 && unclean {
			if leader = electLeader(im, p.Replicas, p.Replicas, id); leader >= 0 {
				rec.ISR = []int32{leader}
			}
		}
		rec.Leader = &leader
	}
	return rec
}

// uncleanAllowed reads unclean.leader.election.enable for t.
func (c *Controller) uncleanAllowed(t *metadata.Topic) bool {
	const key = "unclean.leader.election.enable"
	if v, ok := t.Configs[key]; ok {
		return v == "true"
	}
	return c.defaultConfig(key) == "true"
}

// electLeader picks the first live replica in isr, never exclude; -1 if
// none.
func electLeader(im *metadata.Image, replicas, isr []int32, exclude int32) int32 {
	for _, r := range replicas {
		if r == exclude || !slices.Contains(isr, r) {
			continue
		}
		if b, ok := im.Brokers[r]; ok && !b.Fenced {
			return r
		}
	}
	return -1
}

// electOfflineLocked gives a leader to every offline partition whose ISR
// now has a live member (after a broker was unfenced). proposeMu is held.
func (c *Controller) electOfflineLocked(ctx context.Context) error {
	im := c.Image()
	for _, name := range im.SortedTopicNames() {
		t, _ := im.Topic(name)
		for _, p := range t.Partitions {
			if p.Leader >= 0 {
				continue
			}
			rec := withoutBroker(im, t.ID, p, -1, c.uncleanAllowed(t))
			if *rec.Leader < 0 {
				continue
			}
			if err := c.propose(ctx, RecordPartitionChange, &rec); err != nil {
				return err
			}
		}
	}
	return nil
}
