package group

import (
	"time"

	"github.com/samsa-io/samsa/protocol/offsets"
)

// expiryLoop runs ExpireOffsets every offsets.retention.check.interval
// until Close.
func (c *Coordinator) expiryLoop() {
	t := time.NewTicker(c.cfg.RetentionCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
			c.ExpireOffsets()
		}
	}
}

// ExpireOffsets deletes offsets older than offsets.retention.minutes
// (KIP-211): for a group with a protocol, all its offsets once it has been
// Empty that long; for a group without one (manual assignment), each offset
// that long after its commit; an explicit expire timestamp (OffsetCommit
// v2–4) wins. An Empty group left with no offsets is deleted.
func (c *Coordinator) ExpireOffsets() {
	c.mu.Lock()
	all := make([]*Group, 0, len(c.groups))
	for _, g := range c.groups {
		all = append(all, g)
	}
	c.mu.Unlock()
	now := c.clock.Now().UnixMilli()
	for _, g := range all {
		g.mu.Lock()
		g.expire(c, now)
		g.mu.Unlock()
		c.removeIfDead(g)
	}
}

func (g *Group) expire(c *Coordinator, now int64) {
	if g.state != Empty || g.hasConsumers() {
		return
	}
	retention := c.cfg.OffsetsRetention.Milliseconds()
	var recs []Record
	var gone []TopicPartition
	for tp, o := range g.offsets {
		base := g.stateTime.UnixMilli()
		if g.protocolType == "" {
			base = o.commitTime
		}
		expired := now >= base+retention
		if o.expireTime >= 0 {
			expired = now >= o.expireTime
		}
		if expired {
			recs = append(recs, Record{Key: offsets.OffsetKey(g.id, tp.Topic, tp.Partition)})
			gone = append(gone, tp)
		}
	}
	deleteGroup := len(gone) == len(g.offsets)
	if deleteGroup {
		recs = append(recs, Record{Key: offsets.GroupKey(g.id)})
	}
	if len(recs) == 0 {
		return
	}
	if err := c.appendRecords(g, recs); err != nil {
		c.logger.Warn("persist expired offsets", "group", g.id, "err", err)
		return
	}
	for _, tp := range gone {
		delete(g.offsets, tp)
	}
	if deleteGroup {
		g.shutdown(ErrCoordinatorUnavailable)
	}
	c.logger.Info("expired offsets", "group", g.id, "offsets", len(gone), "group_deleted", deleteGroup)
}
