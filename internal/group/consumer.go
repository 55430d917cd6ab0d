package group

import (
	"context"
	"slices"
	"sort"
	"time"
)

// KIP-848 consumer groups: the coordinator computes a target assignment
// with a server-side assignor whenever the group epoch changes (members,
// subscriptions or partition counts changed) and reconciles each member
// towards it through ConsumerGroupHeartbeat: a member first gives up the
// partitions it must lose (it keeps its epoch until its heartbeat shows
// it no longer owns them), then receives the target partitions no other
// member still owns and moves to the group epoch. Membership is kept in
// memory only: after a coordinator move or restart members get
// UNKNOWN_MEMBER_ID and rejoin (committed offsets are persisted as for
// classic groups).

// ConsumerHeartbeat is a ConsumerGroupHeartbeat request.
type ConsumerHeartbeat struct {
	Group, MemberID, InstanceID, RackID string
	ClientID, ClientHost                string
	MemberEpoch                         int32 // 0 join, -1 leave, -2 static leave
	RebalanceTimeout                    time.Duration
	Subscribed                          []string // nil: unchanged
	SubscribedRegex                     *string  // nil: unchanged; "": none (regex.go)
	Assignor                            string   // "": unchanged / default
	Owned                               []TopicPartition
	OwnedSent                           bool // Owned is meaningful (the request carried Topics)
	// Topics lists the cluster's topics for resolving regular expressions
	// and CanDescribe says whether this member may see a topic (nil: it may
	// see all); see regex.go.
	Topics      TopicLister
	CanDescribe func(topic string) bool
}

// ConsumerHeartbeatResult answers a ConsumerHeartbeat.
type ConsumerHeartbeatResult struct {
	Err               error
	MemberID          string
	MemberEpoch       int32
	HeartbeatInterval time.Duration
	Assignment        []TopicPartition // the member's partitions now
}

// consumerGroup is the KIP-848 state of a Group (guarded by Group.mu).
type consumerGroup struct {
	epoch           int32
	assignmentEpoch int32
	assignor        string
	counts          map[string]int32 // partition counts the target was computed with
	members         map[string]*consumerMember
	target          map[string]partitionSet
	regexes         regexState
}

type consumerMember struct {
	id, instanceID, rackID string
	clientID, clientHost   string
	epoch, prevEpoch       int32
	subscribed             []string
	regex                  string // SubscribedTopicRegex, "" if none
	replacing              bool   // took over a departed static member's partitions, not joined yet
	rebalanceTimeout       time.Duration
	assigned               partitionSet // includes partitions being revoked
	timer                  Timer
	seq                    uint64
	revokeTimer            Timer // set while the member owes a revocation
}

// consumerSessionTimeout is Kafka's group.consumer.session.timeout.ms
// default.
const consumerSessionTimeout = 45 * time.Second

// ConsumerHeartbeat handles ConsumerGroupHeartbeat (KIP-848).
func (c *Coordinator) ConsumerHeartbeat(_ context.Context, req ConsumerHeartbeat) ConsumerHeartbeatResult {
	fail := func(err error) ConsumerHeartbeatResult {
		return ConsumerHeartbeatResult{Err: err, MemberID: req.MemberID}
	}
	if req.Assignor != "" && !slices.Contains(c.cfg.ConsumerAssignors, req.Assignor) {
		return fail(ErrUnsupportedAssignor)
	}
	if req.SubscribedRegex != nil && *req.SubscribedRegex != "" {
		if _, err := compileTopicRegex(*req.SubscribedRegex); err != nil {
			return fail(err)
		}
	}
	if req.MemberID == "" {
		if req.MemberEpoch != 0 {
			return fail(ErrUnknownMemberID)
		}
		req.MemberID = newMemberID("")[1:] // v0: the coordinator picks the id
	}
	g, err := c.lookup(req.Group, req.MemberEpoch == 0)
	if err != nil {
		return fail(err)
	}
	if g == nil {
		return fail(ErrUnknownMemberID)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.state == Dead {
		return fail(ErrCoordinatorUnavailable)
	}
	if g.cg == nil {
		if len(g.members) > 0 || g.state != Empty {
			return fail(ErrGroupIDNotFound) // a classic group in use
		}
		g.cg = &consumerGroup{assignor: c.cfg.ConsumerAssignors[0], members: make(map[string]*consumerMember)}
		g.protocolType = "consumer"
	}
	return g.consumerHeartbeat(c, req)
}

func (g *Group) consumerHeartbeat(c *Coordinator, req ConsumerHeartbeat) ConsumerHeartbeatResult {
	cg := g.cg
	res := ConsumerHeartbeatResult{MemberID: req.MemberID, HeartbeatInterval: c.cfg.ConsumerHeartbeatInterval}
	m := cg.members[req.MemberID]
	if m != nil && req.InstanceID != "" && m.instanceID != "" && m.instanceID != req.InstanceID {
		res.Err = ErrFencedInstanceID
		return res
	}
	if req.MemberEpoch == staticLeaveEpoch && m != nil && m.instanceID != "" {
		// A static member leaving for a while (a rolling restart): it keeps
		// its partitions, and no rebalance starts, until its session times
		// out or its instance id joins again.
		m.prevEpoch, m.epoch = m.epoch, staticLeaveEpoch
		g.scheduleConsumerSession(c, m)
		res.MemberEpoch = req.MemberEpoch
		return res
	}
	if req.MemberEpoch < 0 { // leave
		if m != nil {
			g.removeConsumer(c, m)
		}
		res.MemberEpoch = req.MemberEpoch
		return res
	}
	if req.MemberEpoch == 0 && req.InstanceID != "" && m == nil {
		if old := cg.staticMember(req.InstanceID); old != nil {
			if old.epoch != staticLeaveEpoch {
				res.Err = ErrUnreleasedInstanceID
				return res
			}
			m = g.replaceStaticMember(old, req.MemberID)
		}
	}
	changed := false
	switch {
	case m != nil && m.replacing:
		m.replacing = false // joins with the partitions of the instance it replaces
	case req.MemberEpoch == 0 && m == nil:
		if max := c.cfg.ConsumerMaxSize; max > 0 && len(cg.members) >= max {
			res.Err = ErrGroupMaxSize
			return res
		}
		m = &consumerMember{id: req.MemberID, assigned: make(partitionSet)}
		cg.members[m.id] = m
		changed = true
	case req.MemberEpoch == 0: // the member restarted: it owns nothing now
		m.assigned, m.epoch = make(partitionSet), 0
	case m == nil:
		res.Err = ErrUnknownMemberID
		return res
	case req.MemberEpoch != m.epoch && req.MemberEpoch != m.prevEpoch:
		res.Err = ErrFencedMemberEpoch
		return res
	}
	m.instanceID, m.rackID, m.clientID, m.clientHost = req.InstanceID, req.RackID, req.ClientID, req.ClientHost
	if req.RebalanceTimeout > 0 {
		m.rebalanceTimeout = req.RebalanceTimeout
	}
	if req.Subscribed != nil {
		subs := slices.Clone(req.Subscribed)
		sort.Strings(subs)
		if !slices.Equal(subs, m.subscribed) {
			m.subscribed, changed = subs, true
		}
	}
	if req.SubscribedRegex != nil && *req.SubscribedRegex != m.regex {
		m.regex, changed = *req.SubscribedRegex, true
	}
	if req.Assignor != "" && req.Assignor != cg.assignor {
		cg.assignor, changed = req.Assignor, true
	}
	g.refreshRegexes(c, req)
	if counts := g.subscribedCounts(c); changed || !sameCounts(counts, cg.counts) {
		cg.epoch++
		g.computeTarget(counts)
	}
	g.reconcile(c, m, req)
	g.scheduleConsumerSession(c, m)
	res.MemberEpoch, res.Assignment = m.epoch, g.visibleAssignment(m)
	return res
}

// staticLeaveEpoch is the member epoch of a static member's leave
// (KIP-848: -2), which keeps its partitions for the session timeout.
const staticLeaveEpoch = -2

// staticMember is the member with instance id, or nil.
func (cg *consumerGroup) staticMember(instanceID string) *consumerMember {
	for _, m := range cg.members {
		if m.instanceID == instanceID {
			return m
		}
	}
	return nil
}

// replaceStaticMember hands a departed static member's place to a new
// member id of the same instance, as Kafka does: the newcomer takes its
// subscriptions, its target and the partitions it still holds, with no
// rebalance.
func (g *Group) replaceStaticMember(old *consumerMember, id string) *consumerMember {
	cg := g.cg
	stopTimer(old.timer)
	stopTimer(old.revokeTimer)
	old.seq++
	m := &consumerMember{id: id, instanceID: old.instanceID, subscribed: old.subscribed, regex: old.regex,
		rebalanceTimeout: old.rebalanceTimeout, assigned: old.assigned, replacing: true}
	delete(cg.members, old.id)
	cg.members[id] = m
	if t, ok := cg.target[old.id]; ok {
		delete(cg.target, old.id)
		cg.target[id] = t
	}
	return m
}

// subscribedCounts is the partition count of every subscribed topic that
// exists.
func (g *Group) subscribedCounts(c *Coordinator) map[string]int32 {
	counts := make(map[string]int32)
	for _, m := range g.cg.members {
		for _, t := range g.cg.memberTopics(m) {
			if _, done := counts[t]; done || c.cfg.PartitionCount == nil {
				continue
			}
			if n := c.cfg.PartitionCount(t); n > 0 {
				counts[t] = n
			}
		}
	}
	return counts
}

func sameCounts(a, b map[string]int32) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// computeTarget runs the group's assignor for the current epoch.
func (g *Group) computeTarget(counts map[string]int32) {
	cg := g.cg
	ids := make([]string, 0, len(cg.members))
	for id := range cg.members {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	in := make([]assignMember, 0, len(ids))
	for _, id := range ids {
		m := cg.members[id]
		topics := cg.memberTopics(m)
		subs := make(map[string]bool, len(topics))
		for _, t := range topics {
			subs[t] = true
		}
		in = append(in, assignMember{id: id, subscribed: subs, current: sortedPartitions(m.assigned)})
	}
	if cg.assignor == "range" {
		cg.target = assignRange(in, counts)
	} else {
		cg.target = assignUniform(in, counts)
	}
	cg.counts, cg.assignmentEpoch = counts, cg.epoch
}

// reconcile moves m towards its target: revocations first (acknowledged by
// the member's owned partitions), then the target partitions nobody else
// still owns.
func (g *Group) reconcile(c *Coordinator, m *consumerMember, req ConsumerHeartbeat) {
	target := g.cg.target[m.id]
	keep := make(partitionSet)
	for tp := range m.assigned {
		if target[tp] {
			keep[tp] = true
		}
	}
	if len(keep) < len(m.assigned) {
		if !req.OwnedSent || !subsetOf(req.Owned, keep) {
			g.armRevocationTimer(c, m)
			return // still revoking: the member is told to keep only keep
		}
		m.assigned = keep
	}
	stopTimer(m.revokeTimer)
	m.revokeTimer = nil
	for tp := range target {
		if !m.assigned[tp] && !g.ownedByOther(tp, m.id) {
			m.assigned[tp] = true
		}
	}
	if m.epoch != g.cg.assignmentEpoch {
		m.prevEpoch, m.epoch = m.epoch, g.cg.assignmentEpoch
	}
}

// visibleAssignment is what m may consume now: its partitions minus those
// it is giving up.
func (g *Group) visibleAssignment(m *consumerMember) []TopicPartition {
	target := g.cg.target[m.id]
	out := make(partitionSet)
	for tp := range m.assigned {
		if target[tp] {
			out[tp] = true
		}
	}
	return sortedPartitions(out)
}

func subsetOf(owned []TopicPartition, s partitionSet) bool {
	for _, tp := range owned {
		if !s[tp] {
			return false
		}
	}
	return true
}

func (g *Group) ownedByOther(tp TopicPartition, self string) bool {
	for id, o := range g.cg.members {
		if id != self && o.assigned[tp] {
			return true
		}
	}
	return false
}

// removeConsumer drops a member; the others get a new target.
func (g *Group) removeConsumer(c *Coordinator, m *consumerMember) {
	stopTimer(m.timer)
	stopTimer(m.revokeTimer)
	m.seq++
	delete(g.cg.members, m.id)
	if len(g.cg.members) == 0 {
		g.stateTime = c.clock.Now() // offsets retention counts from here
	}
	g.cg.epoch++
	g.computeTarget(g.subscribedCounts(c))
}

// armRevocationTimer gives a member its rebalance timeout to give up the
// partitions it must lose; a member that does not is removed, so the
// partitions move on.
func (g *Group) armRevocationTimer(c *Coordinator, m *consumerMember) {
	if m.revokeTimer != nil {
		return
	}
	d := m.rebalanceTimeout
	if d <= 0 {
		d = 5 * time.Minute // Kafka's default max.poll.interval.ms
	}
	var t Timer
	t = c.after(d, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.cg != nil && g.cg.members[m.id] == m && m.revokeTimer == t {
			c.logger.Info("consumer group member did not revoke in time", "group", g.id, "member", m.id)
			g.removeConsumer(c, m)
		}
	})
	m.revokeTimer = t
}

func (g *Group) scheduleConsumerSession(c *Coordinator, m *consumerMember) {
	stopTimer(m.timer)
	m.seq++
	seq := m.seq
	m.timer = c.after(c.cfg.ConsumerSessionTimeout, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.cg != nil && g.cg.members[m.id] == m && m.seq == seq {
			c.logger.Info("consumer group member session expired", "group", g.id, "member", m.id)
			g.removeConsumer(c, m)
		}
	})
}

// consumerState is Kafka's state name of a KIP-848 group.
func (cg *consumerGroup) state() string {
	switch {
	case len(cg.members) == 0:
		return "Empty"
	case cg.assignmentEpoch < cg.epoch:
		return "Assigning"
	}
	for _, m := range cg.members {
		if m.epoch != cg.assignmentEpoch && m.epoch != staticLeaveEpoch {
			return "Reconciling"
		}
	}
	return "Stable"
}

// checkConsumerCommit validates an OffsetCommit to a KIP-848 group with
// members: the generation is the member epoch.
func (g *Group) checkConsumerCommit(req CommitRequest, simple bool) error {
	m := g.cg.members[req.MemberID]
	switch {
	case simple || m == nil:
		return ErrUnknownMemberID
	case req.Generation != m.epoch && req.Generation != m.prevEpoch:
		// The previous epoch is accepted: the member may not have seen
		// the heartbeat response that moved it on yet.
		return ErrStaleMemberEpoch
	}
	return nil
}

func (g *Group) consumerSubscribed() map[string]bool {
	out := make(map[string]bool)
	for _, m := range g.cg.members {
		for _, t := range g.cg.memberTopics(m) {
			out[t] = true
		}
	}
	return out
}

// ConsumerDescription is a KIP-848 group as ConsumerGroupDescribe shows it.
type ConsumerDescription struct {
	ID, State, Assignor    string
	Epoch, AssignmentEpoch int32
	Members                []ConsumerMemberDescription
}

// ConsumerMemberDescription is one member of a KIP-848 group.
type ConsumerMemberDescription struct {
	MemberID, InstanceID, RackID, ClientID, ClientHost string
	MemberEpoch                                        int32
	Subscribed                                         []string
	SubscribedRegex                                    string
	Assignment, Target                                 []TopicPartition
}

// DescribeConsumerGroup describes a KIP-848 group; a missing group, or a
// classic one, is ErrGroupIDNotFound.
func (c *Coordinator) DescribeConsumerGroup(id string) (ConsumerDescription, error) {
	g, err := c.lookup(id, false)
	if err != nil {
		return ConsumerDescription{}, err
	}
	if g == nil {
		return ConsumerDescription{}, ErrGroupIDNotFound
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cg == nil || g.state == Dead {
		return ConsumerDescription{}, ErrGroupIDNotFound
	}
	cg := g.cg
	d := ConsumerDescription{ID: id, State: cg.state(), Assignor: cg.assignor, Epoch: cg.epoch,
		AssignmentEpoch: cg.assignmentEpoch}
	ids := make([]string, 0, len(cg.members))
	for mid := range cg.members {
		ids = append(ids, mid)
	}
	sort.Strings(ids)
	for _, mid := range ids {
		m := cg.members[mid]
		d.Members = append(d.Members, ConsumerMemberDescription{MemberID: m.id, InstanceID: m.instanceID,
			RackID: m.rackID, ClientID: m.clientID, ClientHost: m.clientHost, MemberEpoch: m.epoch,
			Subscribed: slices.Clone(m.subscribed), SubscribedRegex: m.regex, Assignment: g.visibleAssignment(m),
			Target: sortedPartitions(cg.target[m.id])})
	}
	return d, nil
}
