package partition

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// FollowerFetch is what the leader learned from one follower fetch.
type FollowerFetch struct {
	HighWatermark  int64
	LogStartOffset int64
	LogEndOffset   int64
}

// RecordFollowerFetch notes that follower replica fetched from
// fetchOffset: everything below it is on the follower. It updates the
// follower's LEO and caught-up time (Kafka's rules: caught up if it asked
// for the leader's LEO now, or for the LEO the leader had at its previous
// fetch), may propose adding it to the ISR, and recomputes the high
// watermark. It fails with ErrNotLeader on a follower or for a replica not
// in the replica set, and with a storage offset error beyond the LEO.
func (p *Partition) RecordFollowerFetch(replica int32, fetchOffset int64) (FollowerFetch, error) {
	if p.closed.Load() {
		return FollowerFetch{}, ErrClosed
	}
	leo := p.log.LogEndOffset()
	if fetchOffset > leo {
		return FollowerFetch{}, fmt.Errorf("%w: follower %d fetch offset %d is beyond the log end offset %d",
			ErrFollowerAhead, replica, fetchOffset, leo)
	}
	now := time.Now()
	rs := &p.rs
	rs.mu.Lock()
	if rs.leader != rs.node {
		rs.mu.Unlock()
		return FollowerFetch{}, ErrNotLeader
	}
	f := rs.followers[replica]
	if f == nil || !slices.Contains(rs.replicas, replica) {
		rs.mu.Unlock()
		return FollowerFetch{}, fmt.Errorf("%w: replica %d is not a replica of %s-%d", ErrNotLeader, replica, p.Topic, p.Index)
	}
	switch {
	case fetchOffset >= leo:
		f.lastCaughtUp = now
	case f.lastFetchLeaderLEO >= 0 && fetchOffset >= f.lastFetchLeaderLEO:
		f.lastCaughtUp = f.lastFetch
	}
	f.leo, f.lastFetch, f.lastFetchLeaderLEO = fetchOffset, now, leo
	change := p.expandLocked(replica, f)
	rs.mu.Unlock()
	p.maybeAdvanceHighWatermark()
	p.propose(change)
	return FollowerFetch{HighWatermark: p.HighWatermark(), LogStartOffset: p.log.LogStartOffset(), LogEndOffset: leo}, nil
}

// expandLocked proposes adding replica to the ISR once it has reached the
// high watermark and this leader epoch's start offset.
func (p *Partition) expandLocked(replica int32, f *followerState) *ISRChange {
	rs := &p.rs
	if slices.Contains(rs.isr, replica) || !rs.canProposeLocked(time.Now()) || !p.eligible.has(replica) {
		return nil
	}
	if f.leo < p.highWater.Load() || f.leo < rs.epochStart {
		return nil
	}
	next := append(slices.Clone(rs.isr), replica)
	slices.Sort(next)
	return rs.pendLocked(p, next)
}

// canProposeLocked is true when no ISR change is in flight (or the one in
// flight is old enough to be considered lost).
func (rs *replicaSet) canProposeLocked(now time.Time) bool {
	return rs.pending == nil || now.Sub(rs.pendingAt) > pendingISRTimeout
}

func (rs *replicaSet) pendLocked(p *Partition, isr []int32) *ISRChange {
	rs.pending, rs.pendingAt = isr, time.Now()
	return &ISRChange{Topic: p.Topic, TopicID: p.TopicID, Partition: p.Index, LeaderEpoch: rs.leaderEpoch,
		PartitionEpoch: rs.partitionEpoch, ISR: slices.Clone(isr)}
}

func (p *Partition) propose(change *ISRChange) {
	if change == nil {
		return
	}
	p.logger.Info("proposing ISR change", "isr", change.ISR, "leader_epoch", change.LeaderEpoch,
		"partition_epoch", change.PartitionEpoch)
	if fn := p.onISRChange.Load(); fn != nil {
		(*fn)(*change)
	}
}

// MaybeShrinkISR proposes removing followers that have not been caught up
// for longer than lagMax. Only a leader with no change in flight acts.
func (p *Partition) MaybeShrinkISR(now time.Time, lagMax time.Duration) {
	rs := &p.rs
	rs.mu.Lock()
	if !rs.known || rs.leader != rs.node || !rs.canProposeLocked(now) {
		rs.mu.Unlock()
		return
	}
	var keep []int32
	for _, id := range rs.isr {
		f := rs.followers[id]
		if id == rs.node || (f != nil && now.Sub(f.lastCaughtUp) <= lagMax) {
			keep = append(keep, id)
		}
	}
	var change *ISRChange
	switch {
	case len(keep) < len(rs.isr):
		change = rs.pendLocked(p, keep)
	case rs.pending != nil && sameMembers(rs.pending, rs.isr):
		rs.pending = nil // nothing left to wait for
	case rs.pending != nil:
		// A proposal the controller never answered: ask again, so it is
		// either committed or refused (ISRChangeRefused) rather than
		// left holding the high watermark to a replica that never joins.
		change = rs.pendLocked(p, rs.pending)
	}
	rs.mu.Unlock()
	p.propose(change)
}

// ISRChangeRefused drops change if it is still the pending proposal: the
// controller refused it (an epoch mismatch, an ineligible replica), so it
// will never be committed and must not count towards the high watermark.
// The next fetch or ISR check proposes again from the committed ISR.
func (p *Partition) ISRChangeRefused(change ISRChange) {
	rs := &p.rs
	rs.mu.Lock()
	refused := rs.pending != nil && rs.leaderEpoch == change.LeaderEpoch &&
		rs.partitionEpoch == change.PartitionEpoch && slices.Equal(rs.pending, change.ISR)
	if refused {
		rs.pending = nil
	}
	rs.mu.Unlock()
	if refused {
		p.maybeAdvanceHighWatermark()
		rs.changed.fire()
	}
}

// CheckMinISR fails with ErrNotEnoughReplicas, before an acks=all append,
// when fewer than min.insync.replicas replicas are in sync. It counts the
// committed ISR members that are also caught up within lagMax (the leader
// always is): a follower that stopped fetching still sits in the committed
// ISR until the controller accepts the shrink, which never happens while
// the controller quorum is lost, and accepting the write would only leave
// it waiting for an acknowledgement that cannot come. Refusing early is
// safe (nothing is appended) and tells the client the real reason.
func (p *Partition) CheckMinISR(lagMax time.Duration) error {
	minISR := int(p.Config().MinInsyncReplicas)
	now := time.Now()
	rs := &p.rs
	rs.mu.Lock()
	n := 1
	if rs.known {
		n = 0
		for _, id := range rs.isr {
			f := rs.followers[id]
			if id == rs.node || (f != nil && now.Sub(f.lastCaughtUp) <= lagMax) {
				n++
			}
		}
	}
	rs.mu.Unlock()
	if n < minISR {
		return fmt.Errorf("%w: The size of the current ISR %d is insufficient to satisfy the min.isr requirement of %d for partition %s-%d",
			ErrNotEnoughReplicas, n, minISR, p.Topic, p.Index)
	}
	return nil
}

// WaitForHighWatermark is WaitForCommit in the current leader epoch.
func (p *Partition) WaitForHighWatermark(ctx context.Context, offset int64) error {
	return p.WaitForCommit(ctx, offset, p.LeaderEpoch())
}

// WaitForCommit blocks an acks=all produce until the high watermark
// reaches offset (one past the batch's last offset). epoch is the leader
// epoch of the append (AppendResult.LeaderEpoch): if it changed, even back
// to this node, the batch may have been truncated meanwhile, so the answer
// is ErrNotLeader. It returns ErrNotEnoughReplicasAfterAppend if the ISR
// shrank below min.insync.replicas by then, ErrClosed on shutdown and
// ctx's error on timeout. It wakes on changes, never polls.
func (p *Partition) WaitForCommit(ctx context.Context, offset int64, epoch int32) error {
	for {
		ch := p.rs.changed.wait()
		done, err := p.hwReached(offset, epoch)
		if done {
			return err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (p *Partition) hwReached(offset int64, epoch int32) (bool, error) {
	if p.closed.Load() {
		return true, ErrClosed
	}
	p.rs.mu.Lock()
	leader := !p.rs.known || (p.rs.leader == p.rs.node && p.rs.leaderEpoch == epoch)
	isr := len(p.rs.maximalISRLocked())
	if !p.rs.known {
		isr = 1
	}
	p.rs.mu.Unlock()
	if !leader {
		return true, ErrNotLeader
	}
	minISR := int(p.Config().MinInsyncReplicas)
	if p.HighWatermark() < offset && isr >= minISR {
		return false, nil
	}
	// Below min.insync.replicas the high watermark stands still (strict
	// min ISR): say so now rather than when the request times out.
	if isr < minISR {
		return true, fmt.Errorf("%w: The number of in-sync replicas %d fell below min.insync.replicas %d for partition %s-%d while waiting",
			ErrNotEnoughReplicasAfterAppend, isr, minISR, p.Topic, p.Index)
	}
	return true, nil
}

// sameMembers reports whether two replica lists hold the same IDs.
func sameMembers(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for _, id := range a {
		if !slices.Contains(b, id) {
			return false
		}
	}
	return true
}
