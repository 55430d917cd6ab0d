package controller

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/samsa-io/samsa/internal/metadata"
)

// Broker liveness on the active controller. Brokers register and then
// heartbeat every broker.heartbeat.interval.ms; one that misses heartbeats
// for broker.session.timeout.ms is fenced and leadership moves away from
// it. Heartbeat times live only in the active controller's memory: a new
// active controller (a new Raft term) starts every session afresh, as
// Kafka's does, so a controller failover never fences a healthy broker.
//
// Broker epochs (KIP-631): every registration gets a new epoch, the
// metadata log index of its registration record (metadata.Broker.Epoch,
// the same on every node, so a new active controller checks it too).
// Heartbeats and AlterPartition must carry the registered epoch; an older
// one (a previous incarnation's request still in flight, a zombie) is
// refused with ErrStaleBrokerEpoch and the broker registers again. A
// registered broker stays fenced until it has replayed the metadata log up
// to its own registration record (it reports its applied index in every
// heartbeat): before that it does not know the replicas assigned to it.

type liveness struct {
	mu       sync.Mutex
	term     uint64
	lastSeen map[int32]time.Time
	progress map[int32]MetadataProgress
}

// MetadataProgress is how far a broker's last heartbeat in this term says
// it has applied the metadata log. Kafka's quorum leader reports each
// replica's fetch progress in DescribeQuorum; hashicorp/raft keeps its
// followers' to itself, so the broker's own report stands in for it.
type MetadataProgress struct {
	Offset int64     // the applied metadata log index reported
	At     time.Time // when the heartbeat came
	// CaughtUp is the last heartbeat that reported at least the metadata
	// offset the leader had applied at the time (zero if none did).
	CaughtUp time.Time
}

// reported records a heartbeat's metadata offset; applied is the leader's
// own applied metadata offset when it came.
func (l *liveness) reported(term uint64, id int32, offset, applied int64, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.resetIfNewTerm(term)
	p := l.progress[id]
	p.Offset, p.At = offset, now
	if offset >= applied {
		p.CaughtUp = now
	}
	l.progress[id] = p
}

// progressOf returns id's progress reported in this term.
func (l *liveness) progressOf(term uint64, id int32) (MetadataProgress, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.resetIfNewTerm(term)
	p, ok := l.progress[id]
	return p, ok
}

// seen records a heartbeat (or registration) from id.
func (l *liveness) seen(term uint64, id int32, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.resetIfNewTerm(term)
	l.lastSeen[id] = now
}

// expired returns the brokers among live whose last heartbeat is older than
// timeout. A broker never seen in this term starts its session now.
func (l *liveness) expired(term uint64, live []metadata.Broker, now time.Time, timeout time.Duration) []int32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.resetIfNewTerm(term)
	var out []int32
	for _, b := range live {
		last, ok := l.lastSeen[b.ID]
		if !ok {
			l.lastSeen[b.ID] = now
			continue
		}
		if now.Sub(last) > timeout {
			out = append(out, b.ID)
		}
	}
	return out
}

func (l *liveness) resetIfNewTerm(term uint64) {
	if l.lastSeen == nil || l.term != term {
		l.term, l.lastSeen, l.progress = term, make(map[int32]time.Time), make(map[int32]MetadataProgress)
	}
}

// RegisterBrokerIncarnation registers a starting broker, Kafka-style: a
// previous incarnation is moved out of every ISR and leadership first, and
// the broker starts fenced until a heartbeat shows it has caught up. It
// returns the new broker epoch. previousEpoch is the broker epoch the
// broker shut down cleanly with (BrokerRegistration v3+, KIP-966), -1 if
// it did not: unless it is the epoch of the registration it replaces, the
// broker may have lost acknowledged records, so it also leaves every
// eligible leader replica set.
func (c *Controller) RegisterBrokerIncarnation(ctx context.Context, b metadata.Broker, previousEpoch int64) (int64, error) {
	c.proposeMu.Lock()
	defer c.proposeMu.Unlock()
	if !c.IsLeader() {
		return 0, c.notController()
	}
	if cur, ok := c.Image().Brokers[b.ID]; ok {
		unclean := previousEpoch != cur.Epoch
		if unclean {
			c.logger.Info("broker restarted after an unclean shutdown; it leaves every ELR",
				"broker", b.ID, "epoch", cur.Epoch, "previous_epoch", previousEpoch)
		}
		if err := c.moveAwayLocked(ctx, b.ID, unclean); err != nil {
			return 0, err
		}
	}
	b.Fenced = true
	if err := c.propose(ctx, RecordRegisterBroker, &RegisterBrokerRecord{Broker: b}); err != nil {
		return 0, err
	}
	epoch := c.Image().Brokers[b.ID].Epoch
	c.live.seen(c.raft.CurrentTerm(), b.ID, time.Now())
	c.logger.Info("registered broker", "broker", b.ID, "host", b.Host, "port", b.Port, "epoch", epoch)
	if err := c.ensureFollowerLocked(ctx, b); err != nil {
		return 0, err
	}
	return epoch, nil
}

// HeartbeatRequest is one BrokerHeartbeat from a registered broker.
type HeartbeatRequest struct {
	BrokerID    int32
	BrokerEpoch int64
	// MetadataOffset is the metadata log index the broker has applied.
	MetadataOffset int64
	// WantFence keeps (or makes) the broker fenced: a broker not ready to
	// serve, or one shutting down.
	WantFence bool
}

// HeartbeatResult is the broker's state after a heartbeat.
type HeartbeatResult struct {
	Fenced bool
	// CaughtUp reports that the broker has applied its own registration.
	CaughtUp bool
}

// BrokerHeartbeat renews the broker's session. The epoch must be the
// registered one (ErrStaleBrokerEpoch otherwise). A fenced broker that has
// caught up and does not ask to stay fenced is unfenced, and offline
// partitions it can lead get it as leader; one that asks to be fenced is
// fenced, its leadership moved away.
func (c *Controller) BrokerHeartbeat(ctx context.Context, req HeartbeatRequest) (HeartbeatResult, error) {
	c.proposeMu.Lock()
	defer c.proposeMu.Unlock()
	if !c.IsLeader() {
		return HeartbeatResult{Fenced: true}, c.notController()
	}
	cur, err := checkBrokerEpoch(c.Image(), req.BrokerID, req.BrokerEpoch)
	if err != nil {
		return HeartbeatResult{Fenced: true}, err
	}
	now := time.Now()
	c.live.seen(c.raft.CurrentTerm(), req.BrokerID, now)
	c.live.reported(c.raft.CurrentTerm(), req.BrokerID, req.MetadataOffset, int64(c.Image().AppliedIndex), now)
	res := HeartbeatResult{Fenced: cur.Fenced, CaughtUp: req.MetadataOffset >= cur.Epoch}
	if err := c.ensureFollowerLocked(ctx, cur); err != nil {
		return res, err
	}
	switch {
	case cur.Fenced && !req.WantFence && res.CaughtUp:
		if err := c.propose(ctx, RecordUnfenceBroker, &FenceBrokerRecord{ID: req.BrokerID}); err != nil {
			return res, err
		}
		c.logger.Info("unfenced broker", "broker", req.BrokerID, "epoch", cur.Epoch)
		res.Fenced = false
		return res, c.electOfflineLocked(ctx)
	case !cur.Fenced && req.WantFence:
		res.Fenced = true
		return res, c.fenceLocked(ctx, req.BrokerID)
	}
	return res, nil
}

// FenceExpiredBrokers fences every live broker whose session expired and
// moves leadership away from it. A no-op on a non-leader.
func (c *Controller) FenceExpiredBrokers(ctx context.Context, now time.Time, timeout time.Duration) error {
	c.proposeMu.Lock()
	defer c.proposeMu.Unlock()
	if !c.IsLeader() {
		return nil
	}
	for _, id := range c.live.expired(c.raft.CurrentTerm(), c.Image().LiveBrokers(), now, timeout) {
		if id == c.cfg.NodeID {
			continue // the active controller is alive by definition
		}
		c.logger.Warn("broker session expired; fencing", "broker", id, "session_timeout", timeout)
		if err := c.fenceLocked(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

func (c *Controller) fenceLocked(ctx context.Context, id int32) error {
	if err := c.propose(ctx, RecordFenceBroker, &FenceBrokerRecord{ID: id}); err != nil {
		return err
	}
	return c.moveAwayLocked(ctx, id, false)
}

// silent returns the live brokers, other than self, whose last heartbeat
// in this term is older than quiet.
func (l *liveness) silent(term uint64, live []metadata.Broker, self int32, now time.Time, quiet time.Duration) []metadata.Broker {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.resetIfNewTerm(term)
	var out []metadata.Broker
	for _, b := range live {
		if last, ok := l.lastSeen[b.ID]; ok && b.ID != self && now.Sub(last) > quiet {
			out = append(out, b)
		}
	}
	return out
}

// FenceDeadBrokers fences live brokers that have missed heartbeats for
// longer than quiet and that gone reports as certainly not running (their
// listener refuses connections). A killed process cannot answer, so
// waiting out the whole session timeout would only delay the failover; a
// broker that merely does not answer (a network partition looks the same
// as a slow host) keeps its session. gone is called without locks held.
func (c *Controller) FenceDeadBrokers(ctx context.Context, now time.Time, quiet time.Duration, gone func(metadata.Broker) bool) error {
	if !c.IsLeader() {
		return nil
	}
	term := c.raft.CurrentTerm()
	var dead []int32
	for _, b := range c.live.silent(term, c.Image().LiveBrokers(), c.cfg.NodeID, now, quiet) {
		if gone(b) {
			dead = append(dead, b.ID)
		}
	}
	if len(dead) == 0 {
		return nil
	}
	c.proposeMu.Lock()
	defer c.proposeMu.Unlock()
	for _, id := range dead {
		// Re-check under the lock: a heartbeat may have come in while
		// probing (a restart that was quicker than the probe).
		still := c.live.silent(term, c.Image().LiveBrokers(), c.cfg.NodeID, time.Now(), quiet)
		if !c.IsLeader() || !slices.ContainsFunc(still, func(b metadata.Broker) bool { return b.ID == id }) {
			continue
		}
		c.logger.Warn("broker stopped heartbeating and refuses connections; fencing", "broker", id)
		if err := c.fenceLocked(ctx, id); err != nil {
			return err
		}
	}
	return nil
}
