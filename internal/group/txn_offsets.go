package group

import (
	"context"
	"errors"

	"github.com/samsa-io/samsa/protocol/offsets"
)

// Transactional offset commits (TxnOffsetCommit, KIP-98 and KIP-447).
//
// A transactional producer's offsets are written to the group's
// __consumer_offsets partition as a transactional batch carrying the
// producer's id and epoch, and held pending in the group until the
// transaction coordinator's marker for that producer lands in the same
// partition: a commit marker makes them the group's committed offsets, an
// abort marker drops them. While any are pending for a partition,
// OffsetFetch with RequireStable answers UNSTABLE_OFFSET_COMMIT for it, so
// a consumer never starts from an offset that may still be rolled back.
// A replay (load after failover) does the same with the markers it meets;
// offsets still pending at the end of the log stay pending.

// TxnLog is implemented by a Log that can write transactional batches.
type TxnLog interface {
	// AppendTxn is Append as one transactional batch of producerID at
	// epoch, without a sequence number (the coordinator's write).
	AppendTxn(ctx context.Context, p int32, producerID int64, epoch int16, recs []Record) error
}

// ErrProducerFenced is a TxnOffsetCommit from an older producer epoch.
var ErrProducerFenced = errors.New("group: producer fenced")

// TxnCommitRequest is a TxnOffsetCommit request. Generation -1 (v0–2, or a
// producer outside the group) skips the member checks.
type TxnCommitRequest struct {
	Group, MemberID, InstanceID string
	Generation                  int32
	ProducerID                  int64
	ProducerEpoch               int16
	Offsets                     []OffsetCommit
}

// TxnCommit writes offsets as part of the producer's transaction; they
// become visible when the transaction commits.
func (c *Coordinator) TxnCommit(ctx context.Context, req TxnCommitRequest) ([]error, error) {
	tl, ok := c.log.(TxnLog)
	if !ok {
		return nil, ErrCoordinatorUnavailable
	}
	g, err := c.lookup(req.Group, true)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.state == Dead {
		return nil, ErrCoordinatorUnavailable
	}
	if req.Generation >= 0 && req.MemberID != "" {
		cr := CommitRequest{Group: req.Group, MemberID: req.MemberID, InstanceID: req.InstanceID, Generation: req.Generation}
		if err := g.checkCommit(cr, false); err != nil {
			return nil, err
		}
	}
	now := c.clock.Now().UnixMilli()
	errs := make([]error, len(req.Offsets))
	var recs []Record
	pending := make(map[TopicPartition]offset)
	for i, o := range req.Offsets {
		if len(o.Metadata) > c.cfg.MaxMetadataBytes {
			errs[i] = ErrMetadataTooLarge
			continue
		}
		v := offsets.OffsetValue{Offset: o.Offset, LeaderEpoch: o.LeaderEpoch, Metadata: o.Metadata,
			CommitTimestamp: now, ExpireTimestamp: -1}
		recs = append(recs, Record{Key: offsets.OffsetKey(g.id, o.Topic, o.Partition), Value: offsets.EncodeOffset(v)})
		pending[o.TopicPartition] = offset{offset: o.Offset, leaderEpoch: o.LeaderEpoch, metadata: o.Metadata,
			commitTime: now, expireTime: -1}
	}
	if len(recs) == 0 {
		return errs, nil
	}
	actx, cancel := context.WithTimeout(ctx, 30e9)
	defer cancel()
	if err := tl.AppendTxn(actx, g.partition, req.ProducerID, req.ProducerEpoch, recs); err != nil {
		c.logger.Warn("persist transactional offsets", "group", g.id, "err", err)
		if errors.Is(err, ErrProducerFenced) {
			return nil, err
		}
		return nil, ErrNotCoordinator
	}
	g.addPendingTxn(req.ProducerID, pending)
	return errs, nil
}

func (g *Group) addPendingTxn(pid int64, offs map[TopicPartition]offset) {
	if g.txnOffsets == nil {
		g.txnOffsets = make(map[int64]map[TopicPartition]offset)
	}
	m := g.txnOffsets[pid]
	if m == nil {
		m = make(map[TopicPartition]offset)
		g.txnOffsets[pid] = m
	}
	for tp, o := range offs {
		m[tp] = o
	}
}

// completeTxn applies (commit) or drops producer pid's pending offsets.
// Called with g.mu.
func (g *Group) completeTxn(pid int64, commit bool) {
	m, ok := g.txnOffsets[pid]
	if !ok {
		return
	}
	delete(g.txnOffsets, pid)
	if commit {
		for tp, o := range m {
			g.offsets[tp] = o
		}
	}
}

// CompleteTxn is called once the marker ending producer pid's transaction
// is written to offsets partition p: the groups of p apply or drop that
// producer's pending offsets.
func (c *Coordinator) CompleteTxn(p int32, pid int64, commit bool) {
	c.mu.Lock()
	if c.parts[p] == Loading {
		if c.lateMarkers == nil {
			c.lateMarkers = make(map[int32][]txnEnd)
		}
		c.lateMarkers[p] = append(c.lateMarkers[p], txnEnd{pid, commit})
	}
	var gs []*Group
	for _, g := range c.groups {
		if g.partition == p {
			gs = append(gs, g)
		}
	}
	c.mu.Unlock()
	for _, g := range gs {
		g.mu.Lock()
		g.completeTxn(pid, commit)
		g.mu.Unlock()
	}
}

// txnEnd is a transaction marker: producer pid's transaction committed
// or aborted.
type txnEnd struct {
	pid    int64
	commit bool
}

// PendingTxnOffset reports whether a transactional offset commit of tp is
// waiting for its transaction to end (RequireStable in OffsetFetch).
func (c *Coordinator) PendingTxnOffset(groupID string, tp TopicPartition) bool {
	g, err := c.lookup(groupID, false)
	if err != nil || g == nil {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, m := range g.txnOffsets {
		if _, ok := m[tp]; ok {
			return true
		}
	}
	return false
}

// replayTxns holds, during a replay, the transactional offset commits
// whose marker has not been met yet: producer -> group -> offsets.
type replayTxns map[int64]map[string]map[TopicPartition]offset

func (t replayTxns) apply(r Record, get func(string) *loaded) error {
	if r.Marker != NoMarker {
		byGroup := t[r.ProducerID]
		delete(t, r.ProducerID)
		if r.Marker == CommitMarker {
			for id, offs := range byGroup {
				l := get(id)
				for tp, o := range offs {
					l.offsets[tp] = o
				}
			}
		}
		return nil
	}
	k, err := offsets.DecodeKey(r.Key)
	if errors.Is(err, offsets.ErrUnknownKey) || (err == nil && k.Kind != offsets.KindOffset) || r.Value == nil {
		return nil
	}
	if err != nil {
		return err
	}
	v, err := offsets.DecodeOffset(r.Value)
	if err != nil {
		return err
	}
	get(k.Group) // a group known only by pending offsets is rebuilt too
	byGroup := t[r.ProducerID]
	if byGroup == nil {
		byGroup = make(map[string]map[TopicPartition]offset)
		t[r.ProducerID] = byGroup
	}
	offs := byGroup[k.Group]
	if offs == nil {
		offs = make(map[TopicPartition]offset)
		byGroup[k.Group] = offs
	}
	offs[TopicPartition{k.Topic, k.Partition}] = offset{offset: v.Offset, leaderEpoch: v.LeaderEpoch,
		metadata: v.Metadata, commitTime: v.CommitTimestamp, expireTime: v.ExpireTimestamp}
	return nil
}

func (t replayTxns) has(groupID string) bool {
	for _, byGroup := range t {
		if _, ok := byGroup[groupID]; ok {
			return true
		}
	}
	return false
}

// pendingOf gives g the offsets still pending for it at the end of the log.
func (t replayTxns) pendingOf(g *Group) {
	for pid, byGroup := range t {
		if offs, ok := byGroup[g.id]; ok {
			g.addPendingTxn(pid, offs)
		}
	}
}
