package partition

import (
	"fmt"
)

// The follower side: a replica whose leader is another node copies the
// leader's batches as they are (offsets and leader epochs kept), learns the
// high watermark from the leader's fetch responses and truncates by leader
// epoch when it meets a new leader. The replication package drives these
// calls from one fetcher goroutine per source broker; they are serialized
// with role changes by Partition.mu.

// AppendAsFollower appends batches fetched from the leader and returns
// the new log end offset. Producer state is rebuilt from the batch
// headers, so that after a failover this replica still recognises retried
// batches as duplicates. leaderEpoch is the epoch the batches were fetched
// under: it fails with ErrFencedLeaderEpoch if this replica has moved on
// (a late response from a former leader), ErrNotFollower on a leader.
func (p *Partition) AppendAsFollower(leaderEpoch int32, batches []byte) (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.checkFollowerLocked(leaderEpoch); err != nil {
		return 0, err
	}
	if _, err := p.log.AppendReplicated(batches); err != nil {
		return 0, fmt.Errorf("append as follower %s-%d: %w", p.Topic, p.Index, err)
	}
	p.noteBatches(batches)
	p.maybeSnapshotLocked()
	if p.log.FlushDue() {
		if err := p.log.Flush(); err != nil {
			return 0, fmt.Errorf("flush %s-%d: %w", p.Topic, p.Index, err)
		}
	}
	p.waiters.wake()
	return p.log.LogEndOffset(), nil
}

// UpdateFollowerHighWatermark sets a follower's high watermark from the
// leader's: min(leaderHW, LEO). Unlike the leader's it may move back
// (after truncation); readers are woken when it moves.
func (p *Partition) UpdateFollowerHighWatermark(leaderHW int64) {
	hw := min(leaderHW, p.log.LogEndOffset())
	if old := p.highWater.Swap(hw); old != hw {
		p.rs.changed.fire()
		p.waiters.wake()
	}
}

// TruncateTo removes every record at or above offset (a follower
// truncating to the leader's log by leader epoch) and rebuilds producer
// state, so a truncated batch is never mistaken for a duplicate later.
func (p *Partition) TruncateTo(leaderEpoch int32, offset int64) error {
	return p.truncate(leaderEpoch, offset, func() error { return p.log.TruncateTo(offset) })
}

// TruncateFullyAndStartAt empties the log and restarts it at offset (a
// follower behind the leader's log start).
func (p *Partition) TruncateFullyAndStartAt(leaderEpoch int32, offset int64) error {
	return p.truncate(leaderEpoch, -1, func() error { return p.log.TruncateFullyAndStartAt(offset) })
}

// truncate runs do and rebuilds producer state. Producer snapshots above
// keep (every one for -1) are deleted first: were they deleted after the
// cut, a crash in between could leave one describing batches that are
// gone while new ones are written at the same offsets.
func (p *Partition) truncate(leaderEpoch int32, keep int64, do func() error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.checkFollowerLocked(leaderEpoch); err != nil {
		return err
	}
	if err := removeSnapshots(p.dir, func(off int64) bool { return off > keep }); err != nil {
		return fmt.Errorf("truncate %s-%d: %w", p.Topic, p.Index, err)
	}
	if err := do(); err != nil {
		return fmt.Errorf("truncate %s-%d: %w", p.Topic, p.Index, err)
	}
	leo := p.log.LogEndOffset()
	if p.highWater.Load() > leo {
		p.highWater.Store(leo)
	}
	return p.loadProducerState()
}

// checkFollowerLocked fails unless this replica is an open follower in
// leaderEpoch. p.mu is held, so no role change can interleave.
func (p *Partition) checkFollowerLocked(leaderEpoch int32) error {
	switch {
	case p.closed.Load():
		return ErrClosed
	case p.IsLeader():
		return ErrNotFollower
	case p.leaderEpoch.Load() != leaderEpoch:
		return fmt.Errorf("%w: fetched in leader epoch %d, now %d", ErrFencedLeaderEpoch, leaderEpoch, p.leaderEpoch.Load())
	}
	return nil
}

// ReadForReplica reads like Read but up to the log end offset: followers
// copy records before they are committed.
func (p *Partition) ReadForReplica(offset int64, maxBytes int) ([]byte, error) {
	if p.closed.Load() {
		return nil, ErrClosed
	}
	return p.log.Read(offset, maxBytes, p.log.LogEndOffset())
}

// LatestEpoch is the latest leader epoch in the log, or -1.
func (p *Partition) LatestEpoch() int32 { return p.log.LatestEpoch() }

// EndOffsetForEpoch answers OffsetForLeaderEpoch: the largest epoch <=
// epoch this log knows and the offset where it ends; (-1, -1) if epoch is
// older than every known epoch.
func (p *Partition) EndOffsetForEpoch(epoch int32) (int32, int64) {
	return p.log.EndOffsetForEpoch(epoch)
}
