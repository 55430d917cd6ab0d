package metrics

import "github.com/samsa-io/samsa/internal/metadata"

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
