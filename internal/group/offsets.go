package group

import (
	"context"
	"sort"
	"time"

	"github.com/samsa-io/samsa/protocol/offsets"
)

// OffsetCommit is one partition's committed position.
type OffsetCommit struct {
	TopicPartition
	Offset      int64
	LeaderEpoch int32
	Metadata    string
}

// CommitRequest is an OffsetCommit request. Generation -1 with no member id
// is a commit from outside the group (manually assigned consumers), allowed
// while the group has no members.
type CommitRequest struct {
	Group, MemberID, InstanceID string
	Generation                  int32
	Retention                   time.Duration // v2–4 retention_time_ms; <0: broker default
	Offsets                     []OffsetCommit
}

// Commit stores offsets and returns once they are in the log. It returns
// one error per offset (nil: stored) or a request-level error.
func (c *Coordinator) Commit(_ context.Context, req CommitRequest) ([]error, error) {
	simple := req.Generation < 0 && req.MemberID == "" && req.InstanceID == ""
	g, err := c.lookup(req.Group, req.Generation < 0)
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, ErrIllegalGeneration
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.checkCommit(req, simple); err != nil {
		return nil, err
	}
	if m := g.members[req.MemberID]; m != nil && g.state == Stable {
		g.scheduleSession(c, m)
	}
	now := c.clock.Now().UnixMilli()
	errs := make([]error, len(req.Offsets))
	var recs []Record
	var stored []OffsetCommit
	for i, o := range req.Offsets {
		if len(o.Metadata) > c.cfg.MaxMetadataBytes {
			errs[i] = ErrMetadataTooLarge
			continue
		}
		v := offsets.OffsetValue{Offset: o.Offset, LeaderEpoch: o.LeaderEpoch, Metadata: o.Metadata,
			CommitTimestamp: now, ExpireTimestamp: -1}
		if req.Retention >= 0 {
			v.ExpireTimestamp = now + req.Retention.Milliseconds()
		}
		recs = append(recs, Record{Key: offsets.OffsetKey(g.id, o.Topic, o.Partition), Value: offsets.EncodeOffset(v)})
		stored = append(stored, o)
	}
	if len(recs) == 0 {
		return errs, nil
	}
	if err := c.appendRecords(g, recs); err != nil {
		c.logger.Warn("persist offsets", "group", g.id, "err", err)
		return nil, ErrNotCoordinator
	}
	for _, o := range stored {
		exp := int64(-1)
		if req.Retention >= 0 {
			exp = now + req.Retention.Milliseconds()
		}
		g.offsets[o.TopicPartition] = offset{offset: o.Offset, leaderEpoch: o.LeaderEpoch, metadata: o.Metadata,
			commitTime: now, expireTime: exp}
	}
	return errs, nil
}

// checkCommit is Kafka's validateOffsetCommit.
func (g *Group) checkCommit(req CommitRequest, simple bool) error {
	if g.state == Dead {
		return ErrCoordinatorUnavailable
	}
	if g.hasConsumers() {
		return g.checkConsumerCommit(req, simple)
	}
	if !simple {
		if g.fenced(req.MemberID, req.InstanceID) {
			return ErrFencedInstanceID
		}
		if g.members[req.MemberID] == nil {
			return ErrUnknownMemberID
		}
		if req.Generation != g.generation {
			return ErrIllegalGeneration
		}
	} else if g.state != Empty {
		return ErrUnknownMemberID
	}
	if g.state == CompletingRebalance {
		return ErrRebalanceInProgress
	}
	return nil
}

// FetchedOffset is a committed offset; Offset -1 when none is committed.
type FetchedOffset struct {
	TopicPartition
	Offset      int64
	LeaderEpoch int32
	Metadata    string
}

// FetchOffsets returns the committed offsets of the given partitions, or of
// every partition with a commit when tps is nil.
func (c *Coordinator) FetchOffsets(groupID string, tps []TopicPartition) ([]FetchedOffset, error) {
	g, err := c.lookup(groupID, false)
	if err != nil {
		return nil, err
	}
	var out []FetchedOffset
	if g == nil {
		for _, tp := range tps {
			out = append(out, FetchedOffset{TopicPartition: tp, Offset: -1, LeaderEpoch: -1})
		}
		return out, nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if tps == nil {
		for tp := range g.offsets {
			tps = append(tps, tp)
		}
		sort.Slice(tps, func(i, j int) bool { return lessTP(tps[i], tps[j]) })
	}
	for _, tp := range tps {
		f := FetchedOffset{TopicPartition: tp, Offset: -1, LeaderEpoch: -1}
		if o, ok := g.offsets[tp]; ok {
			f.Offset, f.LeaderEpoch, f.Metadata = o.offset, o.leaderEpoch, o.metadata
		}
		out = append(out, f)
	}
	return out, nil
}

func lessTP(a, b TopicPartition) bool {
	if a.Topic != b.Topic {
		return a.Topic < b.Topic
	}
	return a.Partition < b.Partition
}

// DeleteOffsets removes committed offsets (OffsetDelete). Partitions of
// topics the active members subscribe to are refused with
// ErrSubscribedToTopic.
func (c *Coordinator) DeleteOffsets(_ context.Context, groupID string, tps []TopicPartition) ([]error, error) {
	g, err := c.lookup(groupID, false)
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, ErrGroupIDNotFound
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.state == Dead {
		return nil, ErrGroupIDNotFound
	}
	var subscribed map[string]bool
	if g.hasConsumers() {
		subscribed = g.consumerSubscribed()
	} else if g.state != Empty {
		if g.protocolType != "consumer" {
			return nil, ErrNonEmptyGroup
		}
		subscribed = g.subscribed()
	}
	errs := make([]error, len(tps))
	var recs []Record
	var gone []TopicPartition
	for i, tp := range tps {
		if subscribed[tp.Topic] {
			errs[i] = ErrSubscribedToTopic
			continue
		}
		if _, ok := g.offsets[tp]; ok {
			recs = append(recs, Record{Key: offsets.OffsetKey(g.id, tp.Topic, tp.Partition)})
			gone = append(gone, tp)
		}
	}
	if len(recs) > 0 {
		if err := c.appendRecords(g, recs); err != nil {
			c.logger.Warn("persist offset deletion", "group", g.id, "err", err)
			return nil, ErrNotCoordinator
		}
	}
	for _, tp := range gone {
		delete(g.offsets, tp)
	}
	return errs, nil
}
