package controller

import (
	"context"
	"fmt"
	"slices"

	"github.com/samsa-io/samsa/internal/metadata"
)

// AlterPartitionRequest is a partition leader's proposed ISR (Kafka's
// AlterPartition), valid only against the epochs it was computed from.
type AlterPartitionRequest struct {
	BrokerID int32
	// BrokerEpoch must be the sender's registered broker epoch.
	BrokerEpoch    int64
	TopicID        [16]byte
	Partition      int32
	LeaderEpoch    int32
	PartitionEpoch int32
	ISR            []int32
}

// AlterPartition applies a leader's ISR change if the sender's broker epoch
// is its registered one (else ErrStaleBrokerEpoch: a previous
// incarnation's request), the leader and partition epochs still match the
// image (else ErrFencedLeaderEpoch or ErrInvalidUpdateVersion: the leader
// must learn the newer state first),
// the sender is the leader, and the new ISR holds the leader and only
// replicas, any added one live (ErrIneligibleReplica). It returns the
// partition as it stands afterwards.
func (c *Controller) AlterPartition(ctx context.Context, req AlterPartitionRequest) (metadata.Partition, error) {
	c.proposeMu.Lock()
	defer c.proposeMu.Unlock()
	if !c.IsLeader() {
		return metadata.Partition{}, c.notController()
	}
	im := c.Image()
	if _, err := checkBrokerEpoch(im, req.BrokerID, req.BrokerEpoch); err != nil {
		return metadata.Partition{}, err
	}
	t, ok := im.TopicByID(req.TopicID)
	if !ok {
		return metadata.Partition{}, domainErr(ErrUnknownTopic, "This server does not host this topic ID.")
	}
	p, ok := t.Partition(req.Partition)
	if !ok {
		return metadata.Partition{}, domainErr(ErrUnknownTopic,
			fmt.Sprintf("Partition %d of topic %s does not exist.", req.Partition, t.Name))
	}
	if err := checkAlter(im, p, req); err != nil {
		return p, err
	}
	if slices.Equal(p.ISR, req.ISR) {
		return p, nil
	}
	// The ELR follows the ISR (elr.go): a shrink below min.insync.replicas
	// makes the replicas that left eligible, growing back clears it. The
	// sender leads, and keeps leading.
	ch := c.changeFor(im, t, slices.Clone(req.ISR))
	live := ch.mayLead
	ch.mayLead = func(r int32) bool { return r == p.Leader || live(r) }
	next, _ := ch.apply(p)
	// A grown ISR may complete a reassignment: do it in the same record.
	if done, ok := completeReassignment(im, next); ok {
		next = done
		c.logger.Info("partition reassignment completes", "topic", t.Name, "partition", req.Partition,
			"replicas", next.Replicas, "leader", next.Leader)
	}
	rec, _ := changeRecord(req.TopicID, p, next)
	if err := c.propose(ctx, RecordPartitionChange, &rec); err != nil {
		return p, err
	}
	c.logger.Info("ISR changed", "topic", t.Name, "partition", req.Partition, "isr", req.ISR, "elr", next.ELR)
	p, _ = c.Image().PartitionOf(t.Name, req.Partition)
	return p, nil
}

func checkAlter(im *metadata.Image, p metadata.Partition, req AlterPartitionRequest) error {
	switch {
	case req.BrokerID != p.Leader:
		return domainErr(ErrNotLeader, fmt.Sprintf("Broker %d is not the leader of partition %d (leader %d).",
			req.BrokerID, req.Partition, p.Leader))
	case req.LeaderEpoch != p.LeaderEpoch:
		return domainErr(ErrFencedLeaderEpoch, fmt.Sprintf("Leader epoch %d does not match the current %d.",
			req.LeaderEpoch, p.LeaderEpoch))
	case req.PartitionEpoch != p.PartitionEpoch:
		return domainErr(ErrInvalidUpdateVersion, fmt.Sprintf("Partition epoch %d does not match the current %d.",
			req.PartitionEpoch, p.PartitionEpoch))
	case !slices.Contains(req.ISR, p.Leader):
		return domainErr(ErrInvalidRequest, "The new ISR must contain the leader.")
	}
	for _, r := range req.ISR {
		if !slices.Contains(p.Replicas, r) {
			return domainErr(ErrIneligibleReplica, fmt.Sprintf("Broker %d is not a replica of partition %d.", r, req.Partition))
		}
		if b, ok := im.Brokers[r]; !slices.Contains(p.ISR, r) && (!ok || b.Fenced) {
			return domainErr(ErrIneligibleReplica, fmt.Sprintf("Broker %d is fenced and cannot join the ISR.", r))
		}
	}
	return nil
}
