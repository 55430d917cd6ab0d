package server

import (
	"strings"
	"time"

	"github.com/samsa-io/samsa/internal/metrics"
	"github.com/samsa-io/samsa/protocol/records"
)

// registerMetrics registers the scrape-time node collector, the request
// metrics and the ISR change counters on the node's registry. It runs
// after the controller, partitions and groups exist and before the
// listeners start (the request metrics wrap the handler they serve).
func (s *Server) registerMetrics() {
	s.requests = metrics.NewRequests(s.registry)
	s.registry.MustRegister(metrics.NewNodeCollector(metrics.Sources{
		NodeID:      s.cfg.NodeID,
		Image:       s.ctrl.Image,
		Partitions:  s.partitionStats,
		Raft:        s.raftStats,
		Committed:   s.committedOffsets,
		Connections: s.openConnections,
		Offline:     func(topic string, partition int32) bool { return s.parts.Offline(topic, partition) != nil },
		AppendTime:  s.appendTime,
	}))
	s.parts.ObserveFsync(metrics.NewFsyncObserver(s.registry))
	isr := metrics.NewISRChanges(s.registry, s.cfg.NodeID)
	updates, unsubscribe := s.ctrl.Subscribe()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer unsubscribe()
		isr.Run(s.loops, s.ctrl.Image(), updates)
	}()
}

func (s *Server) partitionStats() []metrics.PartitionStats {
	parts := s.parts.Partitions()
	out := make([]metrics.PartitionStats, 0, len(parts))
	for _, p := range parts {
		out = append(out, metrics.PartitionStats{
			Topic: p.Topic, Partition: p.Index, LogSize: p.Size(), Segments: p.NumSegments(),
			LogStartOffset: p.LogStartOffset(), LogEndOffset: p.LogEndOffset(), HighWatermark: p.HighWatermark(),
			MinISR: int(p.Config().MinInsyncReplicas),
		})
	}
	return out
}

// appendTime reads the header of the batch holding offset: its log append
// time, else its first record's create time (for lag in seconds).
func (s *Server) appendTime(topic string, partition int32, offset int64) (time.Time, bool) {
	p := s.parts.Partition(topic, partition)
	if p == nil {
		return time.Time{}, false
	}
	batch, err := p.Read(offset, records.HeaderSize)
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

func (s *Server) raftStats() metrics.RaftStats {
	q := s.ctrl.RaftState()
	return metrics.RaftStats{State: q.State, Term: q.Term, LastLogIndex: q.LastLogIndex,
		CommitIndex: q.CommitIndex, AppliedIndex: q.AppliedIndex}
}

func (s *Server) committedOffsets() []metrics.CommittedOffset {
	groups, _ := s.groups.ListGroups()
	var out []metrics.CommittedOffset
	for _, g := range groups {
		offs, err := s.groups.FetchOffsets(g.ID, nil)
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

// openConnections reads the listeners only once the node is ready: the
// listener list is complete by then (ready is stored after it is built).
func (s *Server) openConnections() int {
	if !s.ready.Load() {
		return 0
	}
	return s.net.Connections()
}

// startupSummary is the attributes of the one start-up line an operator
// looks for: who this node is, what it serves and where its data lives.
func (s *Server) startupSummary() []any {
	attrs := []any{"node", s.cfg.NodeID, "cluster_id", s.ctrl.Image().ClusterID,
		"roles", strings.Join(s.cfg.ProcessRoles, ","), "listeners", s.listenerAddrs(),
		"log_dirs", strings.Join(s.cfg.LogDirs, ","), "metadata_dir", s.metadataDir()}
	if s.metrics != nil {
		attrs = append(attrs, "metrics", "http://"+s.metrics.Addr().String())
	}
	return attrs
}

func (s *Server) listenerAddrs() []string {
	var out []string
	for _, a := range s.Addrs() {
		out = append(out, a.String())
	}
	return out
}

// serving is /readyz: the node has started and, as a broker in a cluster,
// is not fenced now (a broker the controller fenced, for a lost session or
// a re-registration, gets no new leadership and should get no traffic).
func (s *Server) serving() bool {
	return s.ready.Load() && (s.fencing == nil || !s.fencing.Fenced())
}
