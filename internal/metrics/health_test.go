package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/samsa-io/samsa/internal/metadata"
)

// TestHealthGauges checks the gauges operators alert on: partitions under
// and at min.insync.replicas, offline replicas, preferred replica
// imbalance, consumer lag in seconds and the idle ratios.
func TestHealthGauges(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	im := testImage()
	// orders-4: led here by its second replica, ISR at min.insync.replicas 2.
	orders := im.Topics["orders"].Clone()
	orders.Partitions = append(orders.Partitions,
		metadata.Partition{Index: 4, Leader: 1, Replicas: []int32{2, 1}, ISR: []int32{2, 1}})
	im.Topics["orders"], im.TopicsByID[orders.ID] = orders, orders
	var appendTimeAsked []int64
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewNodeCollector(Sources{
		NodeID: 1,
		Image:  func() *metadata.Image { return im },
		Partitions: func() []PartitionStats {
			return []PartitionStats{
				{Topic: "orders", Partition: 0, LogStartOffset: 5, HighWatermark: 90, MinISR: 2},   // ISR 1 < 2
				{Topic: "orders", Partition: 1, LogStartOffset: 0, HighWatermark: 10, MinISR: 2},   // ISR 2 = 2
				{Topic: "orders", Partition: 2, LogStartOffset: 0, HighWatermark: 3, MinISR: 1},    // led elsewhere
				{Topic: "orders", Partition: 4, LogStartOffset: 50, HighWatermark: 100, MinISR: 1}, // ISR 2 > 1
			}
		},
		Raft:    func() RaftStats { return RaftStats{State: "Leader"} },
		Offline: func(topic string, partition int32) bool { return topic == "orders" && partition == 2 },
		Committed: func() []CommittedOffset {
			return []CommittedOffset{{Group: "g", Topic: "orders", Partition: 0, Offset: 60},
				{Group: "g", Topic: "orders", Partition: 1, Offset: 10},
				{Group: "g", Topic: "orders", Partition: 4, Offset: 20}}
		},
		AppendTime: func(topic string, partition int32, offset int64) (time.Time, bool) {
			appendTimeAsked = append(appendTimeAsked, offset)
			switch {
			case topic == "orders" && partition == 0 && offset == 60:
				return now.Add(-42 * time.Second), true
			case topic == "orders" && partition == 4 && offset == 50:
				return now.Add(-7 * time.Second), true
			}
			return time.Time{}, false
		},
		Now: func() time.Time { return now },
	}))
	g := func(p string) map[string]string {
		return map[string]string{"consumergroup": "g", "topic": "orders", "partition": p}
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"kafka_server_replicamanager_underminisrpartitioncount", nil, 1},
		{"kafka_server_replicamanager_atminisrpartitioncount", nil, 1},
		{"kafka_server_replicamanager_offlinereplicacount", nil, 1},
		// orders-3 has no leader, orders-4 is led by its second replica.
		{"kafka_controller_kafkacontroller_preferredreplicaimbalancecount", nil, 2},
		{"kafka_consumergroup_lag_seconds", g("0"), 42},
		{"kafka_consumergroup_lag_seconds", g("1"), 0},
		// Committed 20 is below the log start 50: the age of offset 50.
		{"kafka_consumergroup_lag_seconds", g("4"), 7},
	} {
		if got := value(t, reg, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	for _, off := range appendTimeAsked {
		if off == 10 {
			t.Error("append time read for a partition without lag")
		}
	}
	for _, name := range []string{"kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent",
		"kafka_network_socketserver_networkprocessoravgidle_percent"} {
		if got := value(t, reg, name, nil); got < 0 || got > 1 {
			t.Errorf("%s = %v, want a ratio in [0, 1]", name, got)
		}
	}
}

func TestPreferredImbalanceOnlyOnActiveController(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewNodeCollector(Sources{NodeID: 1, Image: testImage,
		Raft: func() RaftStats { return RaftStats{State: "Follower"} }}))
	if got := value(t, reg, "kafka_controller_kafkacontroller_preferredreplicaimbalancecount", nil); got != 0 {
		t.Errorf("imbalance = %v on a follower, want 0", got)
	}
}

// TestIdleMeter checks the ratio against CPU the test burns itself: a
// window with a busy loop on one of GOMAXPROCS threads is less idle than
// the ratio's upper bound, and the ratio stays within [0, 1].
func TestIdleMeter(t *testing.T) {
	var m idleMeter
	start := time.Now()
	if _, ok := m.sample(start); !ok {
		t.Skip("process CPU time is not measured on this platform")
	}
	// Burn CPU until the process has used 50ms of it (bounded by 10s).
	cpu0, _ := processCPUTime()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if c, _ := processCPUTime(); c-cpu0 >= 50*time.Millisecond {
			break
		}
	}
	end := time.Now()
	idle, ok := m.sample(end)
	if !ok {
		t.Fatal("second sample failed")
	}
	if idle < 0 || idle >= 1 {
		t.Fatalf("idle ratio %v after a busy loop, want in [0, 1)", idle)
	}
}
