package controller

import (
	"context"
	"fmt"

	"github.com/samsa-io/samsa/internal/metadata"
)

// RegisterBroker inserts or replaces a broker registration. Registering
// the same broker twice writes one record.
func (c *Controller) RegisterBroker(ctx context.Context, b metadata.Broker) error {
	c.proposeMu.Lock()
	defer c.proposeMu.Unlock()
	if !c.IsLeader() {
		return c.notController()
	}
	if cur, ok := c.Image().Brokers[b.ID]; ok && cur.Equal(b) {
		return nil
	}
	return c.propose(ctx, RecordRegisterBroker, &RegisterBrokerRecord{Broker: b})
}

// FenceBroker marks a registered broker fenced (out of placement and
// leadership) or, with fenced false, unfences it.
func (c *Controller) FenceBroker(ctx context.Context, id int32, fenced bool) error {
	c.proposeMu.Lock()
	defer c.proposeMu.Unlock()
	if !c.IsLeader() {
		return c.notController()
	}
	cur, ok := c.Image().Brokers[id]
	if !ok {
		return domainErr(ErrUnknownBroker, fmt.Sprintf("Broker %d is not registered.", id))
	}
	if cur.Fenced == fenced {
		return nil
	}
	typ := RecordUnfenceBroker
	if fenced {
		typ = RecordFenceBroker
	}
	return c.propose(ctx, typ, &FenceBrokerRecord{ID: id})
}

// ChangePartition proposes a leader, ISR or replica change for one
// partition (see PartitionChangeRecord for the epoch rules).
func (c *Controller) ChangePartition(ctx context.Context, rec PartitionChangeRecord) error {
	c.proposeMu.Lock()
	defer c.proposeMu.Unlock()
	if !c.IsLeader() {
		return c.notController()
	}
	return c.propose(ctx, RecordPartitionChange, &rec)
}

// checkBrokerEpoch returns broker id's registration if epoch is its
// current broker epoch: ErrUnknownBroker for an unregistered id,
// ErrStaleBrokerEpoch for any other epoch. A registration applied before
// epochs were recorded (Epoch 0) accepts any.
func checkBrokerEpoch(im *metadata.Image, id int32, epoch int64) (metadata.Broker, error) {
	b, ok := im.Brokers[id]
	switch {
	case !ok:
		return b, domainErr(ErrUnknownBroker, fmt.Sprintf("Broker %d is not registered.", id))
	case b.Epoch != 0 && epoch != b.Epoch:
		return b, domainErr(ErrStaleBrokerEpoch, fmt.Sprintf("Broker %d epoch %d is not the registered epoch %d.",
			id, epoch, b.Epoch))
	}
	return b, nil
}
