package controller

import (
	"context"
	"fmt"
	"slices"

	"github.com/hashicorp/raft"

	"github.com/samsa-io/samsa/internal/metadata"
)

// UnregisterBrokerRecord removes a broker's registration (UnregisterBroker,
// API 64; kafka-cluster.sh unregister). Epoch is the registration it
// removes: a broker that registered again since keeps its new one.
type UnregisterBrokerRecord struct {
	ID    int32 `json:"id"`
	Epoch int64 `json:"epoch"`
}

// UnregisterBroker removes a broker that is gone for good, as Kafka's
// controller does: the broker leaves every ISR and its leaderships move
// (here by fencing it first, the same path as an expired session), then its
// registration is removed (and it leaves every eligible leader replica
// set, which fencing keeps it in), and a broker-only node leaves the Raft
// configuration it followed as a non-voter. A broker that is in fact still
// running registers again at its next heartbeat, as in Kafka.
func (c *Controller) UnregisterBroker(ctx context.Context, id int32) error {
	c.proposeMu.Lock()
	defer c.proposeMu.Unlock()
	if !c.IsLeader() {
		return c.notController()
	}
	b, ok := c.Image().Brokers[id]
	if !ok {
		return domainErr(ErrUnknownBroker, fmt.Sprintf("Broker %d is not registered.", id))
	}
	if !b.Fenced {
		if err := c.fenceLocked(ctx, id); err != nil {
			return err
		}
	}
	if err := c.dropFromELRLocked(ctx, id); err != nil {
		return err
	}
	if err := c.propose(ctx, RecordUnregisterBroker, &UnregisterBrokerRecord{ID: id, Epoch: b.Epoch}); err != nil {
		return err
	}
	return c.removeFollowerLocked(ctx, id)
}

// dropFromELRLocked takes broker id out of every partition's eligible
// leader replicas and last known ELR, as Kafka's controller does when a
// broker is unregistered: it will not come back with its logs.
func (c *Controller) dropFromELRLocked(ctx context.Context, id int32) error {
	im := c.Image()
	for _, name := range im.SortedTopicNames() {
		t, _ := im.Topic(name)
		for i, p := range t.Partitions {
			if !slices.Contains(p.ELR, id) && !slices.Contains(p.LastKnownELR, id) {
				continue
			}
			elr := slices.DeleteFunc(slices.Clone(p.ELR), func(r int32) bool { return r == id })
			lastKnown := slices.DeleteFunc(slices.Clone(p.LastKnownELR), func(r int32) bool { return r == id })
			rec := &PartitionChangeRecord{TopicID: t.ID, Partition: int32(i), ELR: &elr, LastKnownELR: &lastKnown}
			if err := c.propose(ctx, RecordPartitionChange, rec); err != nil {
				return fmt.Errorf("drop broker %d from the eligible leader replicas of %s-%d: %w", id, name, i, err)
			}
		}
	}
	return nil
}

func applyUnregisterBroker(next *metadata.Image, rec *UnregisterBrokerRecord) error {
	b, ok := next.Brokers[rec.ID]
	switch {
	case !ok:
		return domainErr(ErrUnknownBroker, fmt.Sprintf("Broker %d is not registered.", rec.ID))
	case b.Epoch != rec.Epoch:
		return domainErr(ErrStaleBrokerEpoch, fmt.Sprintf("Broker %d registered again (epoch %d) since epoch %d.",
			rec.ID, b.Epoch, rec.Epoch))
	}
	delete(next.Brokers, rec.ID)
	return nil
}

// removeFollowerLocked takes broker id out of the Raft configuration if it
// is a non-voter there (a broker-only node); voters come from
// controller.quorum.voters and are never removed here. Called with
// proposeMu held, on the leader.
func (c *Controller) removeFollowerLocked(ctx context.Context, id int32) error {
	f := c.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return fmt.Errorf("read raft configuration: %w", err)
	}
	for _, srv := range f.Configuration().Servers {
		if srv.ID == serverID(id) && srv.Suffrage == raft.Nonvoter {
			if err := c.raft.RemoveServer(srv.ID, 0, timeoutFrom(ctx)).Error(); err != nil {
				return fmt.Errorf("remove broker %d from the metadata quorum: %w", id, err)
			}
			c.logger.Info("removed an unregistered broker from the metadata quorum", "broker", id)
		}
	}
	return nil
}
