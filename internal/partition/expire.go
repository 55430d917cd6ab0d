package partition

import (
	"context"
	"time"
)

// Producer-id expiration (Kafka's producer.id.expiration.ms). A partition
// forgets an idempotent producer whose latest batch is older than the
// expiration, unless the producer has a transaction open here (its state
// is needed to close it and to hold the last stable offset). As in Kafka
// since KIP-360, a later batch of a forgotten producer is accepted at any
// sequence (see dupOrCheck): the broker can no longer tell a retry from a
// new batch, so an expired producer loses duplicate detection across the
// gap rather than being refused.
//
// The decision uses batch timestamps compared with the wall clock of the
// node that checks, so each replica expires on its own timer; a follower
// that still holds an entry the leader dropped is harmless because only
// the leader checks sequences.

// expireProducers removes the producers whose last batch timestamp is at
// least expirationMs before nowMs and that have no open transaction, and
// returns how many it removed.
func (p *Partition) expireProducers(nowMs, expirationMs int64) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for id, st := range p.producers {
		if _, open := p.txns.ongoing[id]; open {
			continue
		}
		if nowMs-st.lastTimestamp >= expirationMs {
			delete(p.producers, id)
			n++
		}
	}
	return n
}

// startProducerExpiry runs the producer-id expiration check on every hosted
// partition every producer.id.expiration.check.interval.ms, until ctx ends.
// Called from Start; the goroutine belongs to m.wg.
func (m *Manager) startProducerExpiry(ctx context.Context) {
	interval := time.Duration(m.broker.ProducerIDExpirationCheckIntervalMs) * time.Millisecond
	if interval <= 0 {
		interval = 10 * time.Minute
	}
	expiration := m.broker.ProducerIDExpirationMs
	if expiration <= 0 {
		expiration = 24 * time.Hour.Milliseconds()
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				m.expireProducers(now.UnixMilli(), expiration)
			}
		}
	}()
}

// expireProducers runs one expiration check over every hosted partition.
func (m *Manager) expireProducers(nowMs, expirationMs int64) {
	for _, p := range m.Partitions() {
		if p.closed.Load() {
			continue
		}
		if n := p.expireProducers(nowMs, expirationMs); n > 0 {
			m.logger.Debug("expired idle producer ids", "topic", p.Topic, "partition", p.Index, "count", n)
		}
	}
}
