package bench

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func TestParseProducerPerf(t *testing.T) {
	// A progress line (no percentiles), then the summary, as
	// ProducerPerformance 4.4 prints them.
	out := "99946 records sent, 19985.2 records/sec (19.52 MB/sec), 812.3 ms avg latency, 1504.0 ms max latency.\n" +
		"200000 records sent, 21045.880221 records/sec (20.55 MB/sec), 805.41 ms avg latency, 1519.00 ms max latency, 790 ms 50th, 1400 ms 95th, 1480 ms 99th, 1510 ms 99.9th.\n"
	got, err := ParseProducerPerf(out)
	if err != nil {
		t.Fatal(err)
	}
	want := ProducerResult{Records: 200000, RecordsSec: 21045.880221, MiBSec: 20.55, AvgMs: 805.41, P99Ms: 1480}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}

	if _, err := ParseProducerPerf(strings.SplitAfter(out, "\n")[0]); err == nil {
		t.Error("a progress line alone parsed as a summary")
	}
	if _, err := ParseProducerPerf("200000 records sent, fast records/sec (20.55 MB/sec), 1 ms avg latency, 2 ms max latency, 1 ms 50th, 1 ms 95th, 1 ms 99th, 1 ms 99.9th.\n"); err == nil {
		t.Error("a non-numeric rate parsed")
	}
}

func TestParseProducerPerfDecimalComma(t *testing.T) {
	out := "10 records sent, 5,500000 records/sec (0,01 MB/sec), 3,50 ms avg latency, 9,00 ms max latency, 3 ms 50th, 8 ms 95th, 9 ms 99th, 9 ms 99.9th.\n"
	got, err := ParseProducerPerf(out)
	if err != nil {
		t.Fatal(err)
	}
	if got.RecordsSec != 5.5 || got.MiBSec != 0.01 || got.AvgMs != 3.5 {
		t.Errorf("got %+v", got)
	}
}

func TestParseConsumerPerf(t *testing.T) {
	out := "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n" +
		"2026-12-07 18:09:14:123, 2026-12-07 18:09:18:123, 195.3125, 48.8281, 200000, 50000.0000, 3012, 988, 197.6847, 202429.1498\n"
	got, err := ParseConsumerPerf(out)
	if err != nil {
		t.Fatal(err)
	}
	want := ConsumerResult{MiB: 195.3125, Records: 200000, RebalanceMs: 3012, FetchMs: 988, FetchMiBSec: 197.6847}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}

	early := "WARNING: Exiting before consuming the expected number of messages: timeout (30000 ms) exceeded. You can use the --timeout option to increase the timeout.\n" + out
	if _, err := ParseConsumerPerf(early); err == nil {
		t.Error("an early exit parsed as a result")
	}
	if _, err := ParseConsumerPerf("start.time, end.time\n"); err == nil {
		t.Error("a header without a line parsed")
	}
}

func TestParseE2E(t *testing.T) {
	out := "some log line\ne2e sent=46000 received=46000 samples=40000 errors=0 rate=1999.8 p50_ms=2.125 p99_ms=9.500 p999_ms=20.000 max_ms=31.250\n"
	got, err := ParseE2E(out)
	if err != nil {
		t.Fatal(err)
	}
	want := E2EResult{Sent: 46000, Received: 46000, Samples: 40000, Rate: 1999.8, P50ms: 2.125, P99ms: 9.5, P999ms: 20, MaxMs: 31.25}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if _, err := ParseE2E("e2e sent=1 received=1\n"); err == nil {
		t.Error("a line missing fields parsed")
	}
	if _, err := ParseE2E("nothing here\n"); err == nil {
		t.Error("output without a result line parsed")
	}
}

func TestCPUTicks(t *testing.T) {
	// A command name with a space and a parenthesis; utime 1234, stime 56.
	stat := "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 56 0 0 20 0 42 0 100 1000 200\n"
	got, err := CPUTicks(stat)
	if err != nil {
		t.Fatal(err)
	}
	if got != 1290 {
		t.Errorf("CPUTicks = %d, want 1290", got)
	}
	if _, err := CPUTicks("4242 (samsa) S 1 2"); err == nil {
		t.Error("a short stat parsed")
	}
}

func TestStatusKiB(t *testing.T) {
	status := "Name:\tsamsa\nVmPeak:\t 1300000 kB\nVmHWM:\t   40960 kB\nVmRSS:\t   26112 kB\n"
	for key, want := range map[string]int64{"VmHWM": 40960, "VmRSS": 26112} {
		got, err := StatusKiB(status, key)
		if err != nil || got != want {
			t.Errorf("StatusKiB(%s) = %d, %v; want %d", key, got, err, want)
		}
	}
	if _, err := StatusKiB(status, "VmSwap"); err == nil {
		t.Error("a missing key parsed")
	}
}

func TestMedianAndRatio(t *testing.T) {
	if got := Median([]float64{5, 1, 3}); got != 3 {
		t.Errorf("median of 5 1 3 = %v", got)
	}
	if got := Median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("median of 4 1 3 2 = %v", got)
	}
	if !math.IsNaN(Median(nil)) {
		t.Error("median of nothing is not NaN")
	}
	if got := Ratio(30, 120); got != 0.25 {
		t.Errorf("Ratio(30, 120) = %v", got)
	}
	if !math.IsNaN(Ratio(1, 0)) || !math.IsNaN(Ratio(math.NaN(), 1)) {
		t.Error("a ratio over zero or of NaN is not NaN")
	}
}

func TestSummarize(t *testing.T) {
	kafka := []Sample{{ProduceMiBs: 100, E2EP99ms: 10}, {ProduceMiBs: 80, E2EP99ms: 30}, {ProduceMiBs: 90, E2EP99ms: 20}}
	samsa := []Sample{{ProduceMiBs: 45, E2EP99ms: 5}, {ProduceMiBs: 50, E2EP99ms: 6}, {ProduceMiBs: 40, E2EP99ms: 4}}
	rows := Summarize(kafka, samsa)
	if len(rows) != len(Metrics) {
		t.Fatalf("%d rows, want %d", len(rows), len(Metrics))
	}
	byKey := map[string]Row{}
	for _, r := range rows {
		byKey[r.Key] = r
	}
	if r := byKey["produce"]; r.KafkaMedian != 90 || r.SamsaMedian != 45 || r.Ratio != 0.5 || !r.HigherIsBetter {
		t.Errorf("produce row %+v", r)
	}
	if r := byKey["e2e-p99"]; r.KafkaMedian != 20 || r.SamsaMedian != 5 || r.Ratio != 0.25 || r.HigherIsBetter {
		t.Errorf("e2e-p99 row %+v", r)
	}
	if r := byKey["rss"]; !math.IsNaN(r.Ratio) {
		t.Errorf("rss ratio with a zero Kafka median = %v, want NaN", r.Ratio)
	}

	var buf bytes.Buffer
	WriteTable(&buf, rows)
	for _, want := range []string{"produce", "90.0", "45.0", "0.50", "higher", "100 80.0 90.0 | 45.0 50.0 40.0", "n/a"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestLoadConfig(t *testing.T) {
	env := map[string]string{"BENCH_ROUNDS": "5", "BENCH_RECORD_SIZE": "2048"}
	c, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.rounds != 5 || c.recordSize != 2048 || c.records != 200_000 || c.e2eRate != 2000 {
		t.Errorf("config %+v", c)
	}
	for _, bad := range []map[string]string{{"BENCH_ROUNDS": "0"}, {"BENCH_RECORDS": "many"}, {"BENCH_RECORD_SIZE": "8"}} {
		if _, err := loadConfig(func(k string) string { return bad[k] }); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestDescribeFlush(t *testing.T) {
	const never = "9223372036854775807"
	if got := DescribeFlush(never, never); !strings.Contains(got, "no fsync per write") {
		t.Errorf("Long.MAX both: %q", got)
	}
	if got := DescribeFlush("1", ""); got != "flush.messages=1 flush.ms=(not reported)" {
		t.Errorf("fsync per message: %q", got)
	}
}

func TestRoundOrderFlips(t *testing.T) {
	nodes := []node{{name: "kafka"}, {name: "samsa"}}
	var got []string
	for round := range 4 {
		for _, n := range roundOrder(nodes, round) {
			got = append(got, n.name)
		}
	}
	want := "kafka samsa samsa kafka kafka samsa samsa kafka"
	if strings.Join(got, " ") != want {
		t.Errorf("order %v, want %s", got, want)
	}
	if nodes[0].name != "kafka" {
		t.Error("roundOrder reordered its argument")
	}
}
