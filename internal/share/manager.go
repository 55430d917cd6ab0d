package share

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// Errors of share sessions; the handler maps each to Kafka's code.
var (
	ErrSessionNotFound     = errors.New("share: share session not found")     // SHARE_SESSION_NOT_FOUND
	ErrInvalidSessionEpoch = errors.New("share: invalid share session epoch") // INVALID_SHARE_SESSION_EPOCH
	ErrSessionLimit        = errors.New("share: share session limit reached") // SHARE_SESSION_LIMIT_REACHED
)

// Share session epochs with a meaning of their own (KIP-932).
const (
	InitialEpoch int32 = 0  // opens a share session
	FinalEpoch   int32 = -1 // closes it
)

// TopicIDPartition names a partition by topic id, as share requests do.
type TopicIDPartition struct {
	TopicID   [16]byte
	Partition int32
}

// PartitionKey names one share-partition: a group's state of a partition.
type PartitionKey struct {
	Group string
	TopicIDPartition
}

// Config configures a Manager.
type Config struct {
	Partition   PartitionConfig
	Coordinator CoordinatorConfig
	MaxSessions int // group.share.max.share.sessions (2000)
}

// DefaultConfig is Kafka 4.4's defaults.
func DefaultConfig() Config {
	return Config{Partition: DefaultPartitionConfig(), Coordinator: DefaultCoordinatorConfig(), MaxSessions: 2000}
}

// Session is one member's share session: the partitions it fetches from
// this node and the epoch its next request must carry.
type Session struct {
	Group, MemberID string
	epoch           int32 // the next expected epoch
	partitions      []TopicIDPartition
	lastUsed        time.Time
}

// Manager holds this node's share-group state: the coordinator, the
// share-partitions of the partitions this node leads, and the share
// sessions of the members fetching from it.
//
// Threading: every method is safe for concurrent use. mu guards the
// partition and session maps and every Session's fields. Lock order:
// Manager.mu, then Partition.mu; the Coordinator's lock is never held with
// either.
type Manager struct {
	cfg   Config
	coord *Coordinator

	mu         sync.Mutex
	partitions map[PartitionKey]*Partition
	sessions   map[[2]string]*Session // by group, member
	released   chan struct{}          // closed (and replaced) when records become available again
}

// NewManager returns a Manager with no state.
func NewManager(cfg Config) *Manager {
	return &Manager{cfg: cfg, coord: NewCoordinator(cfg.Coordinator),
		partitions: make(map[PartitionKey]*Partition), sessions: make(map[[2]string]*Session),
		released: make(chan struct{})}
}

// Released returns a channel closed the next time records are released
// (Notify): a ShareFetch waiting for records waits on it too.
func (m *Manager) Released() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.released
}

// Notify wakes the waiters of Released: records became available again
// (an acknowledgement released them).
func (m *Manager) Notify() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.notifyLocked()
}

func (m *Manager) notifyLocked() {
	close(m.released)
	m.released = make(chan struct{})
}

// Coordinator is the share-group coordinator.
func (m *Manager) Coordinator() *Coordinator { return m.coord }

// Config is the manager's configuration.
func (m *Manager) Config() Config { return m.cfg }

// Partition returns the share-partition of key for the partition's
// current leader epoch, creating it at startOffset() on first use. A
// share-partition kept from an earlier leader epoch is replaced: this node
// lost the leadership in between, and the state it kept is stale (another
// leader may have delivered and acknowledged records since). Until the
// state is durable, a new leader epoch starts afresh.
func (m *Manager) Partition(key PartitionKey, leaderEpoch int32, startOffset func() int64) *Partition {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.partitions[key]
	if p == nil || p.leaderEpoch != leaderEpoch {
		p = NewPartition(m.cfg.Partition, startOffset())
		p.leaderEpoch = leaderEpoch
		m.partitions[key] = p
	}
	return p
}

// Existing returns the share-partition of key, or nil.
func (m *Manager) Existing(key PartitionKey) *Partition {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.partitions[key]
}

// GroupPartitions lists group's share-partitions on this node.
func (m *Manager) GroupPartitions(group string) map[TopicIDPartition]*Partition {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[TopicIDPartition]*Partition)
	for k, p := range m.partitions {
		if k.Group == group {
			out[k.TopicIDPartition] = p
		}
	}
	return out
}

// DeleteGroup forgets every share-partition and session of group.
func (m *Manager) DeleteGroup(group string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	maps.DeleteFunc(m.partitions, func(k PartitionKey, _ *Partition) bool { return k.Group == group })
	maps.DeleteFunc(m.sessions, func(k [2]string, _ *Session) bool { return k[0] == group })
}

// SessionRequest is the session part of a ShareFetch or ShareAcknowledge.
type SessionRequest struct {
	Group, MemberID string
	Epoch           int32
	Add, Forget     []TopicIDPartition // ShareFetch's Topics and ForgottenTopicsData
}

// UseSession checks the request's epoch against member's share session and
// advances it, opening the session at InitialEpoch (a member's previous
// session is closed, its records released) and closing it at FinalEpoch.
// It returns the session's partitions after adding req.Add and removing
// req.Forget. A closed session's records are released by the caller after
// it applied the request's acknowledgements (ReleaseSession).
func (m *Manager) UseSession(req SessionRequest, now time.Time) ([]TopicIDPartition, error) {
	key := [2]string{req.Group, req.MemberID}
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.sessions[key]
	switch {
	case req.Epoch == InitialEpoch:
		if s != nil {
			m.releaseLocked(s, now)
		} else {
			m.evictIdle(now)
			if len(m.sessions) >= m.cfg.MaxSessions {
				return nil, fmt.Errorf("%w: %d sessions", ErrSessionLimit, len(m.sessions))
			}
		}
		s = &Session{Group: req.Group, MemberID: req.MemberID, epoch: 1}
		m.sessions[key] = s
	case s == nil:
		return nil, fmt.Errorf("%w: member %s of group %s", ErrSessionNotFound, req.MemberID, req.Group)
	case req.Epoch == FinalEpoch:
		delete(m.sessions, key)
	case req.Epoch != s.epoch:
		return nil, fmt.Errorf("%w: got %d, want %d", ErrInvalidSessionEpoch, req.Epoch, s.epoch)
	default:
		s.epoch = max(1, s.epoch+1) // MaxInt32 wraps to 1
	}
	s.lastUsed = now
	for _, tp := range req.Add {
		if !slices.Contains(s.partitions, tp) {
			s.partitions = append(s.partitions, tp)
		}
	}
	s.partitions = slices.DeleteFunc(s.partitions, func(tp TopicIDPartition) bool { return slices.Contains(req.Forget, tp) })
	return slices.Clone(s.partitions), nil
}

// ReleaseSession releases the records member holds in group's
// share-partitions on this node (its session closed).
func (m *Manager) ReleaseSession(group, member string, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.releaseLocked(&Session{Group: group, MemberID: member}, now)
}

// releaseLocked releases s's member's records in every share-partition of
// its group. m.mu is held.
func (m *Manager) releaseLocked(s *Session, now time.Time) {
	n := 0
	for k, p := range m.partitions {
		if k.Group == s.Group {
			n += p.ReleaseMember(s.MemberID, now)
		}
	}
	if n > 0 {
		m.notifyLocked()
	}
}

// evictIdle closes the sessions unused for longer than the session
// timeout: their members are gone. m.mu is held.
func (m *Manager) evictIdle(now time.Time) {
	for key, s := range m.sessions {
		if now.Sub(s.lastUsed) > m.cfg.Coordinator.SessionTimeout {
			delete(m.sessions, key)
			m.releaseLocked(s, now)
		}
	}
}

// Sessions counts the open share sessions.
func (m *Manager) Sessions() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sessions)
}
