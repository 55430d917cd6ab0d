package metrics

import (
	"time"

	"github.com/samsa-io/samsa/internal/metadata"
)

// Sources is where the node collector reads state at scrape time. The
// server adapts its parts to these functions so that this package needs
// none of them (imports flow server -> metrics -> metadata). Every
// function is called from the scraping goroutine, concurrently with the
// broker's work, and must be safe for that. A nil function leaves its
// metrics out.
type Sources struct {
	NodeID int32
	// Image is the current metadata image.
	Image func() *metadata.Image
	// Partitions lists the replicas hosted on this node.
	Partitions func() []PartitionStats
	// Raft is this node's view of the metadata quorum.
	Raft func() RaftStats
	// Committed lists the committed offsets of the groups this node
	// coordinates.
	Committed func() []CommittedOffset
	// Connections is the number of open client connections.
	Connections func() int
	// Offline reports whether this node's replica of a partition is
	// offline (its log failed to open or to write).
	Offline func(topic string, partition int32) bool
	// AppendTime returns when the record at offset of a replica hosted
	// here was appended: the batch holding it says (its log append time,
	// else its first record's create time). ok is false when the replica
	// is not here or holds no such offset.
	AppendTime func(topic string, partition int32, offset int64) (at time.Time, ok bool)
	// Now is the clock for lag in seconds; nil is time.Now.
	Now func() time.Time
}

// PartitionStats is one hosted replica.
type PartitionStats struct {
	Topic          string
	Partition      int32
	Leader         bool // this node leads it
	ISR            int  // size of the committed ISR
	LogSize        int64
	Segments       int
	LogStartOffset int64
	LogEndOffset   int64
	HighWatermark  int64
	// MinISR is the replica's effective min.insync.replicas (0: unknown).
	MinISR int
}

// RaftStats is the metadata quorum as this node sees it.
type RaftStats struct {
	State        string // Follower, Candidate, Leader or Shutdown
	Term         uint64
	LastLogIndex uint64
	CommitIndex  uint64
	AppliedIndex uint64
}

// CommittedOffset is one group's committed offset of one partition.
type CommittedOffset struct {
	Group     string
	Topic     string
	Partition int32
	Offset    int64
}
