package group

import (
	"context"
	"time"

	"github.com/samsa-io/samsa/protocol/offsets"
)

// SyncRequest is a SyncGroup request. Only the leader sends Assignments.
type SyncRequest struct {
	Group, MemberID, InstanceID string
	Generation                  int32
	ProtocolType, Protocol      string // v5+; "" when not sent
	Assignments                 map[string][]byte
}

// SyncResult answers a SyncRequest.
type SyncResult struct {
	Err                    error
	ProtocolType, Protocol string
	Assignment             []byte
}

// Sync handles SyncGroup. A member waits until the leader's assignment is
// stored, a rebalance restarts or ctx ends.
func (c *Coordinator) Sync(ctx context.Context, req SyncRequest) SyncResult {
	g, err := c.lookup(req.Group, false)
	if err != nil {
		return SyncResult{Err: err}
	}
	if g == nil {
		return SyncResult{Err: ErrUnknownMemberID}
	}
	g.mu.Lock()
	ch, res := g.sync(c, req)
	g.mu.Unlock()
	if ch == nil {
		return res
	}
	select {
	case r := <-ch:
		return r
	case <-ctx.Done():
		return SyncResult{Err: ctx.Err()}
	}
}

func (g *Group) sync(c *Coordinator, req SyncRequest) (chan SyncResult, SyncResult) {
	m, err := g.checkMember(req.MemberID, req.InstanceID, req.Generation)
	if err != nil {
		return nil, SyncResult{Err: err}
	}
	if (req.ProtocolType != "" && req.ProtocolType != g.protocolType) || (req.Protocol != "" && req.Protocol != g.protocol) {
		return nil, SyncResult{Err: ErrInconsistentProtocol}
	}
	switch g.state {
	case PreparingRebalance:
		return nil, SyncResult{Err: ErrRebalanceInProgress}
	case Stable:
		g.scheduleSession(c, m)
		return nil, g.syncResultFor(m)
	case CompletingRebalance:
		g.scheduleSession(c, m)
		if m.syncCh != nil {
			m.syncCh <- SyncResult{Err: ErrRebalanceInProgress}
		}
		ch := make(chan SyncResult, 1)
		m.syncCh = ch
		if m.id == g.leader {
			g.assign(c, req.Assignments)
		}
		return ch, SyncResult{}
	default: // Empty
		return nil, SyncResult{Err: ErrUnknownMemberID}
	}
}

// assign stores the leader's assignment and, once persisted, moves g to
// Stable and hands every waiting member its part. If the write fails the
// waiters get the error and the group rebalances.
func (g *Group) assign(c *Coordinator, assignments map[string][]byte) {
	for _, m := range g.members {
		if a, ok := assignments[m.id]; ok {
			m.assignment = append([]byte{}, a...) // requests may alias reused buffers
		} else {
			m.assignment = nil
		}
	}
	now := c.clock.Now()
	if err := c.appendRecords(g, []Record{g.metadataRecord(now)}); err != nil {
		c.logger.Warn("persist group assignment", "group", g.id, "err", err)
		for _, m := range g.members {
			m.assignment = nil
			if m.syncCh != nil {
				m.syncCh <- SyncResult{Err: ErrNotCoordinator}
				m.syncCh = nil
			}
		}
		g.prepareRebalance(c)
		return
	}
	g.stopRebalanceTimer()
	g.setState(Stable, now)
	for _, m := range g.members {
		if m.syncCh != nil {
			m.syncCh <- g.syncResultFor(m)
			m.syncCh = nil
		}
	}
}

func (g *Group) syncResultFor(m *member) SyncResult {
	a := m.assignment
	if a == nil {
		a = []byte{}
	}
	return SyncResult{ProtocolType: g.protocolType, Protocol: g.protocol, Assignment: a}
}

// HeartbeatRequest is a Heartbeat request.
type HeartbeatRequest struct {
	Group, MemberID, InstanceID string
	Generation                  int32
}

// Heartbeat keeps a member alive. It returns ErrRebalanceInProgress while
// the group is preparing a rebalance, so the member rejoins.
func (c *Coordinator) Heartbeat(req HeartbeatRequest) error {
	g, err := c.lookup(req.Group, false)
	if err != nil {
		return err
	}
	if g == nil {
		return ErrUnknownMemberID
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	m, err := g.checkMember(req.MemberID, req.InstanceID, req.Generation)
	if err != nil {
		return err
	}
	switch g.state {
	case Empty:
		return ErrUnknownMemberID
	case PreparingRebalance:
		g.scheduleSession(c, m)
		return ErrRebalanceInProgress
	default:
		g.scheduleSession(c, m)
		return nil
	}
}

// metadataRecord is the group's current metadata as a __consumer_offsets
// record (members carry their metadata for the selected protocol).
func (g *Group) metadataRecord(now time.Time) Record {
	v := offsets.GroupValue{ProtocolType: g.protocolType, Generation: g.generation, Protocol: g.protocol,
		Leader: g.leader, CurrentStateTimestamp: now.UnixMilli()}
	for _, m := range g.sortedMembers() {
		v.Members = append(v.Members, offsets.MemberValue{
			MemberID: m.id, InstanceID: m.instanceID, ClientID: m.clientID, ClientHost: m.clientHost,
			RebalanceTimeoutMs: int32(m.rebalanceTimeout.Milliseconds()),
			SessionTimeoutMs:   int32(m.sessionTimeout.Milliseconds()),
			Subscription:       m.metadataFor(g.protocol), Assignment: m.assignment,
		})
	}
	return Record{Key: offsets.GroupKey(g.id), Value: offsets.EncodeGroup(v)}
}
