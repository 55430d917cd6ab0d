package group

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"sort"
	"sync"
	"time"
)

// State is a classic group's state.
type State int8

const (
	Empty State = iota
	PreparingRebalance
	CompletingRebalance
	Stable
	Dead
)

// String is Kafka's name for the state (DescribeGroups, ListGroups).
func (s State) String() string {
	return [...]string{"Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead"}[s]
}

// Protocol is one assignment protocol a member supports, with its
// (opaque to the broker) metadata.
type Protocol struct {
	Name     string
	Metadata []byte
}

// TopicPartition names a partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// offset is one committed offset.
type offset struct {
	offset      int64
	leaderEpoch int32
	metadata    string
	commitTime  int64 // ms
	expireTime  int64 // ms, -1 when the commit set none
}

// member is one member of a group. All fields are guarded by Group.mu.
type member struct {
	id, instanceID       string
	clientID, clientHost string
	sessionTimeout       time.Duration
	rebalanceTimeout     time.Duration
	protocolType         string
	protocols            []Protocol
	assignment           []byte

	joinCh chan JoinResult // set while the member waits in JoinGroup
	syncCh chan SyncResult // set while the member waits in SyncGroup

	timer Timer  // session (heartbeat) expiry
	seq   uint64 // identifies the current timer
}

// Group is one consumer group. Every field is guarded by mu.
type Group struct {
	id        string
	partition int32

	mu           sync.Mutex
	state        State
	stateTime    time.Time
	protocolType string
	protocol     string
	generation   int32
	leader       string
	members      map[string]*member
	static       map[string]string // instance id -> member id
	pending      map[string]Timer  // KIP-394 member ids handed out, not yet joined
	offsets      map[TopicPartition]offset
	txnOffsets   map[int64]map[TopicPartition]offset // pending transactional commits by producer (txn_offsets.go)

	cg *consumerGroup // non-nil for a KIP-848 consumer group

	rebalanceTimer Timer
	rebalanceSeq   uint64
	initialDelay   bool          // in the initial join delay of an empty group
	delayLeft      time.Duration // how much longer the initial delay may grow
	newMemberAdded bool          // a member joined during the current delay
}

func newGroup(id string, partition int32, now time.Time) *Group {
	return &Group{id: id, partition: partition, stateTime: now, members: make(map[string]*member),
		static: make(map[string]string), pending: make(map[string]Timer),
		offsets: make(map[TopicPartition]offset)}
}

func (g *Group) setState(s State, now time.Time) {
	g.state, g.stateTime = s, now
}

// shutdown fails waiters with err, stops timers and marks g Dead (the
// node stopped coordinating it).
func (g *Group) shutdown(err error) {
	for _, m := range g.members {
		stopTimer(m.timer)
		g.failWaiters(m, err)
	}
	for _, t := range g.pending {
		stopTimer(t)
	}
	if g.cg != nil {
		for _, m := range g.cg.members {
			stopTimer(m.timer)
			m.seq++
		}
	}
	g.stopRebalanceTimer()
	g.state = Dead
}

func (g *Group) failWaiters(m *member, err error) {
	if m.joinCh != nil {
		m.joinCh <- JoinResult{Err: err, MemberID: m.id, Generation: -1}
		m.joinCh = nil
	}
	if m.syncCh != nil {
		m.syncCh <- SyncResult{Err: err}
		m.syncCh = nil
	}
}

func (g *Group) stopRebalanceTimer() {
	stopTimer(g.rebalanceTimer)
	g.rebalanceTimer = nil
	g.rebalanceSeq++
}

func stopTimer(t Timer) {
	if t != nil {
		t.Stop()
	}
}

// hasConsumers reports whether g is a KIP-848 group with members.
func (g *Group) hasConsumers() bool {
	return g.cg != nil && len(g.cg.members) > 0
}

// fenced reports whether instanceID belongs to a member other than memberID.
func (g *Group) fenced(memberID, instanceID string) bool {
	if instanceID == "" {
		return false
	}
	owner, ok := g.static[instanceID]
	return ok && owner != memberID
}

// checkMember validates a request naming memberID/instanceID at generation.
func (g *Group) checkMember(memberID, instanceID string, generation int32) (*member, error) {
	if g.state == Dead {
		return nil, ErrCoordinatorUnavailable
	}
	if g.fenced(memberID, instanceID) {
		return nil, ErrFencedInstanceID
	}
	m := g.members[memberID]
	if m == nil {
		return nil, ErrUnknownMemberID
	}
	if generation != g.generation {
		return nil, ErrIllegalGeneration
	}
	return m, nil
}

// removeMember drops m, failing its waiters, and moves leadership.
func (g *Group) removeMember(m *member) {
	stopTimer(m.timer)
	m.seq++
	g.failWaiters(m, ErrUnknownMemberID)
	delete(g.members, m.id)
	if m.instanceID != "" && g.static[m.instanceID] == m.id {
		delete(g.static, m.instanceID)
	}
	if g.leader == m.id {
		g.leader = g.firstMember()
	}
}

// firstMember is the smallest member id, or "" with no members.
func (g *Group) firstMember() string {
	first := ""
	for id := range g.members {
		if first == "" || id < first {
			first = id
		}
	}
	return first
}

// sortedMembers lists members by id, for deterministic responses.
func (g *Group) sortedMembers() []*member {
	out := make([]*member, 0, len(g.members))
	for _, m := range g.members {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// supports reports whether a member with these protocols may join: an
// empty group takes anything non-empty; otherwise the protocol type must
// match and one protocol must be supported by every member and the joiner.
func (g *Group) supports(protocolType string, protocols []Protocol) bool {
	if protocolType == "" || len(protocols) == 0 {
		return false
	}
	if len(g.members) == 0 {
		return true
	}
	if protocolType != g.protocolType {
		return false
	}
	for _, p := range protocols {
		if g.allSupport(p.Name, "") {
			return true
		}
	}
	return false
}

// allSupport reports whether every member other than except supports name.
func (g *Group) allSupport(name, except string) bool {
	for _, m := range g.members {
		if m.id != except && m.metadataFor(name) == nil {
			return false
		}
	}
	return true
}

// metadataFor is the member's metadata for protocol name, nil if it does not
// support it (non-nil empty slice for empty metadata).
func (m *member) metadataFor(name string) []byte {
	for _, p := range m.protocols {
		if p.Name == name {
			if p.Metadata == nil {
				return []byte{}
			}
			return p.Metadata
		}
	}
	return nil
}

func sameProtocols(a, b []Protocol) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || !bytes.Equal(a[i].Metadata, b[i].Metadata) {
			return false
		}
	}
	return true
}

// selectProtocol picks the protocol every member supports that gets the
// most first-choice votes (ties: the earliest in the leader's order).
func (g *Group) selectProtocol() string {
	var candidates []string
	if lm := g.members[g.leader]; lm != nil {
		for _, p := range lm.protocols {
			if g.allSupport(p.Name, "") {
				candidates = append(candidates, p.Name)
			}
		}
	}
	votes := make(map[string]int)
	for _, m := range g.members {
		for _, p := range m.protocols {
			if contains(candidates, p.Name) {
				votes[p.Name]++
				break
			}
		}
	}
	best := ""
	for _, name := range candidates {
		if best == "" || votes[name] > votes[best] {
			best = name
		}
	}
	return best
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// newMemberID is Kafka's clientId + "-" + a random UUID.
func newMemberID(clientID string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%s-%x-%x-%x-%x-%x", clientID, b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
