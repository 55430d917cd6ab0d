package share

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// Errors of the share-group coordinator; the handler maps each to Kafka's
// code.
var (
	ErrInvalidRequest    = errors.New("share: invalid request")            // INVALID_REQUEST
	ErrUnknownMember     = errors.New("share: unknown member id")          // UNKNOWN_MEMBER_ID
	ErrFencedMemberEpoch = errors.New("share: fenced member epoch")        // FENCED_MEMBER_EPOCH
	ErrGroupMaxSize      = errors.New("share: group max size")             // GROUP_MAX_SIZE_REACHED
	ErrGroupNotFound     = errors.New("share: group id not found")         // GROUP_ID_NOT_FOUND
	ErrNonEmptyGroup     = errors.New("share: group is not empty")         // NON_EMPTY_GROUP
	ErrNotShareGroup     = errors.New("share: group is not a share group") // GROUP_ID_NOT_FOUND
)

// Share group states, as ListGroups and ShareGroupDescribe name them.
const (
	StateEmpty  = "Empty"
	StateStable = "Stable"
)

// AssignorName is the only share-group assignor, Kafka's.
const AssignorName = "simple"

// CoordinatorConfig are the group settings; Kafka's names and defaults.
type CoordinatorConfig struct {
	SessionTimeout    time.Duration // group.share.session.timeout.ms (45s)
	HeartbeatInterval time.Duration // group.share.heartbeat.interval.ms (5s)
	MaxSize           int           // group.share.max.size (200)
}

// DefaultCoordinatorConfig is Kafka 4.4's defaults.
func DefaultCoordinatorConfig() CoordinatorConfig {
	return CoordinatorConfig{SessionTimeout: 45 * time.Second, HeartbeatInterval: 5 * time.Second, MaxSize: 200}
}

// TopicPartition names one partition of a topic.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// Topics tells the coordinator how many partitions each topic has (false:
// no such topic).
type Topics func(name string) (partitions int32, ok bool)

// Heartbeat is one ShareGroupHeartbeat.
type Heartbeat struct {
	Group, MemberID      string
	MemberEpoch          int32 // 0 joins, -1 leaves
	RackID               *string
	Subscribed           []string // nil: unchanged
	ClientID, ClientHost string
}

// HeartbeatResult answers a Heartbeat. Assignment is nil when the member
// already has its current assignment.
type HeartbeatResult struct {
	MemberEpoch int32
	Interval    time.Duration
	Assignment  []TopicPartition
	Err         error
}

// Member describes one member (ShareGroupDescribe).
type Member struct {
	MemberID, RackID, ClientID, ClientHost string
	MemberEpoch                            int32
	Subscribed                             []string
	Assignment                             []TopicPartition
}

// GroupDescription describes one share group.
type GroupDescription struct {
	GroupID, State  string
	Epoch           int32 // group epoch
	AssignmentEpoch int32
	Members         []Member
}

type member struct {
	id, rack, clientID, clientHost string
	epoch                          int32 // the epoch last returned to the member
	subscribed                     []string
	target                         []TopicPartition // assignment at the group's assignment epoch
	sent                           bool             // target was returned to the member
	deadline                       time.Time        // session expiry
}

type group struct {
	id              string
	epoch           int32
	assignmentEpoch int32
	members         map[string]*member
	partitionCounts map[string]int32 // subscribed topics' sizes the assignment was made for
}

// Coordinator keeps the share groups this node coordinates, in memory.
//
// Threading: every method is safe for concurrent use; mu guards the groups
// and all their members. Member sessions expire lazily, at the next call.
type Coordinator struct {
	cfg CoordinatorConfig

	mu     sync.Mutex
	groups map[string]*group
}

// NewCoordinator returns a coordinator with no groups.
func NewCoordinator(cfg CoordinatorConfig) *Coordinator {
	return &Coordinator{cfg: cfg, groups: make(map[string]*group)}
}

// Heartbeat serves ShareGroupHeartbeat: it joins, keeps alive or removes a
// member, and returns the member's epoch and, when it changed, its
// assignment. topics reads the current topic metadata.
func (c *Coordinator) Heartbeat(hb Heartbeat, topics Topics, now time.Time) HeartbeatResult {
	fail := func(err error) HeartbeatResult { return HeartbeatResult{Err: err} }
	switch {
	case hb.Group == "":
		return fail(fmt.Errorf("%w: GroupId can't be empty", ErrInvalidRequest))
	case hb.MemberID == "":
		return fail(fmt.Errorf("%w: MemberId can't be empty", ErrInvalidRequest))
	case hb.MemberEpoch < -1:
		return fail(fmt.Errorf("%w: MemberEpoch %d is invalid", ErrInvalidRequest, hb.MemberEpoch))
	case hb.MemberEpoch == 0 && len(hb.Subscribed) == 0:
		return fail(fmt.Errorf("%w: SubscribedTopicNames must be set in first request", ErrInvalidRequest))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	g := c.groups[hb.Group]
	if hb.MemberEpoch == -1 {
		if g == nil || g.members[hb.MemberID] == nil {
			return fail(fmt.Errorf("%w: member %s is not in group %s", ErrUnknownMember, hb.MemberID, hb.Group))
		}
		delete(g.members, hb.MemberID)
		g.epoch++
		c.assign(g, topics)
		return HeartbeatResult{MemberEpoch: -1, Interval: c.cfg.HeartbeatInterval}
	}
	if g == nil {
		if hb.MemberEpoch != 0 {
			return fail(fmt.Errorf("%w: group %s has no member %s", ErrUnknownMember, hb.Group, hb.MemberID))
		}
		g = &group{id: hb.Group, members: make(map[string]*member)}
		c.groups[hb.Group] = g
	}
	m := g.members[hb.MemberID]
	changed := false
	switch {
	case hb.MemberEpoch == 0:
		if m == nil {
			if len(g.members) >= c.cfg.MaxSize {
				return fail(fmt.Errorf("%w: group %s already has %d members", ErrGroupMaxSize, hb.Group, c.cfg.MaxSize))
			}
			m = &member{id: hb.MemberID}
			g.members[hb.MemberID] = m
			changed = true
		}
		m.sent = false // a (re)joining member gets its full assignment
	case m == nil:
		return fail(fmt.Errorf("%w: group %s has no member %s", ErrUnknownMember, hb.Group, hb.MemberID))
	case hb.MemberEpoch != m.epoch:
		return fail(fmt.Errorf("%w: member %s sent epoch %d, its epoch is %d", ErrFencedMemberEpoch, hb.MemberID, hb.MemberEpoch, m.epoch))
	}
	m.deadline = now.Add(c.cfg.SessionTimeout)
	m.clientID, m.clientHost = hb.ClientID, hb.ClientHost
	if hb.RackID != nil {
		m.rack = *hb.RackID
	}
	if hb.Subscribed != nil {
		subs := slices.Sorted(slices.Values(hb.Subscribed))
		subs = slices.Compact(subs)
		if !slices.Equal(subs, m.subscribed) {
			m.subscribed, changed = subs, true
		}
	}
	if changed || !maps.Equal(g.partitionCounts, subscribedCounts(g, topics)) {
		g.epoch++
		c.assign(g, topics)
	}
	res := HeartbeatResult{MemberEpoch: m.epoch, Interval: c.cfg.HeartbeatInterval}
	if !m.sent {
		m.epoch, m.sent = g.assignmentEpoch, true
		res.MemberEpoch = m.epoch
		res.Assignment = slices.Clone(m.target)
		if res.Assignment == nil {
			res.Assignment = []TopicPartition{}
		}
	}
	return res
}

// subscribedCounts is the partition count of every topic some member of g
// subscribes to and that exists.
func subscribedCounts(g *group, topics Topics) map[string]int32 {
	counts := make(map[string]int32)
	for _, m := range g.members {
		for _, t := range m.subscribed {
			if n, ok := topics(t); ok {
				counts[t] = n
			}
		}
	}
	return counts
}

// assign computes every member's target assignment at the group epoch, as
// Kafka's simple assignor does: each member is hashed onto one partition
// of its subscription, partitions nobody holds (in the new or the current
// assignment) go round-robin to the members subscribed to their topic,
// and current assignments that are still subscribed are kept. A partition
// may be assigned to several members: they share its records.
func (c *Coordinator) assign(g *group, topics Topics) {
	g.partitionCounts = subscribedCounts(g, topics)
	ids := slices.Sorted(maps.Keys(g.members))
	subscribedTo := make(map[string][]string) // topic -> member ids, sorted
	for _, id := range ids {
		for _, t := range g.members[id].subscribed {
			if _, ok := g.partitionCounts[t]; ok {
				subscribedTo[t] = append(subscribedTo[t], id)
			}
		}
	}
	current := make(map[TopicPartition]bool)
	for _, m := range g.members {
		for _, tp := range m.target {
			current[tp] = true
		}
	}
	next := make(map[string]map[TopicPartition]bool, len(ids))
	give := func(id string, tp TopicPartition) {
		if next[id] == nil {
			next[id] = make(map[TopicPartition]bool)
		}
		next[id][tp] = true
	}
	assigned := make(map[TopicPartition]bool)
	for _, id := range ids {
		var targets []TopicPartition
		for _, t := range g.members[id].subscribed {
			for p := range g.partitionCounts[t] {
				targets = append(targets, TopicPartition{Topic: t, Partition: p})
			}
		}
		if len(targets) == 0 {
			continue
		}
		i := javaHash(id) % int32(len(targets))
		if i < 0 {
			i = -i
		}
		give(id, targets[i])
		assigned[targets[i]] = true
	}
	for _, t := range slices.Sorted(maps.Keys(subscribedTo)) {
		members, next2 := subscribedTo[t], 0
		for p := range g.partitionCounts[t] {
			tp := TopicPartition{Topic: t, Partition: p}
			if assigned[tp] || current[tp] {
				continue
			}
			give(members[next2%len(members)], tp)
			next2++
		}
	}
	for _, id := range ids {
		m := g.members[id]
		for _, tp := range m.target {
			if slices.Contains(m.subscribed, tp.Topic) && tp.Partition < g.partitionCounts[tp.Topic] {
				give(id, tp)
			}
		}
	}
	g.assignmentEpoch = g.epoch
	for _, id := range ids {
		m := g.members[id]
		target := slices.SortedFunc(maps.Keys(next[id]), compareTP)
		if !slices.Equal(target, m.target) || m.epoch != g.assignmentEpoch {
			m.target, m.sent = target, false
		}
	}
}

func compareTP(a, b TopicPartition) int {
	if a.Topic != b.Topic {
		if a.Topic < b.Topic {
			return -1
		}
		return 1
	}
	return int(a.Partition) - int(b.Partition)
}

// javaHash is Java's String.hashCode, which Kafka's simple assignor hashes
// member ids with; the same hash places members as Kafka would.
func javaHash(s string) int32 {
	var h int32
	for _, r := range s {
		if r >= 0x10000 { // a surrogate pair in Java's UTF-16
			r -= 0x10000
			h = 31*h + int32(0xD800+(r>>10))
			h = 31*h + int32(0xDC00+(r&0x3FF))
			continue
		}
		h = 31*h + int32(r)
	}
	return h
}

// expire removes members whose session timed out, and reassigns their
// groups.
func (c *Coordinator) expire(now time.Time) {
	for _, g := range c.groups {
		gone := false
		for id, m := range g.members {
			if !now.Before(m.deadline) {
				delete(g.members, id)
				gone = true
			}
		}
		if gone {
			g.epoch++
			c.assign(g, func(t string) (int32, bool) { n, ok := g.partitionCounts[t]; return n, ok })
		}
	}
}

// Describe describes group id.
func (c *Coordinator) Describe(id string, now time.Time) (GroupDescription, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	g := c.groups[id]
	if g == nil {
		return GroupDescription{}, fmt.Errorf("%w: Group %s not found.", ErrGroupNotFound, id)
	}
	d := GroupDescription{GroupID: id, State: g.state(), Epoch: g.epoch, AssignmentEpoch: g.assignmentEpoch}
	for _, mid := range slices.Sorted(maps.Keys(g.members)) {
		m := g.members[mid]
		d.Members = append(d.Members, Member{MemberID: m.id, RackID: m.rack, ClientID: m.clientID, ClientHost: m.clientHost,
			MemberEpoch: m.epoch, Subscribed: slices.Clone(m.subscribed), Assignment: slices.Clone(m.target)})
	}
	return d, nil
}

func (g *group) state() string {
	if len(g.members) == 0 {
		return StateEmpty
	}
	return StateStable
}

// GroupSummary is one group as ListGroups lists it.
type GroupSummary struct{ ID, State string }

// List lists every share group, sorted by id.
func (c *Coordinator) List(now time.Time) []GroupSummary {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	var out []GroupSummary
	for _, id := range slices.Sorted(maps.Keys(c.groups)) {
		out = append(out, GroupSummary{ID: id, State: c.groups[id].state()})
	}
	return out
}

// Has reports whether id is a share group here.
func (c *Coordinator) Has(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.groups[id]
	return ok
}

// Delete removes an empty share group.
func (c *Coordinator) Delete(id string, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	g := c.groups[id]
	switch {
	case g == nil:
		return fmt.Errorf("%w: Group %s not found.", ErrGroupNotFound, id)
	case len(g.members) > 0:
		return fmt.Errorf("%w: Group %s is not empty.", ErrNonEmptyGroup, id)
	}
	delete(c.groups, id)
	return nil
}
