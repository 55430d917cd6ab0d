package metrics

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/protocol"
)

// value gathers reg and returns the value of the series name{labels}, or
// fails the test when it is absent.
func value(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	v, ok := lookup(t, reg, name, labels)
	if !ok {
		t.Fatalf("no series %s%v", name, labels)
	}
	return v
}

func lookup(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, lp := range m.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue metric
				}
			}
			switch {
			case m.Gauge != nil:
				return m.GetGauge().GetValue(), true
			case m.Counter != nil:
				return m.GetCounter().GetValue(), true
			case m.Histogram != nil:
				return float64(m.GetHistogram().GetSampleCount()), true
			}
		}
	}
	return 0, false
}

func testImage() *metadata.Image {
	im := metadata.Empty()
	im.Brokers[1] = metadata.Broker{ID: 1}
	im.Brokers[2] = metadata.Broker{ID: 2, Fenced: true}
	t := &metadata.Topic{Name: "orders", ID: [16]byte{1}, Partitions: []metadata.Partition{
		{Index: 0, Leader: 1, Replicas: []int32{1, 2}, ISR: []int32{1}},    // led here, under-replicated
		{Index: 1, Leader: 1, Replicas: []int32{1, 2}, ISR: []int32{1, 2}}, // led here
		{Index: 2, Leader: 2, Replicas: []int32{2, 1}, ISR: []int32{2, 1}}, // leader fenced: offline
		{Index: 3, Leader: -1, Replicas: []int32{3}, ISR: []int32{}},       // no leader: offline
	}}
	im.Topics["orders"], im.TopicsByID[t.ID] = t, t
	return im
}

func TestNodeCollector(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewNodeCollector(Sources{
		NodeID: 1,
		Image:  testImage,
		Partitions: func() []PartitionStats {
			return []PartitionStats{
				{Topic: "orders", Partition: 0, LogSize: 1000, Segments: 2, LogStartOffset: 5, LogEndOffset: 100, HighWatermark: 90},
				{Topic: "orders", Partition: 1, LogSize: 10, Segments: 1, LogEndOffset: 10, HighWatermark: 10},
				{Topic: "orders", Partition: 2, LogSize: 7, Segments: 1, LogEndOffset: 3, HighWatermark: 3},
			}
		},
		Raft: func() RaftStats {
			return RaftStats{State: "Leader", Term: 3, LastLogIndex: 40, CommitIndex: 39, AppliedIndex: 38}
		},
		Committed: func() []CommittedOffset {
			return []CommittedOffset{{Group: "g", Topic: "orders", Partition: 0, Offset: 60},
				{Group: "g", Topic: "orders", Partition: 1, Offset: 10},
				{Group: "g", Topic: "gone", Partition: 0, Offset: 1}}
		},
		Connections: func() int { return 4 },
	}))
	tp := func(p string) map[string]string { return map[string]string{"topic": "orders", "partition": p} }
	g := func(p string) map[string]string {
		return map[string]string{"consumergroup": "g", "topic": "orders", "partition": p}
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"kafka_server_replicamanager_partitioncount", nil, 3},
		{"kafka_server_replicamanager_leadercount", nil, 2},
		{"kafka_server_replicamanager_underreplicatedpartitions", nil, 1},
		{"kafka_controller_kafkacontroller_activecontrollercount", nil, 1},
		{"kafka_controller_kafkacontroller_offlinepartitionscount", nil, 2},
		{"kafka_controller_kafkacontroller_globalpartitioncount", nil, 4},
		{"kafka_controller_kafkacontroller_globaltopiccount", nil, 1},
		{"kafka_log_log_size", tp("0"), 1000},
		{"samsa_log_segments", tp("0"), 2},
		{"kafka_topic_partition_current_offset", tp("0"), 90},
		{"kafka_topic_partition_oldest_offset", tp("0"), 5},
		{"kafka_consumergroup_lag", g("0"), 30},
		{"kafka_consumergroup_lag", g("1"), 0},
		{"kafka_consumergroup_current_offset", g("0"), 60},
		{"kafka_consumergroup_lag_sum", map[string]string{"consumergroup": "g", "topic": "orders"}, 30},
		{"samsa_raft_state", map[string]string{"state": "Leader"}, 1},
		{"samsa_raft_state", map[string]string{"state": "Follower"}, 0},
		{"samsa_raft_term", nil, 3},
		{"samsa_raft_commit_index", nil, 39},
		{"samsa_raft_applied_index", nil, 38},
		{"samsa_network_open_connections", nil, 4},
	} {
		if got := value(t, reg, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// Partition 2 is led elsewhere: its offsets are that leader's to report.
	if _, ok := lookup(t, reg, "kafka_topic_partition_current_offset", tp("2")); ok {
		t.Error("current offset reported for a partition led elsewhere")
	}
	// No replica here: no high watermark, so no lag series.
	if _, ok := lookup(t, reg, "kafka_consumergroup_lag", map[string]string{"topic": "gone"}); ok {
		t.Error("lag reported for a partition without a local replica")
	}
}

func TestControllerGaugesOnlyOnActiveController(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewNodeCollector(Sources{NodeID: 1, Image: testImage,
		Raft: func() RaftStats { return RaftStats{State: "Follower"} }}))
	for _, name := range []string{"kafka_controller_kafkacontroller_activecontrollercount",
		"kafka_controller_kafkacontroller_offlinepartitionscount",
		"kafka_controller_kafkacontroller_globalpartitioncount"} {
		if got := value(t, reg, name, nil); got != 0 {
			t.Errorf("%s = %v on a follower, want 0", name, got)
		}
	}
}

func TestISRChanges(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := NewISRChanges(reg, 1)
	im := testImage()
	withISR := func(prev *metadata.Image, p int, isr []int32, leaderEpoch int32) *metadata.Image {
		next := prev.Clone()
		tc := prev.Topics["orders"].Clone()
		tc.Partitions[p].ISR, tc.Partitions[p].LeaderEpoch = isr, leaderEpoch
		next.Topics["orders"], next.TopicsByID[tc.ID] = tc, tc
		return next
	}
	updates := make(chan *metadata.Image)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx, im, updates) }()
	im1 := withISR(im, 1, []int32{1}, 0)     // shrink of a partition led here
	im2 := withISR(im1, 1, []int32{1, 2}, 0) // expand
	im3 := withISR(im2, 2, []int32{2}, 0)    // led elsewhere: not counted
	im4 := withISR(im3, 0, []int32{1, 2}, 1) // new leader epoch: not counted
	for _, next := range []*metadata.Image{im1, im2, im3, im4} {
		updates <- next
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
	if got := value(t, reg, "kafka_server_replicamanager_isrshrinks_total", nil); got != 1 {
		t.Errorf("shrinks = %v, want 1", got)
	}
	if got := value(t, reg, "kafka_server_replicamanager_isrexpands_total", nil); got != 1 {
		t.Errorf("expands = %v, want 1", got)
	}
}

type fakeHandler struct{}

func (fakeHandler) Handle(context.Context, *protocol.Request) kmsg.Response { return nil }

func TestRequestsCountsPerAPIAndVersion(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := NewRequests(reg).Wrap(fakeHandler{})
	for _, r := range []struct{ key, version int16 }{{0, 9}, {0, 9}, {1, 13}, {18, 3}, {1, 40}} {
		h.Handle(context.Background(), &protocol.Request{Header: protocol.Header{Key: r.key, Version: r.version}})
	}
	for _, c := range []struct {
		request, version string
		want             float64
	}{{"Produce", "9", 2}, {"Fetch", "13", 1}, {"ApiVersions", "3", 1}, {"Fetch", "40", 1}} {
		got := value(t, reg, "kafka_network_requestmetrics_requests_total",
			map[string]string{"request": c.request, "version": c.version})
		if got != c.want {
			t.Errorf("%s v%s = %v, want %v", c.request, c.version, got, c.want)
		}
	}
	if got := value(t, reg, "kafka_network_requestmetrics_totaltimems", map[string]string{"request": "Fetch"}); got != 2 {
		t.Errorf("Fetch timings = %v, want 2", got)
	}
	var nilReqs *Requests
	if nilReqs.Wrap(fakeHandler{}) != (fakeHandler{}) {
		t.Error("nil Requests wrapped the handler")
	}
}

func BenchmarkRequestsObserve(b *testing.B) {
	r := NewRequests(prometheus.NewRegistry())
	b.ReportAllocs()
	for b.Loop() {
		r.observe(0, 9, time.Millisecond)
	}
}
