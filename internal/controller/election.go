package controller

import (
	"context"
	"slices"

	"github.com/samsa-io/samsa/internal/metadata"
)

// Leader election on the active controller (Kafka's ReplicationControl):
// when a broker is fenced or re-registers, it leaves every ISR it is in
// and every partition it leads gets a new leader, by the rules of
// partitionChange (elr.go): from the remaining ISR, in assignment order,
// the first live member; with the ISR empty (the broker was its last
// member, which then joins the eligible leader replicas), a live ELR
// member; else the partition goes offline (leader -1) until one comes back,
// unless the topic's unclean.leader.election.enable (default false) allows
// a live replica outside the ISR and ELR to lead, with itself as the ISR,
// at the price of losing what only the others had. A broker that restarts
// after an unclean shutdown also leaves every ELR.
// Every leader change bumps the leader epoch, every change the partition
// epoch (applyPartitionChange).

// moveAwayLocked applies the rules above for broker id; with
// uncleanShutdown the broker also leaves every ELR. proposeMu is held.
func (c *Controller) moveAwayLocked(ctx context.Context, id int32, uncleanShutdown bool) error {
	im := c.Image()
	for _, name := range im.SortedTopicNames() {
		t, _ := im.Topic(name)
		for _, p := range t.Partitions {
			if p.Leader != id && !slices.Contains(p.ISR, id) && !(uncleanShutdown && slices.Contains(p.ELR, id)) {
				continue
			}
			ch := c.changeFor(im, t, slices.DeleteFunc(slices.Clone(p.ISR), func(r int32) bool { return r == id }))
			ch.mayLead, ch.election = liveExcept(im, id), c.electionFor(t)
			if uncleanShutdown {
				ch.uncleanShutdown = id
			}
			next, _ := ch.apply(p)
			rec, changed := changeRecord(t.ID, p, next)
			if !changed {
				continue
			}
			if err := c.propose(ctx, RecordPartitionChange, &rec); err != nil {
				return err
			}
		}
	}
	return nil
}

// uncleanAllowed reads unclean.leader.election.enable for t.
func (c *Controller) uncleanAllowed(t *metadata.Topic) bool {
	const key = "unclean.leader.election.enable"
	if v, ok := t.Configs[key]; ok {
		return v == "true"
	}
	return c.defaultConfig(key) == "true"
}

// electOfflineLocked gives a leader to every offline partition that can
// have one now (after a broker was unfenced). proposeMu is held.
func (c *Controller) electOfflineLocked(ctx context.Context) error {
	im := c.Image()
	for _, name := range im.SortedTopicNames() {
		t, _ := im.Topic(name)
		for _, p := range t.Partitions {
			if p.Leader >= 0 {
				continue
			}
			ch := c.changeFor(im, t, p.ISR)
			ch.election = c.electionFor(t)
			next, _ := ch.apply(p)
			if next.Leader < 0 {
				continue
			}
			rec, _ := changeRecord(t.ID, p, next)
			if err := c.propose(ctx, RecordPartitionChange, &rec); err != nil {
				return err
			}
		}
	}
	return nil
}
