// Package nodemetrics adapts a node's parts (its partitions, the Raft
// controller, the group coordinator) to the sources package metrics reads at
// scrape time, so that metrics imports no part it reports on and server
// only wires them. Only server imports it (archtest).
//
// Every source is called from the Prometheus scrape goroutine while the
// parts run; each reads its part through that part's own concurrent-safe
// methods and holds nothing between scrapes.
package nodemetrics

import (
	"time"

	"github.com/samsa-io/samsa/internal/controller"
	"github.com/samsa-io/samsa/internal/group"
	"github.com/samsa-io/samsa/internal/metrics"
	"github.com/samsa-io/samsa/internal/partition"
	"github.com/samsa-io/samsa/protocol/records"
)

// Parts are the node's parts the sources read.
type Parts struct {
	NodeID      int32
	Controller  *controller.Controller
	Partitions  *partition.Manager
	Groups      *group.Coordinator
	Connections func() int // open client connections (0 before the listeners are complete)
}

// Sources returns the metrics sources reading p.
func (p Parts) Sources() metrics.Sources {
	return metrics.Sources{
		NodeID:      p.NodeID,
		Image:       p.Controller.Image,
		Partitions:  p.partitionStats,
		Raft:        p.raftStats,
		Committed:   p.committedOffsets,
		Connections: p.Connections,
		Offline:     func(topic string, partition int32) bool { return p.Partitions.Offline(topic, partition) != nil },
		AppendTime:  p.appendTime,
	}
}

func (p Parts) partitionStats() []metrics.PartitionStats {
	parts := p.Partitions.Partitions()
	out := make([]metrics.PartitionStats, 0, len(parts))
	for _, r := range parts {
		out = append(out, metrics.PartitionStats{
			Topic: r.Topic, Partition: r.Index, LogSize: r.Size(), Segments: r.NumSegments(),
			LogStartOffset: r.LogStartOffset(), LogEndOffset: r.LogEndOffset(), HighWatermark: r.HighWatermark(),
			MinISR: int(r.Config().MinInsyncReplicas),
		})
	}
	return out
}

// appendTime reads the header of the batch holding offset: its log append
// time, else its first record's create time (for lag in seconds).
func (p Parts) appendTime(topic string, partition int32, offset int64) (time.Time, bool) {
	r := p.Partitions.Partition(topic, partition)
	if r == nil {
		return time.Time{}, false
	}
	batch, err := r.Read(offset, records.HeaderSize)
	if err != nil {
		return time.Time{}, false
	}
	h, err := records.ParseHeader(batch)
	if err != nil || h.LastOffset() < offset {
		return time.Time{}, false
	}
	ms := h.BaseTimestamp
	if h.LogAppendTime() {
		ms = h.MaxTimestamp
	}
	return time.UnixMilli(ms), true
}

func (p Parts) raftStats() metrics.RaftStats {
	q := p.Controller.RaftState()
	return metrics.RaftStats{State: q.State, Term: q.Term, LastLogIndex: q.LastLogIndex,
		CommitIndex: q.CommitIndex, AppliedIndex: q.AppliedIndex}
}

func (p Parts) committedOffsets() []metrics.CommittedOffset {
	groups, _ := p.Groups.ListGroups()
	var out []metrics.CommittedOffset
	for _, g := range groups {
		offs, err := p.Groups.FetchOffsets(g.ID, nil)
		if err != nil {
			continue // moved away or loading since ListGroups
		}
		for _, o := range offs {
			if o.Offset >= 0 {
				out = append(out, metrics.CommittedOffset{Group: g.ID, Topic: o.Topic, Partition: o.Partition, Offset: o.Offset})
			}
		}
	}
	return out
}
