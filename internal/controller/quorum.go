package controller

import (
	"fmt"
	"time"

	"github.com/hashicorp/raft"
)

// QuorumStatus is this node's read-only view of the metadata quorum, for
// DescribeQuorum (kafka-metadata-quorum) and the samsa_raft_* metrics.
// Raft terms play the part of KRaft's leader epochs and Raft log indexes
// that of metadata log offsets.
type QuorumStatus struct {
	NodeID       int32
	State        string // hashicorp/raft's state name: Follower, Candidate, Leader, Shutdown
	LeaderID     int32  // -1 while no leader is known
	Term         uint64
	LastLogIndex uint64
	CommitIndex  uint64
	AppliedIndex uint64
	// LastContact is when this node last heard from the leader (now on
	// the leader itself; zero if never).
	LastContact time.Time
	Voters      []QuorumMember
	Observers   []QuorumMember
}

// QuorumMember is one member of the Raft configuration. hashicorp/raft
// does not expose a follower's replication progress: this node's own entry
// carries its log end offset, and on the leader a member whose broker
// heartbeated in this term carries the metadata offset it reported
// (Progress). The others have -1 (unknown), which is what Kafka reports
// for a replica it has no state for.
type QuorumMember struct {
	ID           int32
	Addr         string
	LogEndOffset int64
	// Progress is set on the leader for another member whose broker
	// heartbeated in this term.
	Progress *MetadataProgress
}

// RaftState returns the cheap part of QuorumStatus (no Raft configuration
// lookup): it reads Raft's atomics only, so a metrics scrape never queues
// behind the Raft main loop.
func (c *Controller) RaftState() QuorumStatus {
	return QuorumStatus{
		NodeID:       c.cfg.NodeID,
		State:        c.raft.State().String(),
		LeaderID:     c.LeaderID(),
		Term:         c.raft.CurrentTerm(),
		LastLogIndex: c.raft.LastIndex(),
		CommitIndex:  c.raft.CommitIndex(),
		AppliedIndex: c.raft.AppliedIndex(),
		LastContact:  c.lastContact(),
	}
}

func (c *Controller) lastContact() time.Time {
	if c.raft.State() == raft.Leader {
		return time.Now()
	}
	return c.raft.LastContact()
}

// Quorum returns RaftState plus the voters and non-voters of the latest
// Raft configuration.
func (c *Controller) Quorum() (QuorumStatus, error) {
	st := c.RaftState()
	f := c.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return st, fmt.Errorf("read raft configuration: %w", err)
	}
	for _, s := range f.Configuration().Servers {
		m := QuorumMember{ID: parseServerID(s.ID), Addr: string(s.Address), LogEndOffset: -1}
		if m.ID == st.NodeID {
			m.LogEndOffset = int64(st.LastLogIndex)
		} else if st.State == raft.Leader.String() {
			if p, ok := c.live.progressOf(st.Term, m.ID); ok {
				m.LogEndOffset, m.Progress = p.Offset, &p
			}
		}
		if s.Suffrage == raft.Voter {
			st.Voters = append(st.Voters, m)
		} else {
			st.Observers = append(st.Observers, m)
		}
	}
	return st, nil
}
