package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// TestHealthMetrics checks the gauges operators alert on against a real
// broker: a topic whose min.insync.replicas exceeds its replicas counts as
// under min ISR, one whose ISR equals it as at min ISR; a group that has
// not consumed a record reports the record's age as its lag in seconds;
// nothing is offline or led by another than its preferred replica; and
// the idle ratio is a ratio.
func TestHealthMetrics(t *testing.T) {
	b, base := startMetricsBroker(t)
	b.CreateTopic("health-under", 2, map[string]string{"min.insync.replicas": "2"}) // ISR 1 < 2
	b.CreateTopic("health-at", 3, map[string]string{"min.insync.replicas": "1"})    // ISR 1 = 1

	const group = "health-group"
	const topic = "health-lag"
	b.CreateTopic(topic, 1, nil)
	cl := b.Client(kgo.DefaultProduceTopic(topic))
	produced := time.Now()
	produceTo(t, cl, topic, 5)
	appended := time.Now()
	commitPart(t, b, group, topic, map[int32]int64{0: 2}) // offsets 2, 3, 4 not consumed

	lagLabels := map[string]string{"consumergroup": group, "topic": topic, "partition": "0"}
	var m series
	var before, after time.Time
	harness.Eventually(t, 30*time.Second, func() error {
		before = time.Now()
		var err error
		if m, err = scrapeOnce(base); err != nil {
			return err
		}
		after = time.Now()
		var errs []string
		for name, want := range map[string]float64{
			"kafka_server_replicamanager_underminisrpartitioncount":           2,
			"kafka_server_replicamanager_atminisrpartitioncount":              3 + 1 + 3, // health-at, health-lag, __consumer_offsets
			"kafka_server_replicamanager_offlinereplicacount":                 0,
			"kafka_controller_kafkacontroller_preferredreplicaimbalancecount": 0,
		} {
			if got, ok := m.lookup(name, nil); !ok || got != want {
				errs = append(errs, fmt.Sprintf("%s = %v (served %v), want %v", name, got, ok, want))
			}
		}
		if _, ok := m.lookup("kafka_consumergroup_lag_seconds", lagLabels); !ok {
			errs = append(errs, "no kafka_consumergroup_lag_seconds for the group")
		}
		if len(errs) > 0 {
			return fmt.Errorf("%s", strings.Join(errs, "; "))
		}
		return nil
	})
	// The unconsumed record at offset 2 was appended between produced and
	// appended; the scrape happened between before and after. Timestamps
	// are whole milliseconds.
	lag := m.get(t, "kafka_consumergroup_lag_seconds", lagLabels)
	low, high := before.Sub(appended).Seconds()-0.001, after.Sub(produced).Seconds()+0.001
	if lag < low || lag > high {
		t.Errorf("kafka_consumergroup_lag_seconds = %v, want between %v and %v", lag, low, high)
	}
	for _, name := range []string{"kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent",
		"kafka_network_socketserver_networkprocessoravgidle_percent"} {
		if v := m.get(t, name, nil); v < 0 || v > 1 {
			t.Errorf("%s = %v, want a ratio in [0, 1]", name, v)
		}
	}
}
