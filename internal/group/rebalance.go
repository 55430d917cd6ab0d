package group

import "time"

// prepareRebalance moves g to PreparingRebalance and arms the timer that
// ends the join phase: the initial delay for a group that was empty
// (group.initial.rebalance.delay.ms), else the largest rebalance timeout.
// Members waiting in SyncGroup are told to rejoin.
func (g *Group) prepareRebalance(c *Coordinator) {
	for _, m := range g.members {
		if m.syncCh != nil {
			m.syncCh <- SyncResult{Err: ErrRebalanceInProgress}
			m.syncCh = nil
			g.scheduleSession(c, m) // its session restarts with the response
		}
	}
	wasEmpty := g.state == Empty
	g.setState(PreparingRebalance, c.clock.Now())
	g.stopRebalanceTimer()
	timeout := g.maxRebalanceTimeout()
	if wasEmpty && c.cfg.InitialRebalanceDelay > 0 {
		delay := min(c.cfg.InitialRebalanceDelay, timeout)
		g.initialDelay, g.delayLeft, g.newMemberAdded = true, timeout-delay, false
		g.armRebalanceTimer(c, delay)
		return
	}
	g.initialDelay = false
	g.armRebalanceTimer(c, timeout)
	g.tryCompleteJoin(c)
}

func (g *Group) maxRebalanceTimeout() time.Duration {
	var d time.Duration
	for _, m := range g.members {
		d = max(d, m.rebalanceTimeout)
	}
	return d
}

func (g *Group) armRebalanceTimer(c *Coordinator, d time.Duration) {
	seq := g.rebalanceSeq
	g.rebalanceTimer = c.after(d, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.rebalanceSeq != seq || g.state != PreparingRebalance {
			return
		}
		g.onRebalanceTimer(c)
	})
}

// onRebalanceTimer ends the join phase, or extends the initial delay while
// new members keep arriving (at most up to the rebalance timeout).
func (g *Group) onRebalanceTimer(c *Coordinator) {
	if g.initialDelay && g.newMemberAdded && g.delayLeft > 0 {
		delay := min(c.cfg.InitialRebalanceDelay, g.delayLeft)
		g.delayLeft -= delay
		g.newMemberAdded = false
		g.rebalanceSeq++
		g.armRebalanceTimer(c, delay)
		return
	}
	g.initialDelay = false
	g.completeJoin(c)
}

// tryCompleteJoin ends the join phase once every member has rejoined and no
// KIP-394 member id is outstanding.
func (g *Group) tryCompleteJoin(c *Coordinator) {
	if g.state != PreparingRebalance || g.initialDelay || len(g.pending) > 0 {
		return
	}
	for _, m := range g.members {
		if m.joinCh == nil {
			return
		}
	}
	g.completeJoin(c)
}

// completeJoin drops members that did not rejoin, starts the next
// generation and answers every waiting JoinGroup; with no members left the
// group becomes Empty.
func (g *Group) completeJoin(c *Coordinator) {
	g.stopRebalanceTimer()
	for _, m := range g.members {
		if m.joinCh == nil {
			g.removeMember(m)
		}
	}
	now := c.clock.Now()
	g.generation++
	if len(g.members) == 0 {
		g.protocol, g.leader = "", ""
		g.setState(Empty, now)
		if err := c.appendRecords(g, []Record{g.metadataRecord(now)}); err != nil {
			c.logger.Warn("persist empty group", "group", g.id, "err", err)
		}
		return
	}
	if g.members[g.leader] == nil {
		g.leader = g.firstMember()
	}
	g.protocol = g.selectProtocol()
	g.setState(CompletingRebalance, now)
	for _, m := range g.members {
		m.joinCh <- g.joinResultFor(m)
		m.joinCh = nil
		g.scheduleSession(c, m)
	}
	g.armSyncTimer(c, g.maxRebalanceTimeout())
}

// armSyncTimer bounds CompletingRebalance by the rebalance timeout: members
// that have not sent SyncGroup by then (a leader that never assigns) are
// removed and the rest rebalance, so followers never wait forever.
func (g *Group) armSyncTimer(c *Coordinator, d time.Duration) {
	seq := g.rebalanceSeq
	g.rebalanceTimer = c.after(d, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.rebalanceSeq != seq || g.state != CompletingRebalance {
			return
		}
		for _, m := range g.members {
			if m.syncCh == nil {
				c.logger.Info("member did not sync in time", "group", g.id, "member", m.id)
				g.removeMember(m)
			}
		}
		g.prepareRebalance(c)
	})
}

// scheduleSession (re)arms m's session timer: without a heartbeat, join or
// sync within the session timeout the member is removed.
func (g *Group) scheduleSession(c *Coordinator, m *member) {
	stopTimer(m.timer)
	m.seq++
	seq, id := m.seq, m.id
	m.timer = c.after(m.sessionTimeout, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if cur := g.members[id]; cur == m && m.seq == seq {
			g.onSessionExpired(c, m)
		}
	})
}

// onSessionExpired removes a member that stopped heartbeating. Members
// waiting in JoinGroup or SyncGroup are kept: the rebalance timeout or the
// leader's sync ends their wait.
func (g *Group) onSessionExpired(c *Coordinator, m *member) {
	if m.joinCh != nil || m.syncCh != nil {
		g.scheduleSession(c, m)
		return
	}
	c.logger.Info("member session expired", "group", g.id, "member", m.id)
	g.removeMember(m)
	g.afterMemberRemoved(c)
}

// afterMemberRemoved rebalances once membership changed.
func (g *Group) afterMemberRemoved(c *Coordinator) {
	switch g.state {
	case Stable, CompletingRebalance:
		g.prepareRebalance(c)
	case PreparingRebalance:
		g.tryCompleteJoin(c)
	}
}
