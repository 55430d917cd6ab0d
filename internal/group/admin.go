package group

import (
	"context"
	"sort"

	"github.com/samsa-io/samsa/protocol/offsets"
)

// Summary is a group as ListGroups shows it.
type Summary struct {
	ID, ProtocolType string
	State            string // Kafka's state name
	Type             string // "classic" or "consumer" (KIP-848)
}

// ListGroups lists the groups this node coordinates, by id. Partitions still
// loading are reported in loading (ListGroups answers
// COORDINATOR_LOAD_IN_PROGRESS then).
func (c *Coordinator) ListGroups() (groups []Summary, loading bool) {
	c.mu.Lock()
	all := make([]*Group, 0, len(c.groups))
	for _, g := range c.groups {
		all = append(all, g)
	}
	for _, st := range c.parts {
		loading = loading || st == Loading
	}
	c.mu.Unlock()
	for _, g := range all {
		g.mu.Lock()
		if g.state != Dead {
			s := Summary{ID: g.id, ProtocolType: g.protocolType, State: g.state.String(), Type: "classic"}
			if g.cg != nil {
				s.State, s.Type = g.cg.state(), "consumer"
			}
			groups = append(groups, s)
		}
		g.mu.Unlock()
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].ID < groups[j].ID })
	return groups, loading
}

// Description is a group as DescribeGroups shows it.
type Description struct {
	ID, ProtocolType, Protocol string
	State                      State
	Members                    []MemberDescription
	// NotClassic says why there is no classic group of this id here
	// ("Group g not found.", "Group g is not a classic group."); the
	// description is then Dead and empty, as DescribeGroups answers before
	// v6 (v6 answers GROUP_ID_NOT_FOUND with this message, KIP-1043).
	NotClassic string
}

// MemberDescription is one member; Metadata and Assignment are set only
// while the group is Stable, as in Kafka.
type MemberDescription struct {
	MemberID, InstanceID, ClientID, ClientHost string
	Metadata, Assignment                       []byte
}

// DescribeGroup describes a group; an unknown group is reported Dead.
func (c *Coordinator) DescribeGroup(id string) (Description, error) {
	g, err := c.lookup(id, false)
	if err != nil {
		return Description{ID: id, State: Dead}, err
	}
	if g == nil {
		return Description{ID: id, State: Dead, NotClassic: "Group " + id + " not found."}, nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cg != nil {
		return Description{ID: id, State: Dead, NotClassic: "Group " + id + " is not a classic group."}, nil
	}
	d := Description{ID: id, ProtocolType: g.protocolType, State: g.state}
	stable := g.state == Stable
	if stable {
		d.Protocol = g.protocol
	}
	for _, m := range g.sortedMembers() {
		md := MemberDescription{MemberID: m.id, InstanceID: m.instanceID, ClientID: m.clientID, ClientHost: m.clientHost}
		if stable {
			md.Metadata, md.Assignment = m.metadataFor(g.protocol), m.assignment
		}
		d.Members = append(d.Members, md)
	}
	return d, nil
}

// DeleteGroup deletes an empty group and its offsets (tombstones in the
// log). A group with members gets ErrNonEmptyGroup.
func (c *Coordinator) DeleteGroup(_ context.Context, id string) error {
	g, err := c.lookup(id, false)
	if err != nil {
		return err
	}
	if g == nil {
		return ErrGroupIDNotFound
	}
	g.mu.Lock()
	err = g.delete(c)
	g.mu.Unlock()
	c.removeIfDead(g)
	return err
}

// delete writes tombstones for g's offsets and metadata and marks it Dead.
func (g *Group) delete(c *Coordinator) error {
	switch g.state {
	case Dead:
		return ErrGroupIDNotFound
	case Empty:
		if g.hasConsumers() {
			return ErrNonEmptyGroup
		}
	default:
		return ErrNonEmptyGroup
	}
	recs := []Record{{Key: offsets.GroupKey(g.id)}}
	for tp := range g.offsets {
		recs = append(recs, Record{Key: offsets.OffsetKey(g.id, tp.Topic, tp.Partition)})
	}
	if err := c.appendRecords(g, recs); err != nil {
		c.logger.Warn("persist group deletion", "group", g.id, "err", err)
		return ErrNotCoordinator
	}
	g.shutdown(ErrCoordinatorUnavailable)
	return nil
}
