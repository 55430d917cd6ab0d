package group

import (
	"errors"
	"log/slog"
	"time"

	"github.com/samsa-io/samsa/protocol/offsets"
)

// SetLeaders tells the coordinator which __consumer_offsets partitions this
// node leads now, with their leader epochs. Newly led partitions are loaded
// in the background; partitions no longer led are dropped (their waiters get
// ErrNotCoordinator). A partition led again at another epoch is dropped and
// loaded afresh even if this node never saw itself lose it: another leader
// may have appended offsets or transaction markers in between, which the
// groups in memory lack (Kafka's coordinator likewise reloads on every
// election with a newer coordinator epoch). Called from one goroutine (the
// metadata loop).
func (c *Coordinator) SetLeaders(parts map[int32]int32) {
	c.mu.Lock()
	var gained, lost []int32
	for p, epoch := range parts {
		if c.parts[p] == NotOwned || c.epochs[p] != epoch {
			if c.parts[p] != NotOwned {
				lost = append(lost, p) // its groups are from the older epoch
			}
			c.parts[p], c.epochs[p] = Loading, epoch
			delete(c.lateMarkers, p)
			gained = append(gained, p)
		}
	}
	for p := range c.parts {
		if _, ok := parts[p]; !ok {
			delete(c.parts, p)
			delete(c.epochs, p)
			delete(c.lateMarkers, p)
			lost = append(lost, p)
		}
	}
	dropped := c.dropGroupsLocked(lost)
	c.mu.Unlock()
	for _, g := range dropped {
		g.mu.Lock()
		g.shutdown(ErrNotCoordinator)
		g.mu.Unlock()
	}
	for _, p := range gained {
		epoch := parts[p]
		c.goOwned(func() { c.load(p, epoch) })
	}
}

func (c *Coordinator) dropGroupsLocked(parts []int32) []*Group {
	if len(parts) == 0 {
		return nil
	}
	lost := make(map[int32]bool)
	for _, p := range parts {
		lost[p] = true
	}
	var out []*Group
	for id, g := range c.groups {
		if lost[g.partition] {
			out = append(out, g)
			delete(c.groups, id)
		}
	}
	return out
}

// load replays partition p and installs its groups, unless p was given up
// or gained again at another epoch meanwhile: then this replay may have
// read a log that another leader has since extended, and the load started
// for the newer epoch installs the groups instead.
func (c *Coordinator) load(p, epoch int32) {
	start := time.Now()
	groups, err := c.replay(p)
	c.mu.Lock()
	if c.parts[p] != Loading || c.epochs[p] != epoch {
		c.mu.Unlock()
		return
	}
	if err != nil {
		delete(c.parts, p) // retried at the next SetLeaders
		delete(c.epochs, p)
		delete(c.lateMarkers, p)
		c.mu.Unlock()
		c.logger.Error("load offsets partition", "partition", p, "err", err)
		return
	}
	for _, g := range groups {
		c.groups[g.id] = g
	}
	c.parts[p] = Loaded
	late := c.lateMarkers[p]
	delete(c.lateMarkers, p)
	c.mu.Unlock()
	for _, g := range groups {
		g.mu.Lock()
		// Markers the replay may have missed. One it did see finds
		// nothing pending now (no TxnOffsetCommit is taken while the
		// partition loads), so applying it again changes nothing.
		for _, m := range late {
			g.completeTxn(m.pid, m.commit)
		}
		for _, m := range g.members {
			g.scheduleSession(c, m)
		}
		g.mu.Unlock()
	}
	level := slog.LevelDebug
	if len(groups) > 0 {
		level = slog.LevelInfo
	}
	c.logger.Log(c.ctx, level, "loaded offsets partition", "partition", p, "groups", len(groups), "took", time.Since(start))
}

// loaded accumulates one group's records during a replay.
type loaded struct {
	value   *offsets.GroupValue
	offsets map[TopicPartition]offset
}

func (c *Coordinator) replay(p int32) ([]*Group, error) {
	state := make(map[string]*loaded)
	get := func(id string) *loaded {
		l := state[id]
		if l == nil {
			l = &loaded{offsets: make(map[TopicPartition]offset)}
			state[id] = l
		}
		return l
	}
	txns := make(replayTxns)
	err := c.log.Replay(c.ctx, p, func(r Record) error {
		if r.Txn || r.Marker != NoMarker {
			return txns.apply(r, get)
		}
		return applyRecord(r, get)
	})
	if err != nil {
		return nil, err
	}
	var out []*Group
	for id, l := range state {
		if l.value == nil && len(l.offsets) == 0 && !txns.has(id) {
			continue
		}
		g := c.rebuild(id, p, l)
		txns.pendingOf(g)
		out = append(out, g)
	}
	return out, nil
}

// applyRecord folds one record into the replay state; later records win and
// a null value deletes.
func applyRecord(r Record, get func(string) *loaded) error {
	k, err := offsets.DecodeKey(r.Key)
	if errors.Is(err, offsets.ErrUnknownKey) {
		return nil // records of newer group types; not ours
	}
	if err != nil {
		return err
	}
	l := get(k.Group)
	switch k.Kind {
	case offsets.KindOffset:
		tp := TopicPartition{k.Topic, k.Partition}
		if r.Value == nil {
			delete(l.offsets, tp)
			return nil
		}
		v, err := offsets.DecodeOffset(r.Value)
		if err != nil {
			return err
		}
		l.offsets[tp] = offset{offset: v.Offset, leaderEpoch: v.LeaderEpoch, metadata: v.Metadata,
			commitTime: v.CommitTimestamp, expireTime: v.ExpireTimestamp}
	case offsets.KindGroup:
		if r.Value == nil {
			l.value = nil
			return nil
		}
		v, err := offsets.DecodeGroup(r.Value)
		if err != nil {
			return err
		}
		l.value = &v
	}
	return nil
}

// rebuild makes a Group from replayed state: Stable with its stored members,
// or Empty.
func (c *Coordinator) rebuild(id string, p int32, l *loaded) *Group {
	g := newGroup(id, p, c.clock.Now())
	g.offsets = l.offsets
	v := l.value
	if v == nil {
		return g
	}
	g.protocolType, g.generation, g.protocol, g.leader = v.ProtocolType, v.Generation, v.Protocol, v.Leader
	if v.CurrentStateTimestamp > 0 {
		g.stateTime = time.UnixMilli(v.CurrentStateTimestamp)
	}
	for _, mv := range v.Members {
		m := &member{id: mv.MemberID, instanceID: mv.InstanceID, clientID: mv.ClientID, clientHost: mv.ClientHost,
			sessionTimeout:   time.Duration(mv.SessionTimeoutMs) * time.Millisecond,
			rebalanceTimeout: time.Duration(mv.RebalanceTimeoutMs) * time.Millisecond,
			protocolType:     v.ProtocolType, protocols: []Protocol{{Name: v.Protocol, Metadata: mv.Subscription}},
			assignment: mv.Assignment}
		g.members[m.id] = m
		if m.instanceID != "" {
			g.static[m.instanceID] = m.id
		}
	}
	if len(g.members) > 0 {
		g.state = Stable
	}
	return g
}
