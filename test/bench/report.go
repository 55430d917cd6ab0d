package bench

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Sample is what one round measured on one target.
type Sample struct {
	ProduceMiBs      float64 // ProducerPerformance's MB/sec (MiB/s), acks=all
	ConsumeMiBs      float64 // ConsumerPerformance's fetch.MB.sec (MiB/s, group join excluded)
	ProduceCPUPerMiB float64 // broker CPU seconds (user+system) per MiB produced
	ConsumeCPUPerMiB float64 // broker CPU seconds per MiB consumed
	// The client process's CPU seconds per MiB (Java tools, JVM start
	// included): when it is near the phase's whole time, the client, not
	// the broker, set the MiB/s.
	ProduceClientCPUPerMiB float64
	ConsumeClientCPUPerMiB float64
	// The same produce and consume with franz-go (samsa's perf tools).
	GoProduceMiBs            float64
	GoConsumeMiBs            float64
	GoProduceCPUPerMiB       float64 // broker
	GoConsumeCPUPerMiB       float64 // broker
	GoProduceClientCPUPerMiB float64
	GoConsumeClientCPUPerMiB float64
	E2EP50ms                 float64 // fixed-rate produce-to-consume latency, median
	E2EP99ms                 float64 // and 99th percentile
	RSSMiB                   float64 // broker VmRSS after the round
	PeakRSSMiB               float64 // broker VmHWM after the round
}

// Metric is one figure of the report.
type Metric struct {
	Name string
	Unit string
	// Key names the metric in `go test -bench` output (no spaces).
	Key string
	// HigherIsBetter says which way a Samsa/Kafka ratio above 1 points.
	HigherIsBetter bool
	Of             func(Sample) float64
}

// Metrics are the report's rows, in order.
var Metrics = []Metric{
	{"produce", "MiB/s", "produce", true, func(s Sample) float64 { return s.ProduceMiBs }},
	{"consume", "MiB/s", "consume", true, func(s Sample) float64 { return s.ConsumeMiBs }},
	{"broker CPU per MiB produced", "ms", "cpu/MiB-produce", false, func(s Sample) float64 { return s.ProduceCPUPerMiB * 1000 }},
	{"broker CPU per MiB consumed", "ms", "cpu/MiB-consume", false, func(s Sample) float64 { return s.ConsumeCPUPerMiB * 1000 }},
	{"client CPU per MiB produced", "ms", "client-cpu/MiB-produce", false, func(s Sample) float64 { return s.ProduceClientCPUPerMiB * 1000 }},
	{"client CPU per MiB consumed", "ms", "client-cpu/MiB-consume", false, func(s Sample) float64 { return s.ConsumeClientCPUPerMiB * 1000 }},
	{"produce (franz-go)", "MiB/s", "go-produce", true, func(s Sample) float64 { return s.GoProduceMiBs }},
	{"consume (franz-go)", "MiB/s", "go-consume", true, func(s Sample) float64 { return s.GoConsumeMiBs }},
	{"broker CPU per MiB produced (franz-go)", "ms", "go-cpu/MiB-produce", false, func(s Sample) float64 { return s.GoProduceCPUPerMiB * 1000 }},
	{"broker CPU per MiB consumed (franz-go)", "ms", "go-cpu/MiB-consume", false, func(s Sample) float64 { return s.GoConsumeCPUPerMiB * 1000 }},
	{"client CPU per MiB produced (franz-go)", "ms", "go-client-cpu/MiB-produce", false, func(s Sample) float64 { return s.GoProduceClientCPUPerMiB * 1000 }},
	{"client CPU per MiB consumed (franz-go)", "ms", "go-client-cpu/MiB-consume", false, func(s Sample) float64 { return s.GoConsumeClientCPUPerMiB * 1000 }},
	{"e2e latency p50", "ms", "e2e-p50", false, func(s Sample) float64 { return s.E2EP50ms }},
	{"e2e latency p99", "ms", "e2e-p99", false, func(s Sample) float64 { return s.E2EP99ms }},
	{"broker RSS after load", "MiB", "rss", false, func(s Sample) float64 { return s.RSSMiB }},
	{"broker peak RSS (VmHWM)", "MiB", "rss-peak", false, func(s Sample) float64 { return s.PeakRSSMiB }},
}

// Median returns the median of xs (the mean of the middle two for an even
// count), or NaN for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Ratio returns samsa/kafka, or NaN when kafka is zero or either is NaN.
func Ratio(samsa, kafka float64) float64 {
	if kafka == 0 || math.IsNaN(samsa) || math.IsNaN(kafka) {
		return math.NaN()
	}
	return samsa / kafka
}

// Row is one metric's medians and ratio.
type Row struct {
	Metric
	Kafka, Samsa []float64 // per round
	KafkaMedian  float64
	SamsaMedian  float64
	Ratio        float64 // Samsa/Kafka of the medians
}

// Summarize computes every metric's medians and Samsa/Kafka ratio.
func Summarize(kafka, samsa []Sample) []Row {
	rows := make([]Row, 0, len(Metrics))
	for _, m := range Metrics {
		r := Row{Metric: m}
		for _, s := range kafka {
			r.Kafka = append(r.Kafka, m.Of(s))
		}
		for _, s := range samsa {
			r.Samsa = append(r.Samsa, m.Of(s))
		}
		r.KafkaMedian, r.SamsaMedian = Median(r.Kafka), Median(r.Samsa)
		r.Ratio = Ratio(r.SamsaMedian, r.KafkaMedian)
		rows = append(rows, r)
	}
	return rows
}

// WriteTable prints the rows: medians, the ratio, which way is better, and
// every round's value so the spread shows.
func WriteTable(w io.Writer, rows []Row) {
	fmt.Fprintf(w, "%-40s %-6s %10s %10s %12s  %-7s  %s\n",
		"metric", "unit", "kafka", "samsa", "samsa/kafka", "better", "rounds kafka | samsa")
	for _, r := range rows {
		better := "lower"
		if r.HigherIsBetter {
			better = "higher"
		}
		fmt.Fprintf(w, "%-40s %-6s %10s %10s %12s  %-7s  %s | %s\n",
			r.Name, r.Unit, num(r.KafkaMedian), num(r.SamsaMedian), num(r.Ratio), better,
			nums(r.Kafka), nums(r.Samsa))
	}
}

func num(x float64) string {
	switch {
	case math.IsNaN(x):
		return "n/a"
	case math.Abs(x) >= 100:
		return strconv.FormatFloat(x, 'f', 0, 64)
	case math.Abs(x) >= 10:
		return strconv.FormatFloat(x, 'f', 1, 64)
	default:
		return strconv.FormatFloat(x, 'f', 2, 64)
	}
}

func nums(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = num(x)
	}
	return strings.Join(parts, " ")
}

// ProducerResult is ProducerPerformance's final summary line.
type ProducerResult struct {
	Records    int64
	RecordsSec float64
	MiBSec     float64 // the tool's "MB/sec" is bytes/2^20 per second
	AvgMs      float64
	P99Ms      float64
}

// ParseProducerPerf reads the summary line that
// org.apache.kafka.tools.ProducerPerformance prints last:
//
//	N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency, P ms 50th, P ms 95th, P ms 99th, P ms 99.9th.
//
// Progress lines printed during the run have no percentiles.
func ParseProducerPerf(out string) (ProducerResult, error) {
	var line string
	for l := range strings.Lines(out) {
		if strings.Contains(l, " records sent, ") && strings.Contains(l, " 99th") {
			line = strings.TrimSpace(l)
		}
	}
	if line == "" {
		return ProducerResult{}, errors.New("producer perf: no summary line")
	}
	var r ProducerResult
	var err error
	fields := strings.Split(strings.TrimSuffix(line, "."), ", ")
	if len(fields) < 7 {
		return r, fmt.Errorf("producer perf: summary %q: want 7 or more fields", line)
	}
	// With --warmup-records the tool also prints "N steady state records sent".
	count := strings.TrimSuffix(strings.TrimSuffix(fields[0], " records sent"), " steady state")
	if r.Records, err = strconv.ParseInt(count, 10, 64); err != nil {
		return r, fmt.Errorf("producer perf: records in %q: %w", line, err)
	}
	// "R records/sec (M MB/sec)"
	rate, mib, ok := strings.Cut(fields[1], " records/sec (")
	if !ok {
		return r, fmt.Errorf("producer perf: rate in %q", line)
	}
	if r.RecordsSec, err = parseNum(rate); err != nil {
		return r, fmt.Errorf("producer perf: %w", err)
	}
	if r.MiBSec, err = parseNum(strings.TrimSuffix(mib, " MB/sec)")); err != nil {
		return r, fmt.Errorf("producer perf: %w", err)
	}
	if r.AvgMs, err = parseNum(strings.TrimSuffix(fields[2], " ms avg latency")); err != nil {
		return r, fmt.Errorf("producer perf: %w", err)
	}
	for _, f := range fields[3:] {
		if v, ok := strings.CutSuffix(f, " ms 99th"); ok {
			if r.P99Ms, err = parseNum(v); err != nil {
				return r, fmt.Errorf("producer perf: %w", err)
			}
		}
	}
	return r, nil
}

// ConsumerResult is ConsumerPerformance's summary line.
type ConsumerResult struct {
	MiB         float64 // data.consumed.in.MB (bytes/2^20)
	Records     int64
	RebalanceMs int64
	FetchMs     int64
	FetchMiBSec float64 // fetch.MB.sec: throughput without the group join
}

// ParseConsumerPerf reads the line under ConsumerPerformance's header
// "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg,
// nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec".
// The tool's warning that it stopped early is an error.
func ParseConsumerPerf(out string) (ConsumerResult, error) {
	var r ConsumerResult
	if strings.Contains(out, "WARNING: Exiting before consuming") {
		return r, errors.New("consumer perf: stopped before consuming every record")
	}
	var line string
	header := false
	for l := range strings.Lines(out) {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "start.time, end.time,") {
			header = true
			continue
		}
		if header && l != "" {
			line = l
			break
		}
	}
	if line == "" {
		return r, errors.New("consumer perf: no summary line")
	}
	f := strings.Split(line, ", ")
	if len(f) != 10 {
		return r, fmt.Errorf("consumer perf: summary %q: %d fields, want 10", line, len(f))
	}
	var err error
	if r.MiB, err = parseNum(f[2]); err != nil {
		return r, fmt.Errorf("consumer perf: %w", err)
	}
	if r.Records, err = strconv.ParseInt(f[4], 10, 64); err != nil {
		return r, fmt.Errorf("consumer perf: records: %w", err)
	}
	if r.RebalanceMs, err = strconv.ParseInt(f[6], 10, 64); err != nil {
		return r, fmt.Errorf("consumer perf: rebalance time: %w", err)
	}
	if r.FetchMs, err = strconv.ParseInt(f[7], 10, 64); err != nil {
		return r, fmt.Errorf("consumer perf: fetch time: %w", err)
	}
	if r.FetchMiBSec, err = parseNum(f[8]); err != nil {
		return r, fmt.Errorf("consumer perf: %w", err)
	}
	return r, nil
}

// E2EResult is FixedRateLatency's (test/java) one-line result.
type E2EResult struct {
	Sent, Received, Samples, Errors int64
	Rate                            float64 // achieved send rate, records/s
	P50ms, P99ms, P999ms, MaxMs     float64
}

// ParseE2E reads the "e2e key=value ..." line of FixedRateLatency.
func ParseE2E(out string) (E2EResult, error) {
	var r E2EResult
	var line string
	for l := range strings.Lines(out) {
		if strings.HasPrefix(l, "e2e ") {
			line = strings.TrimSpace(l)
		}
	}
	if line == "" {
		return r, errors.New("e2e: no result line")
	}
	ints := map[string]*int64{"sent": &r.Sent, "received": &r.Received, "samples": &r.Samples, "errors": &r.Errors}
	floats := map[string]*float64{"rate": &r.Rate, "p50_ms": &r.P50ms, "p99_ms": &r.P99ms, "p999_ms": &r.P999ms, "max_ms": &r.MaxMs}
	seen := 0
	for _, kv := range strings.Fields(line)[1:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return r, fmt.Errorf("e2e: %q in %q: want key=value", kv, line)
		}
		var err error
		if p, ok := ints[k]; ok {
			*p, err = strconv.ParseInt(v, 10, 64)
			seen++
		} else if p, ok := floats[k]; ok {
			*p, err = parseNum(v)
			seen++
		}
		if err != nil {
			return r, fmt.Errorf("e2e: %s: %w", k, err)
		}
	}
	if seen != len(ints)+len(floats) {
		return r, fmt.Errorf("e2e: %q: want %d fields, found %d", line, len(ints)+len(floats), seen)
	}
	return r, nil
}

// parseNum parses a decimal the Java tools printed with %f, accepting a
// decimal comma from a non-English default locale.
func parseNum(s string) (float64, error) {
	s = strings.TrimSpace(s)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil && strings.Count(s, ",") == 1 && !strings.Contains(s, ".") {
		v, err = strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
	}
	if err != nil {
		return 0, fmt.Errorf("number %q: %w", s, err)
	}
	return v, nil
}

// CPUTicks returns utime+stime, in clock ticks, from the contents of
// /proc/PID/stat: fields 14 and 15, counted after the parenthesised command
// name, which may itself hold spaces and parentheses.
func CPUTicks(stat string) (int64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("proc stat: no ')' after the command name")
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state), so field n is f[n-3].
	if len(f) < 13 {
		return 0, fmt.Errorf("proc stat: %d fields after the command name, want 13 or more", len(f))
	}
	utime, err := strconv.ParseInt(f[11], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("proc stat: utime: %w", err)
	}
	stime, err := strconv.ParseInt(f[12], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("proc stat: stime: %w", err)
	}
	return utime + stime, nil
}

// StatusKiB returns a "Key:   N kB" value from the contents of
// /proc/PID/status (VmRSS, VmHWM).
func StatusKiB(status, key string) (int64, error) {
	for l := range strings.Lines(status) {
		v, ok := strings.CutPrefix(l, key+":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("proc status: %s: %q: want N kB", key, strings.TrimSpace(v))
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("proc status: %s: %w", key, err)
		}
		return n, nil
	}
	return 0, fmt.Errorf("proc status: no %s line", key)
}
