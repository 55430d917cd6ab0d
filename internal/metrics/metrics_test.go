package metrics

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

func TestServeKafkaNamedMetrics(t *testing.T) {
	reg := NewRegistry()
	bt := NewBrokerTopic(reg)
	bt.Produced("orders", 10, 1000, false)
	bt.Produced("orders", 0, 0, true)
	bt.Fetched("orders", 500, false)
	var ready atomic.Bool
	s, err := Listen("http://127.0.0.1:0", reg, ready.Load, false, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	base := "http://" + s.Addr().String()
	body := get(t, base+"/metrics", 200)
	for _, want := range []string{
		`kafka_server_brokertopicmetrics_messagesin_total{topic="orders"} 10`,
		`kafka_server_brokertopicmetrics_bytesin_total{topic="orders"} 1000`,
		`kafka_server_brokertopicmetrics_failedproducerequests_total{topic="orders"} 1`,
		`kafka_server_brokertopicmetrics_totalproducerequests_total{topic="orders"} 2`,
		`kafka_server_brokertopicmetrics_bytesout_total{topic="orders"} 500`,
		`process_cpu_seconds_total`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	get(t, base+"/healthz", 200)
	get(t, base+"/readyz", 503)
	ready.Store(true)
	get(t, base+"/readyz", 200)
	get(t, base+"/debug/pprof/", 404) // only with metrics.pprof.enable
}

func TestPprofWhenEnabled(t *testing.T) {
	s, err := Listen("http://127.0.0.1:0", NewRegistry(), func() bool { return true }, true, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	base := "http://" + s.Addr().String()
	if body := get(t, base+"/debug/pprof/", 200); !strings.Contains(body, "goroutine") {
		t.Fatalf("pprof index lacks the goroutine profile: %.200s", body)
	}
	get(t, base+"/debug/pprof/goroutine?debug=1", 200)
}

func TestNilBrokerTopicIsNoop(t *testing.T) {
	var bt *BrokerTopic
	bt.Produced("x", 1, 1, false)
	bt.Fetched("x", 1, true)
	bt.Forget("x")
}

func TestListenRejectsBadURL(t *testing.T) {
	for _, u := range []string{"localhost:9644", "https://x:1", "http://"} {
		if _, err := Listen(u, NewRegistry(), func() bool { return true }, false, slog.New(slog.DiscardHandler)); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}

func get(t *testing.T, url string, wantStatus int) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("GET %s: status %d, want %d", url, resp.StatusCode, wantStatus)
	}
	return string(b)
}

func TestBrokerTopicServesZeroFailures(t *testing.T) {
	reg := NewRegistry()
	bt := NewBrokerTopic(reg)
	bt.Produced("t", 1, 10, false)
	for _, name := range []string{"kafka_server_brokertopicmetrics_failedproducerequests_total",
		"kafka_server_brokertopicmetrics_failedfetchrequests_total", "kafka_server_brokertopicmetrics_bytesout_total"} {
		if v := value(t, reg, name, map[string]string{"topic": "t"}); v != 0 {
			t.Errorf("%s = %v, want 0", name, v)
		}
	}
	bt.Forget("t")
	if _, ok := lookup(t, reg, "kafka_server_brokertopicmetrics_messagesin_total", map[string]string{"topic": "t"}); ok {
		t.Error("Forget kept the series")
	}
}
