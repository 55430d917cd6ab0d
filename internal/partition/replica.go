package partition

// Replica state: the leader side of Kafka's replication protocol.
//
// The leader tracks, for every follower, the log end offset it last
// reported (its fetch offset) and the last time it was caught up. The high
// watermark is the minimum log end offset over the "maximal" ISR: the ISR
// committed in the metadata image plus any replica whose addition is still
// waiting for the controller (KIP-497). A follower that has not fetched yet
// has an unknown LEO and holds the high watermark where it is. With a
// single replica the ISR is the leader alone and the high watermark moves
// with every append, as before.
//
// ISR changes are proposed, never applied locally: the partition reports
// the wanted ISR with its leader and partition epochs through the
// Manager's ISRChangeFunc, keeps it as pending, and adopts whatever the
// next image with a newer partition epoch says. While a change is pending
// no other is proposed; a pending change older than pendingISRTimeout is
// dropped so that a lost proposal is retried.
//
// Lock order: Partition.mu (append) before replicaSet.mu. Role changes
// take both, so an append never lands in a log that just became a
// follower's. replicaSet.mu is held only for bookkeeping, never for I/O.

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/samsa-io/samsa/internal/metadata"
)

// pendingISRTimeout bounds how long a proposed ISR change blocks the next.
const pendingISRTimeout = 5 * time.Second

// ISRChange is a proposed ISR for one partition, Kafka's AlterPartition:
// the controller accepts it only if the epochs still match.
type ISRChange struct {
	Topic          string
	TopicID        [16]byte
	Partition      int32
	LeaderEpoch    int32
	PartitionEpoch int32
	ISR            []int32
}

// ISRChangeFunc receives proposed ISR changes. It is called without any
// partition lock held and must not block for long (hand the change to a
// goroutine that talks to the controller).
type ISRChangeFunc func(ISRChange)

// followerState is what the leader knows about one follower.
type followerState struct {
	leo                int64 // -1 until the follower's first fetch
	lastFetch          time.Time
	lastFetchLeaderLEO int64
	lastCaughtUp       time.Time
}

// replicaSet is the replication state of one hosted replica.
type replicaSet struct {
	mu             sync.Mutex
	node           int32
	known          bool // metadata applied at least once
	leader         int32
	leaderEpoch    int32
	partitionEpoch int32
	replicas       []int32
	isr            []int32
	pending        []int32 // proposed ISR awaiting the controller, nil if none
	pendingAt      time.Time
	epochStart     int64 // leader's LEO when it became leader of this epoch
	followers      map[int32]*followerState

	changed broadcast // fired on every high watermark or state change
}

// broadcast wakes every goroutine waiting on the channel it handed out.
type broadcast struct {
	mu sync.Mutex
	ch chan struct{}
}

func (b *broadcast) wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch == nil {
		b.ch = make(chan struct{})
	}
	return b.ch
}

func (b *broadcast) fire() {
	b.mu.Lock()
	if b.ch != nil {
		close(b.ch)
		b.ch = nil
	}
	b.mu.Unlock()
}

// IsLeader reports whether this replica is the partition's leader.
func (p *Partition) IsLeader() bool {
	p.rs.mu.Lock()
	defer p.rs.mu.Unlock()
	return !p.rs.known || p.rs.leader == p.rs.node
}

// Leader returns the leader's node ID and leader epoch as this replica
// last learned them from the metadata image.
func (p *Partition) Leader() (leader, epoch int32) {
	p.rs.mu.Lock()
	defer p.rs.mu.Unlock()
	return p.rs.leader, p.rs.leaderEpoch
}

// ISR returns the committed in-sync replica set.
func (p *Partition) ISR() []int32 {
	p.rs.mu.Lock()
	defer p.rs.mu.Unlock()
	return slices.Clone(p.rs.isr)
}

// IsReplica reports whether id is in the partition's replica set.
func (p *Partition) IsReplica(id int32) bool {
	p.rs.mu.Lock()
	defer p.rs.mu.Unlock()
	return slices.Contains(p.rs.replicas, id)
}

// applyMetadata adopts the image's view of this partition: role, leader
// epoch, replicas and ISR. Becoming leader resets follower tracking;
// becoming follower takes effect before any later append (p.mu is held).
func (p *Partition) applyMetadata(pm metadata.Partition, node int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	rs := &p.rs
	rs.mu.Lock()
	first := !rs.known
	newEpoch := first || pm.LeaderEpoch != rs.leaderEpoch || pm.Leader != rs.leader
	if !first && pm.PartitionEpoch < rs.partitionEpoch && !newEpoch {
		rs.mu.Unlock()
		return // an older image than one already applied
	}
	if newEpoch || pm.PartitionEpoch != rs.partitionEpoch {
		rs.pending = nil // the controller answered (or overruled) any proposal
	}
	rs.known, rs.node = true, node
	rs.leader, rs.leaderEpoch, rs.partitionEpoch = pm.Leader, pm.LeaderEpoch, pm.PartitionEpoch
	rs.replicas, rs.isr = slices.Clone(pm.Replicas), slices.Clone(pm.ISR)
	if newEpoch {
		rs.followers = make(map[int32]*followerState)
		rs.epochStart = p.log.LogEndOffset()
		if first && len(pm.Replicas) > 1 {
			// Start from the checkpointed high watermark (committed once,
			// so safe to expose) or, without one, from the log start: the
			// leader learns more from the ISR's fetches, a follower from
			// the leader.
			hw := max(p.checkpointHW, p.log.LogStartOffset())
			p.highWater.Store(min(hw, p.log.LogEndOffset()))
		}
	}
	now := time.Now()
	for _, id := range pm.Replicas {
		if id != node && rs.followers[id] == nil {
			rs.followers[id] = &followerState{leo: -1, lastCaughtUp: now, lastFetchLeaderLEO: -1}
		}
	}
	isLeader := rs.leader == node
	rs.mu.Unlock()
	p.leaderEpoch.Store(pm.LeaderEpoch)
	if isLeader {
		p.maybeAdvanceHighWatermark()
	}
	p.rs.changed.fire()
	p.waiters.wake()
}

// maximalISRLocked is the committed ISR plus replicas pending addition.
func (rs *replicaSet) maximalISRLocked() []int32 {
	out := slices.Clone(rs.isr)
	for _, id := range rs.pending {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// hwCandidateLocked is the minimum LEO over the maximal ISR, or -1 when a
// member's LEO is unknown.
func (rs *replicaSet) hwCandidateLocked(leaderLEO int64) int64 {
	hw := leaderLEO
	for _, id := range rs.maximalISRLocked() {
		if id == rs.node {
			continue
		}
		f := rs.followers[id]
		if f == nil || f.leo < 0 {
			return -1
		}
		hw = min(hw, f.leo)
	}
	return hw
}

// maybeAdvanceHighWatermark recomputes the leader's high watermark. It
// does not move while the committed ISR is smaller than min.insync.replicas
// (capped at the replica count): Kafka's strict min ISR (KIP-966), which
// lets a replica that left such an ISR be an eligible leader replica, sure
// to hold every record below the high watermark.
func (p *Partition) maybeAdvanceHighWatermark() {
	leo := p.log.LogEndOffset()
	minISR := int(p.Config().MinInsyncReplicas)
	p.rs.mu.Lock()
	hw := leo
	if p.rs.known {
		if p.rs.leader != p.rs.node || len(p.rs.isr) < min(minISR, len(p.rs.replicas)) {
			p.rs.mu.Unlock()
			return
		}
		hw = p.rs.hwCandidateLocked(leo)
	}
	p.rs.mu.Unlock()
	if hw >= 0 {
		p.advanceHighWatermark(hw)
	}
}

// eligibleBrokers knows which brokers a leader must not add to an ISR:
// those fenced in the latest metadata image (KIP-841). A fenced broker
// (dead, or in controlled shutdown) can still be fetching for a moment;
// proposing it would only be refused with INELIGIBLE_REPLICA, and until
// then the proposal would hold back the high watermark. The controller
// checks registration itself.
type eligibleBrokers struct {
	fenced atomic.Pointer[map[int32]bool]
}

func (e *eligibleBrokers) update(im *metadata.Image) {
	fenced := make(map[int32]bool)
	for id, b := range im.Brokers {
		if b.Fenced {
			fenced[id] = true
		}
	}
	e.fenced.Store(&fenced)
}

// has reports whether id may join an ISR.
func (e *eligibleBrokers) has(id int32) bool {
	if e == nil {
		return true
	}
	fenced := e.fenced.Load()
	return fenced == nil || !(*fenced)[id]
}
