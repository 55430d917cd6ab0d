package server

import (
	"strings"

	"github.com/samsa-io/samsa/internal/metrics"
	"github.com/samsa-io/samsa/internal/nodemetrics"
)

// registerMetrics registers the scrape-time node collector, the request
// metrics and the ISR change counters on the node's registry. It runs
// after the controller, partitions and groups exist and before the
// listeners start (the request metrics wrap the handler they serve).
func (s *Server) registerMetrics() {
	s.requests = metrics.NewRequests(s.registry)
	s.registry.MustRegister(metrics.NewNodeCollector(nodemetrics.Parts{NodeID: s.cfg.NodeID, Controller: s.ctrl,
		Partitions: s.parts, Groups: s.groups, Connections: s.openConnections}.Sources()))
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
		"roles", strings.Join(s.cfg.ProcessRoles, ","), "listeners", s.Addrs(),
		"log_dirs", strings.Join(s.cfg.LogDirs, ","), "metadata_dir", s.metadataDir()}
	if s.metrics != nil {
		attrs = append(attrs, "metrics", "http://"+s.metrics.Addr().String())
	}
	return attrs
}

// serving is /readyz: the node has started and, as a broker in a cluster,
// is not fenced now (a broker the controller fenced, for a lost session or
// a re-registration, gets no new leadership and should get no traffic).
func (s *Server) serving() bool {
	return s.ready.Load() && (s.fencing == nil || !s.fencing.Fenced())
}
