package txn

import (
	"context"
	"fmt"
	"time"

	"github.com/samsa-io/samsa/protocol/txnstate"
)

// Transactional-id expiration (Kafka's transactional.id.expiration.ms). A
// transactional id whose state was last written longer ago than the
// expiration, and that has no transaction ongoing or being completed, is
// removed: a tombstone is written for its key, so loading the partition
// forgets it and compaction eventually drops it. The producer's next
// AddPartitionsToTxn or EndTxn gets INVALID_PRODUCER_ID_MAPPING; its next
// InitProducerId is given a new producer id (KIP-360).

// expireLoop removes expired transactional ids every ExpireInterval.
func (c *Coordinator) expireLoop() {
	t := time.NewTicker(c.cfg.ExpireInterval)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case now := <-t.C:
			c.expireIDs(now)
		}
	}
}

// expireIDs removes every transactional id led here that is expired at now
// and returns how many tombstones it wrote.
func (c *Coordinator) expireIDs(now time.Time) int {
	c.mu.Lock()
	ms := make([]*meta, 0, len(c.txns))
	for _, m := range c.txns {
		ms = append(ms, m)
	}
	c.mu.Unlock()
	n := 0
	for _, m := range ms {
		if c.ctx.Err() != nil {
			break
		}
		m.mu.Lock()
		wrote, err := c.expireLocked(c.ctx, m, now)
		m.mu.Unlock()
		if err != nil {
			c.logger.Warn("expire transactional id", "transactional_id", m.id, "err", err)
			continue
		}
		if wrote {
			n++
			c.logger.Info("expired transactional id", "transactional_id", m.id)
		}
	}
	return n
}

// expireLocked removes m if it is expired at now, writing its tombstone
// first (an entry that was never written needs none), and reports whether
// it wrote one. Called with m.mu.
func (c *Coordinator) expireLocked(ctx context.Context, m *meta, now time.Time) (bool, error) {
	d := m.data
	if m.removed {
		return false, nil
	}
	switch d.state {
	case txnstate.Empty, txnstate.CompleteCommit, txnstate.CompleteAbort:
	default:
		return false, nil // a transaction is open or being completed
	}
	if d.producerID >= 0 && now.Sub(d.update) < c.cfg.IDExpiration {
		return false, nil
	}
	wrote := false
	if d.producerID >= 0 {
		if _, err := c.coordinatorEpoch(m); err != nil {
			return false, err
		}
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := c.log.Append(ctx, m.partition, []Record{{Key: txnstate.Key(m.id)}}); err != nil {
			return false, fmt.Errorf("write tombstone of %q: %w", m.id, err)
		}
		wrote = true
	}
	// An operation that found m before its removal and waits for m.mu sees
	// removed and looks the id up again (lockMeta).
	m.removed = true
	m.data = data{producerID: -1, epoch: -1, parts: map[TopicPartition]bool{}}
	c.mu.Lock()
	if c.txns[m.id] == m {
		delete(c.txns, m.id)
	}
	c.mu.Unlock()
	return wrote, nil
}

// lockMeta is lookup followed by locking the entry. An entry expired while
// we waited for its lock is no longer the id's: the id is looked up again
// (the expired entry has already left c.txns, so this ends).
func (c *Coordinator) lockMeta(id string, create bool) (*meta, error) {
	for {
		m, err := c.lookup(id, create)
		if err != nil || m == nil {
			return m, err
		}
		m.mu.Lock()
		if !m.removed {
			return m, nil
		}
		m.mu.Unlock()
	}
}
