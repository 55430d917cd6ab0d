package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/samsa-io/samsa/internal/metadata"
)

// NodeCollector reads a node's state at scrape time and exports it under
// the names the Prometheus JMX exporter gives Kafka's MBeans
// (kafka_server_replicamanager_*, kafka_controller_kafkacontroller_*,
// kafka_log_log_size), the names kafka_exporter gives consumer lag
// (kafka_consumergroup_*, kafka_topic_partition_*), and samsa_* internals.
// Reading at scrape time keeps every hook out of the request path.
//
// Replica and controller gauges come from the metadata image, which is
// authoritative and consistent in itself. Controller-wide gauges are
// reported by the active controller only (0 elsewhere), as Kafka does, so
// a dashboard's sum() over all nodes counts each partition once.
// Per-partition offsets are reported by the partition's leader only, for
// the same reason.
type NodeCollector struct {
	src Sources

	underReplicated, partitionCount, leaderCount *prometheus.Desc
	activeController, offlinePartitions          *prometheus.Desc
	globalPartitions, globalTopics               *prometheus.Desc
	logSize, segments, currentOffset, oldest     *prometheus.Desc
	groupLag, groupLagSum, groupOffset           *prometheus.Desc
	raftState, raftTerm, raftLastIndex           *prometheus.Desc
	raftCommitIndex, raftAppliedIndex, openConns *prometheus.Desc
	underMinISR, atMinISR, offlineReplicas       *prometheus.Desc
	preferredImbalance, groupLagSeconds          *prometheus.Desc
	handlerIdle, networkIdle                     *prometheus.Desc

	idle idleMeter
}

// raftStates are hashicorp/raft's state names, each a series of
// samsa_raft_state so that exactly one is 1.
var raftStates = []string{"Follower", "Candidate", "Leader", "Shutdown"}

// NewNodeCollector returns a collector over src; register it on the
// node's registry.
func NewNodeCollector(src Sources) *NodeCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	tp := []string{"topic", "partition"}
	gtp := []string{"consumergroup", "topic", "partition"}
	return &NodeCollector{
		src:               src,
		underReplicated:   d("kafka_server_replicamanager_underreplicatedpartitions", "Partitions led here whose ISR is smaller than their replica set."),
		partitionCount:    d("kafka_server_replicamanager_partitioncount", "Partition replicas assigned to this broker."),
		leaderCount:       d("kafka_server_replicamanager_leadercount", "Partitions this broker leads."),
		activeController:  d("kafka_controller_kafkacontroller_activecontrollercount", "1 on the active controller (Raft leader), else 0."),
		offlinePartitions: d("kafka_controller_kafkacontroller_offlinepartitionscount", "Partitions without a live leader (active controller only)."),
		globalPartitions:  d("kafka_controller_kafkacontroller_globalpartitioncount", "Partitions in the cluster (active controller only)."),
		globalTopics:      d("kafka_controller_kafkacontroller_globaltopiccount", "Topics in the cluster (active controller only)."),
		logSize:           d("kafka_log_log_size", "Bytes in the log segments of a hosted replica.", tp...),
		segments:          d("samsa_log_segments", "Log segments of a hosted replica, the active one included.", tp...),
		currentOffset:     d("kafka_topic_partition_current_offset", "High watermark of a partition led here.", tp...),
		oldest:            d("kafka_topic_partition_oldest_offset", "Log start offset of a partition led here.", tp...),
		groupLag:          d("kafka_consumergroup_lag", "High watermark minus committed offset, for groups coordinated here.", gtp...),
		groupLagSum:       d("kafka_consumergroup_lag_sum", "Sum of kafka_consumergroup_lag over a topic's partitions.", "consumergroup", "topic"),
		groupOffset:       d("kafka_consumergroup_current_offset", "Committed offset, for groups coordinated here.", gtp...),
		raftState:         d("samsa_raft_state", "1 for this node's current Raft state of the metadata quorum.", "state"),
		raftTerm:          d("samsa_raft_term", "Current Raft term (KRaft's leader epoch)."),
		raftLastIndex:     d("samsa_raft_last_log_index", "Last index in this node's metadata log."),
		raftCommitIndex:   d("samsa_raft_commit_index", "Highest metadata log index known committed."),
		raftAppliedIndex:  d("samsa_raft_applied_index", "Highest metadata log index applied to the metadata image."),
		openConns:         d("samsa_network_open_connections", "Open client connections."),
		underMinISR:       d("kafka_server_replicamanager_underminisrpartitioncount", "Partitions led here whose ISR is smaller than their min.insync.replicas: acks=all produce is refused."),
		atMinISR:          d("kafka_server_replicamanager_atminisrpartitioncount", "Partitions led here whose ISR is exactly their min.insync.replicas: one more replica lost refuses acks=all produce."),
		offlineReplicas:   d("kafka_server_replicamanager_offlinereplicacount", "Replicas assigned here whose log is offline (failed to open or to write)."),
		preferredImbalance: d("kafka_controller_kafkacontroller_preferredreplicaimbalancecount",
			"Partitions not led by their preferred (first) replica (active controller only)."),
		groupLagSeconds: d("kafka_consumergroup_lag_seconds",
			"Seconds since the first record a group has not consumed was appended (0 without lag), for groups coordinated here.", gtp...),
		handlerIdle: d("kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent",
			"Fraction (0-1) of the process's CPU capacity (GOMAXPROCS) left unused since the previous scrape; Go has no request handler pool, see README."),
		networkIdle: d("kafka_network_socketserver_networkprocessoravgidle_percent",
			"Same measure as kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent: one scheduler runs both network and request work."),
	}
}

// Describe implements prometheus.Collector.
func (c *NodeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.underReplicated, c.partitionCount, c.leaderCount,
		c.activeController, c.offlinePartitions, c.globalPartitions, c.globalTopics,
		c.logSize, c.segments, c.currentOffset, c.oldest, c.groupLag, c.groupLagSum, c.groupOffset,
		c.raftState, c.raftTerm, c.raftLastIndex, c.raftCommitIndex, c.raftAppliedIndex, c.openConns,
		c.underMinISR, c.atMinISR, c.offlineReplicas, c.preferredImbalance, c.groupLagSeconds,
		c.handlerIdle, c.networkIdle} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *NodeCollector) Collect(ch chan<- prometheus.Metric) {
	var im *metadata.Image
	if c.src.Image != nil {
		im = c.src.Image()
	}
	if im == nil {
		im = metadata.Empty()
	}
	var raft RaftStats
	if c.src.Raft != nil {
		raft = c.src.Raft()
		c.collectRaft(ch, raft)
	}
	var stats []PartitionStats
	if c.src.Partitions != nil {
		stats = c.src.Partitions()
	}
	now := time.Now
	if c.src.Now != nil {
		now = c.src.Now
	}
	c.collectReplicas(ch, im, stats)
	c.collectController(ch, im, raft.State == "Leader")
	logs := c.collectLogs(ch, im, stats)
	c.collectGroups(ch, logs, now())
	if c.src.Connections != nil {
		ch <- gauge(c.openConns, float64(c.src.Connections()))
	}
	if idle, ok := c.idle.sample(time.Now()); ok {
		ch <- gauge(c.handlerIdle, idle)
		ch <- gauge(c.networkIdle, idle)
	}
}

func gauge(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func (c *NodeCollector) collectRaft(ch chan<- prometheus.Metric, r RaftStats) {
	for _, s := range raftStates {
		v := 0.0
		if s == r.State {
			v = 1
		}
		ch <- gauge(c.raftState, v, s)
	}
	ch <- gauge(c.raftTerm, float64(r.Term))
	ch <- gauge(c.raftLastIndex, float64(r.LastLogIndex))
	ch <- gauge(c.raftCommitIndex, float64(r.CommitIndex))
	ch <- gauge(c.raftAppliedIndex, float64(r.AppliedIndex))
}

// collectReplicas counts, from the image, the replicas assigned here (and
// those of them offline), the partitions led here and those of them with a
// short ISR, below or at their min.insync.replicas (known from the hosted
// replica's stats).
func (c *NodeCollector) collectReplicas(ch chan<- prometheus.Metric, im *metadata.Image, stats []PartitionStats) {
	minISR := make(map[topicPartition]int, len(stats))
	for _, p := range stats {
		minISR[topicPartition{p.Topic, p.Partition}] = p.MinISR
	}
	var hosted, offline, led, under, underMin, atMin int
	for _, t := range im.Topics {
		for _, p := range t.Partitions {
			if contains(p.Replicas, c.src.NodeID) {
				hosted++
				if c.src.Offline != nil && c.src.Offline(t.Name, p.Index) {
					offline++
				}
			}
			if p.Leader != c.src.NodeID {
				continue
			}
			led++
			if len(p.ISR) < len(p.Replicas) {
				under++
			}
			switch m := minISR[topicPartition{t.Name, p.Index}]; {
			case m <= 0:
			case len(p.ISR) < m:
				underMin++
			case len(p.ISR) == m:
				atMin++
			}
		}
	}
	ch <- gauge(c.partitionCount, float64(hosted))
	ch <- gauge(c.leaderCount, float64(led))
	ch <- gauge(c.underReplicated, float64(under))
	ch <- gauge(c.underMinISR, float64(underMin))
	ch <- gauge(c.atMinISR, float64(atMin))
	ch <- gauge(c.offlineReplicas, float64(offline))
}

func (c *NodeCollector) collectController(ch chan<- prometheus.Metric, im *metadata.Image, active bool) {
	var topics, parts, offline, imbalanced int
	if active {
		topics = len(im.Topics)
		for _, t := range im.Topics {
			parts += len(t.Partitions)
			for _, p := range t.Partitions {
				if b, ok := im.Brokers[p.Leader]; !ok || b.Fenced {
					offline++
				}
				// As Kafka counts it: a partition without a leader is
				// not led by its preferred replica either.
				if len(p.Replicas) > 0 && p.Leader != p.Replicas[0] {
					imbalanced++
				}
			}
		}
	}
	ch <- gauge(c.preferredImbalance, float64(imbalanced))
	ch <- gauge(c.activeController, boolFloat(active))
	ch <- gauge(c.offlinePartitions, float64(offline))
	ch <- gauge(c.globalPartitions, float64(parts))
	ch <- gauge(c.globalTopics, float64(topics))
}

type topicPartition struct {
	topic     string
	partition int32
}

// hostedLog is what lag needs of a hosted replica.
type hostedLog struct {
	highWatermark, logStart int64
}

// collectLogs exports per-replica log metrics and returns the offsets of
// every hosted replica, for the lag computation.
func (c *NodeCollector) collectLogs(ch chan<- prometheus.Metric, im *metadata.Image, stats []PartitionStats) map[topicPartition]hostedLog {
	logs := make(map[topicPartition]hostedLog, len(stats))
	for _, p := range stats {
		part := strconv.Itoa(int(p.Partition))
		ch <- gauge(c.logSize, float64(p.LogSize), p.Topic, part)
		ch <- gauge(c.segments, float64(p.Segments), p.Topic, part)
		logs[topicPartition{p.Topic, p.Partition}] = hostedLog{highWatermark: p.HighWatermark, logStart: p.LogStartOffset}
		if pm, ok := im.PartitionOf(p.Topic, p.Partition); ok && pm.Leader == c.src.NodeID {
			ch <- gauge(c.currentOffset, float64(p.HighWatermark), p.Topic, part)
			ch <- gauge(c.oldest, float64(p.LogStartOffset), p.Topic, part)
		}
	}
	return logs
}

// collectGroups exports committed offsets and lag, in records and in
// seconds. Lag needs the partition's high watermark, so it is reported
// only for partitions with a replica here; on a single node that is every
// partition. Lag in seconds is the age of the first record the group has
// not consumed (the one at its committed offset, or at the log start if
// retention removed that): one batch header read per lagging partition
// and scrape, none for a group that is caught up.
func (c *NodeCollector) collectGroups(ch chan<- prometheus.Metric, logs map[topicPartition]hostedLog, now time.Time) {
	if c.src.Committed == nil {
		return
	}
	type groupTopic struct{ group, topic string }
	sums := make(map[groupTopic]int64)
	for _, o := range c.src.Committed() {
		part := strconv.Itoa(int(o.Partition))
		ch <- gauge(c.groupOffset, float64(o.Offset), o.Group, o.Topic, part)
		l, ok := logs[topicPartition{o.Topic, o.Partition}]
		if !ok {
			continue
		}
		lag := max(l.highWatermark-o.Offset, 0)
		ch <- gauge(c.groupLag, float64(lag), o.Group, o.Topic, part)
		sums[groupTopic{o.Group, o.Topic}] += lag
		if lag == 0 {
			ch <- gauge(c.groupLagSeconds, 0, o.Group, o.Topic, part)
		} else if c.src.AppendTime != nil {
			if at, ok := c.src.AppendTime(o.Topic, o.Partition, max(o.Offset, l.logStart)); ok {
				ch <- gauge(c.groupLagSeconds, max(now.Sub(at).Seconds(), 0), o.Group, o.Topic, part)
			}
		}
	}
	for k, v := range sums {
		ch <- gauge(c.groupLagSum, float64(v), k.group, k.topic)
	}
}

func contains(ids []int32, id int32) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
