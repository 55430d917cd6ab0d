package group

// LeaveMember names a leaving member: by member id, or (static members,
// LeaveGroup v3+) by instance id with an optional member id.
type LeaveMember struct {
	MemberID, InstanceID string
}

// Leave removes members (LeaveGroup) and rebalances the rest. It returns
// one error per member (nil: left) or a request-level error.
func (c *Coordinator) Leave(groupID string, members []LeaveMember) ([]error, error) {
	g, err := c.lookup(groupID, false)
	if err != nil {
		return nil, err
	}
	errs := make([]error, len(members))
	if g == nil {
		for i := range errs {
			errs[i] = ErrUnknownMemberID
		}
		return errs, nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.state == Dead {
		return nil, ErrCoordinatorUnavailable
	}
	removed := false
	for i, lm := range members {
		var ok bool
		ok, errs[i] = g.leaveOne(lm)
		removed = removed || ok
	}
	if removed {
		g.afterMemberRemoved(c)
	}
	return errs, nil
}

// leaveOne removes one member; ok reports whether membership changed.
func (g *Group) leaveOne(lm LeaveMember) (ok bool, err error) {
	id := lm.MemberID
	if lm.InstanceID != "" {
		owner, known := g.static[lm.InstanceID]
		switch {
		case !known:
			return false, ErrUnknownMemberID
		case id != "" && id != owner:
			return false, ErrFencedInstanceID
		}
		id = owner
	}
	if t, pending := g.pending[id]; pending {
		stopTimer(t)
		delete(g.pending, id)
		return true, nil
	}
	m := g.members[id]
	if m == nil {
		return false, ErrUnknownMemberID
	}
	g.removeMember(m)
	return true, nil
}
