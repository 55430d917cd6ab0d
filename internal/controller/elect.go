package controller

import (
	"context"
	"errors"
	"fmt"

	"github.com/samsa-io/samsa/internal/metadata"
)

// Requested leader elections (Kafka's ElectLeaders, KIP-460).
//
// A preferred election makes the preferred replica (the first in the
// replica list) leader if it is live and in the ISR; ELECTION_NOT_NEEDED
// if it already leads, PREFERRED_LEADER_NOT_AVAILABLE if it cannot. An
// unclean election only acts on a partition without a live leader: it
// elects from the ISR if a member is live, else from the eligible leader
// replicas, else the last known leader, else any live replica (with
// itself as the ISR, losing what only the ISR had), regardless of the
// topic's unclean.leader.election.enable, because an operator asked for
// it; ELIGIBLE_LEADERS_NOT_AVAILABLE when no replica is live.

// ElectionType is Kafka's ElectLeaders election type.
type ElectionType int8

// Election types, with Kafka's wire values.
const (
	ElectPreferred ElectionType = 0
	ElectUnclean   ElectionType = 1
)

// Election errors, with Kafka's codes of the same names.
var (
	ErrElectionNotNeeded           = errors.New("controller: election not needed")
	ErrPreferredLeaderNotAvailable = errors.New("controller: preferred leader not available")
	ErrEligibleLeadersNotAvailable = errors.New("controller: eligible leaders not available")
)

// TopicPartition names a partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// ElectionResult is the outcome of one partition's election; Err nil
// means a leader was elected.
type ElectionResult struct {
	TopicPartition
	Err error
}

// ElectLeaders runs elections of type typ. With parts nil it runs one for
// every partition and, as Kafka does, reports only those where an
// election was needed. The error is ErrNotController or an unknown type.
func (c *Controller) ElectLeaders(ctx context.Context, typ ElectionType, parts []TopicPartition) ([]ElectionResult, error) {
	if typ != ElectPreferred && typ != ElectUnclean {
		return nil, domainErr(ErrInvalidRequest, fmt.Sprintf("Unknown election type %d.", typ))
	}
	c.proposeMu.Lock()
	defer c.proposeMu.Unlock()
	if !c.IsLeader() {
		return nil, c.notController()
	}
	all := parts == nil
	if all {
		parts = allPartitions(c.Image())
	}
	out := make([]ElectionResult, 0, len(parts))
	for _, tp := range parts {
		err := c.electLocked(ctx, typ, tp)
		if all && errors.Is(err, ErrElectionNotNeeded) {
			continue
		}
		out = append(out, ElectionResult{TopicPartition: tp, Err: err})
	}
	return out, nil
}

// electLocked runs one election. proposeMu is held.
func (c *Controller) electLocked(ctx context.Context, typ ElectionType, tp TopicPartition) error {
	im := c.Image()
	t, p, err := lookupPartition(im, tp.Topic, tp.Partition)
	if err != nil {
		return err
	}
	elect := electPreferred
	if typ == ElectUnclean {
		elect = electUnclean
	}
	next, err := elect(c.changeFor(im, t, p.ISR), p)
	if err != nil {
		return err
	}
	rec, _ := changeRecord(t.ID, p, next)
	if err := c.propose(ctx, RecordPartitionChange, &rec); err != nil {
		return err
	}
	c.logger.Info("leader elected on request", "topic", tp.Topic, "partition", tp.Partition,
		"type", typ, "leader", next.Leader, "was", p.Leader)
	return nil
}

// electPreferred makes the preferred replica leader, if it may lead: live,
// and in the ISR (or in the ELR when the ISR is empty).
func electPreferred(ch partitionChange, p metadata.Partition) (metadata.Partition, error) {
	if len(p.Replicas) == 0 {
		return p, domainErr(ErrPreferredLeaderNotAvailable, "The partition has no replicas.")
	}
	preferred := p.Replicas[0]
	if p.Leader == preferred {
		return p, domainErr(ErrElectionNotNeeded, "Leader election not needed for topic partition.")
	}
	ch.election = electPreferredFirst
	if next, _ := ch.apply(p); next.Leader == preferred {
		return next, nil
	}
	return p, domainErr(ErrPreferredLeaderNotAvailable, fmt.Sprintf(
		"Failed to elect leader for partition %d under strategy PreferredReplicaPartitionLeaderElectionStrategy: preferred replica %d is not live and in the ISR.",
		p.Index, preferred))
}

// electUnclean gives a leaderless partition a leader: from the ISR or ELR
// if it can, else the last known leader, else any live replica.
func electUnclean(ch partitionChange, p metadata.Partition) (metadata.Partition, error) {
	if ch.mayLead(p.Leader) {
		return p, domainErr(ErrElectionNotNeeded, "Leader election not needed for topic partition.")
	}
	ch.election = electAllowUnclean
	if next, _ := ch.apply(p); next.Leader >= 0 {
		return next, nil
	}
	return p, domainErr(ErrEligibleLeadersNotAvailable, fmt.Sprintf(
		"Failed to elect leader for partition %d under strategy OfflinePartitionLeaderElectionStrategy: no replica is live.", p.Index))
}

// allPartitions lists every partition of every topic, by topic name.
func allPartitions(im *metadata.Image) []TopicPartition {
	var out []TopicPartition
	for _, name := range im.SortedTopicNames() {
		t, _ := im.Topic(name)
		for _, p := range t.Partitions {
			out = append(out, TopicPartition{name, p.Index})
		}
	}
	return out
}
