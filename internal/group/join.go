package group

import (
	"context"
	"time"
)

// JoinRequest is a JoinGroup request in domain terms.
type JoinRequest struct {
	Group, MemberID, InstanceID string
	ClientID, ClientHost        string
	ProtocolType                string
	Protocols                   []Protocol
	SessionTimeout              time.Duration
	RebalanceTimeout            time.Duration
	// RequireKnownMemberID (JoinGroup v4+, KIP-394): a first join without a
	// member id gets ErrMemberIDRequired and the id to rejoin with.
	RequireKnownMemberID bool
	// SkipAssignment (v9+, KIP-814): a static leader rejoining a stable
	// group may be told to keep its assignment instead of rebalancing.
	SupportsSkipAssignment bool
}

// JoinResult answers a JoinRequest. MemberID is set even with some errors
// (ErrMemberIDRequired).
type JoinResult struct {
	Err            error
	Generation     int32
	ProtocolType   string
	Protocol       string
	Leader         string
	MemberID       string
	SkipAssignment bool
	Members        []JoinMember // the leader's copy only
}

// JoinMember is a member as the leader sees it, with its metadata for the
// selected protocol.
type JoinMember struct {
	MemberID, InstanceID string
	Metadata             []byte
}

// Join handles JoinGroup. It blocks until the rebalance completes (bounded
// by the rebalance timeout) or ctx ends.
func (c *Coordinator) Join(ctx context.Context, req JoinRequest) JoinResult {
	fail := func(err error) JoinResult { return JoinResult{Err: err, MemberID: req.MemberID, Generation: -1} }
	if req.SessionTimeout < c.cfg.MinSessionTimeout || req.SessionTimeout > c.cfg.MaxSessionTimeout {
		return fail(ErrInvalidSessionTimeout)
	}
	g, err := c.lookup(req.Group, req.MemberID == "")
	if err != nil {
		return fail(err)
	}
	if g == nil {
		return fail(ErrUnknownMemberID)
	}
	g.mu.Lock()
	ch, res := g.join(c, req)
	g.mu.Unlock()
	if ch == nil {
		return res
	}
	select {
	case r := <-ch:
		return r
	case <-ctx.Done():
		return fail(ctx.Err())
	}
}

// join runs under g.mu: it returns either a channel the result will be
// sent on or an immediate result.
func (g *Group) join(c *Coordinator, req JoinRequest) (chan JoinResult, JoinResult) {
	now := func(err error) (chan JoinResult, JoinResult) {
		return nil, JoinResult{Err: err, MemberID: req.MemberID, Generation: -1}
	}
	if g.hasConsumers() {
		return now(ErrInconsistentProtocol) // a KIP-848 group in use
	}
	g.cg = nil
	switch {
	case g.state == Dead:
		return now(ErrCoordinatorUnavailable)
	case req.MemberID == "" && !g.supports(req.ProtocolType, req.Protocols):
		return now(ErrInconsistentProtocol)
	case req.MemberID == "":
		return g.joinNew(c, req)
	default:
		return g.joinKnown(c, req)
	}
}

// joinNew handles a join without a member id.
func (g *Group) joinNew(c *Coordinator, req JoinRequest) (chan JoinResult, JoinResult) {
	req.MemberID = newMemberID(req.ClientID)
	if req.InstanceID != "" {
		if old, ok := g.static[req.InstanceID]; ok {
			return g.replaceStatic(c, g.members[old], req)
		}
		return g.addAndRebalance(c, req), JoinResult{}
	}
	if req.RequireKnownMemberID {
		g.addPending(c, req.MemberID, req.SessionTimeout)
		return nil, JoinResult{Err: ErrMemberIDRequired, MemberID: req.MemberID, Generation: -1}
	}
	return g.addAndRebalance(c, req), JoinResult{}
}

// joinKnown handles a join with a member id.
func (g *Group) joinKnown(c *Coordinator, req JoinRequest) (chan JoinResult, JoinResult) {
	fail := func(err error) (chan JoinResult, JoinResult) {
		return nil, JoinResult{Err: err, MemberID: req.MemberID, Generation: -1}
	}
	if t, ok := g.pending[req.MemberID]; ok {
		stopTimer(t)
		delete(g.pending, req.MemberID)
		if !g.supports(req.ProtocolType, req.Protocols) {
			return fail(ErrInconsistentProtocol)
		}
		return g.addAndRebalance(c, req), JoinResult{}
	}
	if g.fenced(req.MemberID, req.InstanceID) {
		return fail(ErrFencedInstanceID)
	}
	m := g.members[req.MemberID]
	if m == nil {
		return fail(ErrUnknownMemberID)
	}
	if req.ProtocolType != g.protocolType || !g.supportsExcept(req.Protocols, m.id) {
		return fail(ErrInconsistentProtocol)
	}
	switch g.state {
	case PreparingRebalance:
		ch := g.updateMember(m, req)
		g.tryCompleteJoin(c)
		return ch, JoinResult{}
	case CompletingRebalance, Stable:
		if sameProtocols(m.protocols, req.Protocols) && (g.state == CompletingRebalance || m.id != g.leader) {
			g.scheduleSession(c, m)
			return nil, g.joinResultFor(m)
		}
		ch := g.updateMember(m, req)
		g.prepareRebalance(c)
		return ch, JoinResult{}
	default: // Empty: nobody is a member
		return fail(ErrUnknownMemberID)
	}
}

// supportsExcept is supports for a rejoining member: its own old protocols
// do not count.
func (g *Group) supportsExcept(protocols []Protocol, self string) bool {
	for _, p := range protocols {
		if g.allSupport(p.Name, self) {
			return true
		}
	}
	return false
}

// replaceStatic gives a static member that rejoined without its member id
// a new id, fencing the old one (KIP-345). In a Stable group whose selected
// protocol stays the same there is no rebalance: the member gets the
// current generation back (a leader that supports it, v9+, also gets the
// member list with SkipAssignment), as Kafka does.
func (g *Group) replaceStatic(c *Coordinator, m *member, req JoinRequest) (chan JoinResult, JoinResult) {
	g.failWaiters(m, ErrFencedInstanceID)
	oldID := m.id
	delete(g.members, oldID)
	m.id = req.MemberID
	g.members[m.id] = m
	g.static[req.InstanceID] = m.id
	if g.leader == oldID {
		g.leader = m.id
	}
	if g.state != Stable {
		ch := g.updateMember(m, req)
		if g.state == PreparingRebalance {
			g.tryCompleteJoin(c)
		} else { // CompletingRebalance: the leader may be assigning to the old id
			g.prepareRebalance(c)
		}
		return ch, JoinResult{}
	}
	old := *m
	m.clientID, m.clientHost = req.ClientID, req.ClientHost
	m.sessionTimeout, m.rebalanceTimeout = req.SessionTimeout, req.RebalanceTimeout
	m.protocols = cloneProtocols(req.Protocols)
	if g.selectProtocol() != g.protocol {
		ch := g.updateMember(m, req)
		g.prepareRebalance(c)
		return ch, JoinResult{}
	}
	if err := c.appendRecords(g, []Record{g.metadataRecord(c.clock.Now())}); err != nil {
		c.logger.Warn("persist static member replacement", "group", g.id, "err", err)
		*m = old // keep the old member: it is not fenced if the new id is not stored
		delete(g.members, req.MemberID)
		g.members[oldID] = m
		g.static[req.InstanceID] = oldID
		if g.leader == req.MemberID {
			g.leader = oldID
		}
		return nil, JoinResult{Err: ErrNotCoordinator, MemberID: req.MemberID, Generation: -1}
	}
	g.scheduleSession(c, m)
	res := g.joinResultFor(m)
	res.Members = nil
	if m.id == g.leader && req.SupportsSkipAssignment {
		res.SkipAssignment, res.Members = true, g.joinMembers()
	}
	return nil, res
}

// addPending remembers a member id handed out with ErrMemberIDRequired
// until the member rejoins or its session timeout passes.
func (g *Group) addPending(c *Coordinator, id string, timeout time.Duration) {
	g.pending[id] = c.after(timeout, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if _, ok := g.pending[id]; !ok {
			return
		}
		delete(g.pending, id)
		if g.state == PreparingRebalance {
			g.tryCompleteJoin(c)
		}
	})
}

// addAndRebalance adds a new member waiting in JoinGroup and starts (or
// joins) a rebalance.
func (g *Group) addAndRebalance(c *Coordinator, req JoinRequest) chan JoinResult {
	m := &member{id: req.MemberID, instanceID: req.InstanceID}
	g.members[m.id] = m
	if m.instanceID != "" {
		g.static[m.instanceID] = m.id
	}
	if len(g.members) == 1 {
		g.protocolType = req.ProtocolType
	}
	if g.leader == "" {
		g.leader = m.id
	}
	ch := g.updateMember(m, req)
	g.newMemberAdded = true
	if g.state == PreparingRebalance {
		g.tryCompleteJoin(c)
	} else {
		g.prepareRebalance(c)
	}
	return ch
}

// updateMember stores the request's metadata in m and makes it wait for
// the end of the join phase.
func (g *Group) updateMember(m *member, req JoinRequest) chan JoinResult {
	m.clientID, m.clientHost, m.protocolType = req.ClientID, req.ClientHost, req.ProtocolType
	m.sessionTimeout, m.rebalanceTimeout = req.SessionTimeout, req.RebalanceTimeout
	m.protocols = cloneProtocols(req.Protocols)
	if m.joinCh != nil { // a duplicate join replaces the earlier one
		m.joinCh <- JoinResult{Err: ErrRebalanceInProgress, MemberID: m.id, Generation: -1}
	}
	m.joinCh = make(chan JoinResult, 1)
	return m.joinCh
}

// joinResultFor is the current generation as member m sees it.
func (g *Group) joinResultFor(m *member) JoinResult {
	r := JoinResult{Generation: g.generation, ProtocolType: g.protocolType, Protocol: g.protocol,
		Leader: g.leader, MemberID: m.id}
	if m.id == g.leader {
		r.Members = g.joinMembers()
	}
	return r
}

func (g *Group) joinMembers() []JoinMember {
	var out []JoinMember
	for _, m := range g.sortedMembers() {
		out = append(out, JoinMember{MemberID: m.id, InstanceID: m.instanceID, Metadata: m.metadataFor(g.protocol)})
	}
	return out
}

// cloneProtocols copies protocol metadata: request bytes may alias a
// network buffer that is reused after the request is served.
func cloneProtocols(ps []Protocol) []Protocol {
	out := make([]Protocol, len(ps))
	for i, p := range ps {
		out[i] = Protocol{Name: p.Name, Metadata: append([]byte{}, p.Metadata...)}
	}
	return out
}
