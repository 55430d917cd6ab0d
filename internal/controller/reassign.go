package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/samsa-io/samsa/internal/metadata"
)

// Partition reassignment (KIP-455), as Kafka's KRaft controller does it.
//
// Starting a reassignment to target replicas T of a partition with
// replicas R sets, in one PartitionChange record:
//
//	replicas = T followed by R∖T   (the union; the target's order first)
//	adding   = T∖R, removing = R∖T
//
// leaving the leader and ISR alone. The adding replicas are hosted from the
// next image on, fetch from the leader like any follower and join the ISR
// through the leader's AlterPartition once caught up. As soon as every
// adding replica is in the ISR (and the ISR keeps a target member) the
// controller completes the reassignment in the same record that changes
// the ISR: replicas = T (in target order), ISR = ISR ∩ T, and a new leader
// from T ∩ ISR if the current one is being removed (bumping the leader
// epoch). Brokers drop the replicas the image no longer assigns to them,
// deleting the local copy. A reassignment with nothing to add (a reorder,
// or a smaller replica set) completes at once.
//
// Cancelling (null replicas) reverts to the original replicas (R without
// the adding ones), drops the adding replicas from the ISR and re-elects
// if the leader was one of them. A new target for a partition already
// being reassigned first reverts the old one, then starts the new one, so
// the two never mix.
//
// Completion is checked wherever the ISR can grow: AlterPartition (in the
// same record), the start of a reassignment, and a sweep the active
// controller runs periodically and right after it takes office
// (CompleteReassignments), so a failover between the ISR change and the
// completion never leaves a reassignment stuck. Target brokers need only be
// registered; they do not have to be voters.

// ErrNoReassignmentInProgress is the answer to cancelling a reassignment
// of a partition that has none.
var ErrNoReassignmentInProgress = errors.New("controller: no reassignment in progress")

// AlterPartitionReassignment starts, replaces or, with nil replicas,
// cancels the reassignment of one partition.
func (c *Controller) AlterPartitionReassignment(ctx context.Context, topic string, partition int32, replicas []int32) error {
	c.proposeMu.Lock()
	defer c.proposeMu.Unlock()
	if !c.IsLeader() {
		return c.notController()
	}
	im := c.Image()
	t, p, err := lookupPartition(im, topic, partition)
	if err != nil {
		return err
	}
	next, err := planReassignment(im, p, replicas)
	if err != nil {
		return err
	}
	if done, ok := completeReassignment(im, next); ok {
		next = done
	}
	rec, changed := changeRecord(t.ID, p, next)
	if !changed {
		return nil
	}
	if err := c.propose(ctx, RecordPartitionChange, &rec); err != nil {
		return err
	}
	c.logger.Info("partition reassignment changed", "topic", topic, "partition", partition,
		"target", replicas, "replicas", next.Replicas, "adding", next.AddingReplicas, "removing", next.RemovingReplicas)
	return nil
}

// planReassignment returns p as a reassignment to target leaves it (nil
// target: cancelled), before any completion.
func planReassignment(im *metadata.Image, p metadata.Partition, target []int32) (metadata.Partition, error) {
	if target == nil {
		if !p.Reassigning() {
			return p, domainErr(ErrNoReassignmentInProgress, "No partition reassignment is in progress.")
		}
		return revertReassignment(im, p), nil
	}
	if err := checkAssignment(im, p.Index, target, 0); err != nil {
		return p, err
	}
	return startReassignment(im, p, target), nil
}

// startReassignment sets the union replica list and the adding and
// removing sets for target, reverting an ongoing reassignment first.
func startReassignment(im *metadata.Image, p metadata.Partition, target []int32) metadata.Partition {
	if p.Reassigning() {
		p = revertReassignment(im, p)
	}
	next := p.Clone()
	removing := minus(p.Replicas, target)
	next.Replicas = append(slices.Clone(target), removing...)
	next.AddingReplicas = minus(target, p.Replicas)
	next.RemovingReplicas = removing
	return next
}

// revertReassignment returns p with its reassignment undone: the original
// replicas, the ISR without the adding replicas and a leader from it.
func revertReassignment(im *metadata.Image, p metadata.Partition) metadata.Partition {
	next := p.Clone()
	next.Replicas = p.OriginalReplicas()
	next.ISR = minus(p.ISR, p.AddingReplicas)
	if len(next.ISR) == 0 {
		// Only adding replicas were in sync: as Kafka does, fall back to
		// the original replicas and let one of them lead (unclean).
		next.ISR = slices.Clone(next.Replicas)
	}
	// Replicas that leave the partition leave its ELR too.
	next.ELR, next.LastKnownELR = minus(p.ELR, p.AddingReplicas), minus(p.LastKnownELR, p.AddingReplicas)
	next.AddingReplicas, next.RemovingReplicas = nil, nil
	if !slices.Contains(next.ISR, next.Leader) {
		next.Leader = electLeader(im, next.Replicas, next.ISR, -1)
	}
	return next
}

// completeReassignment finishes p's reassignment if every adding replica
// is in the ISR and an ISR member remains in the target. ok is false when
// there is nothing to complete yet.
func completeReassignment(im *metadata.Image, p metadata.Partition) (next metadata.Partition, ok bool) {
	if !p.Reassigning() || len(minus(p.AddingReplicas, p.ISR)) > 0 {
		return p, false
	}
	isr := minus(p.ISR, p.RemovingReplicas)
	if len(isr) == 0 {
		return p, false
	}
	next = p.Clone()
	next.Replicas = p.TargetReplicas()
	next.ISR = isr
	next.ELR, next.LastKnownELR = minus(p.ELR, p.RemovingReplicas), minus(p.LastKnownELR, p.RemovingReplicas)
	next.AddingReplicas, next.RemovingReplicas = nil, nil
	if !slices.Contains(isr, next.Leader) {
		next.Leader = electLeader(im, next.Replicas, isr, -1)
	}
	return next, true
}

// CompleteReassignments completes every reassignment whose adding
// replicas have all joined the ISR. The active controller runs it after
// taking office and periodically; a no-op elsewhere.
func (c *Controller) CompleteReassignments(ctx context.Context) error {
	c.proposeMu.Lock()
	defer c.proposeMu.Unlock()
	if !c.IsLeader() {
		return nil
	}
	im := c.Image()
	for _, name := range im.SortedTopicNames() {
		t, _ := im.Topic(name)
		for _, p := range t.Partitions {
			next, ok := completeReassignment(im, p)
			if !ok {
				continue
			}
			rec, _ := changeRecord(t.ID, p, next)
			if err := c.propose(ctx, RecordPartitionChange, &rec); err != nil {
				return fmt.Errorf("complete reassignment of %s-%d: %w", t.Name, p.Index, err)
			}
			c.logger.Info("partition reassignment completed", "topic", t.Name, "partition", p.Index,
				"replicas", next.Replicas, "leader", next.Leader)
		}
	}
	return nil
}

// lookupPartition finds a partition by topic name and index.
func lookupPartition(im *metadata.Image, topic string, partition int32) (*metadata.Topic, metadata.Partition, error) {
	t, ok := im.Topic(topic)
	if !ok {
		return nil, metadata.Partition{}, domainErr(ErrUnknownTopic, fmt.Sprintf("Unable to find topic %s.", topic))
	}
	p, ok := t.Partition(partition)
	if !ok {
		return nil, metadata.Partition{}, domainErr(ErrUnknownTopic,
			fmt.Sprintf("Unable to find partition %s-%d.", topic, partition))
	}
	return t, p, nil
}

// changeRecord is the PartitionChange record turning old into next, and
// whether anything changes at all.
func changeRecord(topicID [16]byte, old, next metadata.Partition) (PartitionChangeRecord, bool) {
	rec := PartitionChangeRecord{TopicID: topicID, Partition: old.Index}
	changed := false
	if next.Leader != old.Leader {
		leader := next.Leader
		rec.Leader, changed = &leader, true
	}
	if !slices.Equal(next.ISR, old.ISR) {
		if len(next.ISR) > 0 {
			rec.ISR = slices.Clone(next.ISR)
		} else {
			rec.EmptyISR = true
		}
		changed = true
	}
	if !slices.Equal(next.Replicas, old.Replicas) && len(next.Replicas) > 0 {
		rec.Replicas, changed = slices.Clone(next.Replicas), true
	}
	if !slices.Equal(next.AddingReplicas, old.AddingReplicas) || !slices.Equal(next.RemovingReplicas, old.RemovingReplicas) {
		rec.Reassignment = &ReassignmentState{Adding: slices.Clone(next.AddingReplicas), Removing: slices.Clone(next.RemovingReplicas)}
		changed = true
	}
	if !slices.Equal(next.ELR, old.ELR) {
		elr := append([]int32{}, next.ELR...) // [] clears, null would not
		rec.ELR, changed = &elr, true
	}
	if !slices.Equal(next.LastKnownELR, old.LastKnownELR) {
		lke := append([]int32{}, next.LastKnownELR...)
		rec.LastKnownELR, changed = &lke, true
	}
	return rec, changed
}

// minus returns the members of a not in b, in a's order.
func minus(a, b []int32) []int32 {
	var out []int32
	for _, r := range a {
		if !slices.Contains(b, r) {
			out = append(out, r)
		}
	}
	return out
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
