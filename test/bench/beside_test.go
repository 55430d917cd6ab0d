package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// Each client run is bounded; none of these is a speed assertion.
const (
	// throughputToolTimeout bounds one ProducerPerformance or
	// ConsumerPerformance run (a JVM start and the whole load).
	throughputToolTimeout = 10 * time.Minute
	// e2eSlack is how much longer than its load the latency run may take.
	e2eSlack = 2 * time.Minute
	// topicTimeout bounds creating a topic and waiting for its leaders.
	topicTimeout = 60 * time.Second
	// consumeIdleMs is ConsumerPerformance's --timeout: the longest gap
	// between records before it gives up (and the run fails).
	consumeIdleMs = 30000
)

// clientJVM are the client JVMs' flags, the same for both targets.
var clientJVM = []string{"-Xms256m", "-Xmx512m", "-Djava.awt.headless=true"}

// BenchmarkBesideKafka runs the same load against the reference Apache
// Kafka 4.4 node and a samsa node, interleaved round by round, and prints
// each figure's median per target and the Samsa/Kafka ratio. It ignores b.N:
// run it with -benchtime=1x (`make bench`, see docs/bench.md).
func BenchmarkBesideKafka(b *testing.B) {
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		b.Fatal(err)
	}
	out := io.Writer(os.Stdout)
	if cfg.out != "" {
		f, err := os.Create(cfg.out)
		if err != nil {
			b.Fatalf("BENCH_OUT: %v", err)
		}
		defer f.Close()
		out = io.MultiWriter(os.Stdout, f)
	}
	hz, err := clockTicks()
	if err != nil {
		b.Fatal(err)
	}
	r := &runner{b: b, cfg: cfg, cp: harness.JavaClasspath(b), hz: hz}

	load1 := loadAverage()
	progress("starting the reference Kafka node and a samsa node")
	k := harness.StartKafka(b, nil)
	s := harness.Start(b, harness.SingleNodeProps())
	nodes := []node{
		{name: "kafka", addr: k.Addr, logDir: k.LogDir, pid: k.PID},
		{name: "samsa", addr: s.Addr, logDir: s.LogDir, pid: s.PID},
	}

	// Warm-up rounds (the JVM's JIT, both sides' page cache and
	// allocators) run the same load and are not counted. The order flips
	// every round (kafka samsa, samsa kafka, ...) so that neither side
	// always runs while the disk still writes back the other's data.
	samples := map[string][]Sample{}
	for i := range cfg.warmupRounds + cfg.rounds {
		round := fmt.Sprintf("round %d", i-cfg.warmupRounds+1)
		if i < cfg.warmupRounds {
			round = fmt.Sprintf("warm-up %d", i+1)
		}
		for _, n := range roundOrder(nodes, i) {
			sm := r.round(n, round, fmt.Sprintf("bench-%d", i+1))
			progress("%s %s: produce %.1f MiB/s, consume %.1f MiB/s, e2e p50 %.2f ms p99 %.2f ms, RSS %.0f MiB",
				round, n.name, sm.ProduceMiBs, sm.ConsumeMiBs, sm.E2EP50ms, sm.E2EP99ms, sm.RSSMiB)
			if i >= cfg.warmupRounds {
				samples[n.name] = append(samples[n.name], sm)
			}
		}
	}

	r.writeHeader(out, nodes, load1)
	rows := Summarize(samples["kafka"], samples["samsa"])
	WriteTable(out, rows)
	fmt.Fprintln(out)
	for _, note := range r.notes {
		fmt.Fprintf(out, "NOTE %s\n", note)
	}
	for _, row := range rows {
		fmt.Fprintf(out, "RATIO %-40s samsa/kafka = %s (%s is better)\n", row.Name, num(row.Ratio), betterWord(row))
		if !math.IsNaN(row.Ratio) {
			b.ReportMetric(row.Ratio, row.Key+"-samsa/kafka")
		}
	}
}

// roundOrder returns nodes in order for even rounds and reversed for odd
// ones.
func roundOrder(nodes []node, round int) []node {
	if round%2 == 0 {
		return nodes
	}
	rev := slices.Clone(nodes)
	slices.Reverse(rev)
	return rev
}

func betterWord(r Row) string {
	if r.HigherIsBetter {
		return "higher"
	}
	return "lower"
}

// config is the load, from BENCH_* environment variables (docs/bench.md).
type config struct {
	rounds       int
	warmupRounds int
	records      int
	recordSize   int
	partitions   int
	e2eRate      int
	e2eSeconds   int
	e2eWarmup    int
	out          string
}

// loadConfig reads the BENCH_* knobs, each with its default.
func loadConfig(getenv func(string) string) (config, error) {
	c := config{out: getenv("BENCH_OUT")}
	for _, k := range []struct {
		env string
		dst *int
		def int
		min int
	}{
		{"BENCH_ROUNDS", &c.rounds, 3, 1},
		{"BENCH_WARMUP_ROUNDS", &c.warmupRounds, 1, 0},
		{"BENCH_RECORDS", &c.records, 200_000, 1},
		{"BENCH_RECORD_SIZE", &c.recordSize, 1024, 16},
		{"BENCH_PARTITIONS", &c.partitions, 3, 1},
		{"BENCH_E2E_RATE", &c.e2eRate, 2000, 1},
		{"BENCH_E2E_SECONDS", &c.e2eSeconds, 20, 1},
		{"BENCH_E2E_WARMUP_SECONDS", &c.e2eWarmup, 3, 0},
	} {
		*k.dst = k.def
		v := getenv(k.env)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return c, fmt.Errorf("%s=%q: %w", k.env, v, err)
		}
		if n < k.min {
			return c, fmt.Errorf("%s=%d: want at least %d", k.env, n, k.min)
		}
		*k.dst = n
	}
	return c, nil
}

// node is one broker under load.
type node struct {
	name   string
	addr   string
	logDir string
	pid    func() int
}

// runner runs the load's phases with the test/java module's classpath.
type runner struct {
	b   *testing.B
	cfg config
	cp  string
	hz  int64 // clock ticks per second, for /proc/PID/stat
	// notes are caveats met on the way, repeated under the report.
	notes []string
}

// round runs produce, consume and fixed-rate end-to-end latency against n
// on fresh topics and reads the broker's CPU and memory around them.
func (r *runner) round(n node, round, topic string) Sample {
	r.b.Helper()
	cfg := r.cfg
	took := r.createTopic(n, topic)

	progress("%s %s: produce %d records of %d bytes, acks=all (topic ready in %v)",
		round, n.name, cfg.records, cfg.recordSize, took.Round(time.Millisecond))
	cpu0 := r.cpuSeconds(n)
	pout := r.java(n, throughputToolTimeout, "org.apache.kafka.tools.ProducerPerformance",
		"--bootstrap-server", n.addr, "--topic", topic,
		"--num-records", strconv.Itoa(cfg.records), "--record-size", strconv.Itoa(cfg.recordSize),
		"--throughput", "-1", "--command-property", "acks=all")
	cpu1 := r.cpuSeconds(n)
	pr, err := ParseProducerPerf(pout.stdout)
	if err != nil {
		r.b.Fatalf("%s: %v\n%s", n.name, err, pout.stdout)
	}
	if pr.Records != int64(cfg.records) {
		r.b.Fatalf("%s: ProducerPerformance sent %d records, want %d\n%s", n.name, pr.Records, cfg.records, pout.stdout)
	}
	producedMiB := float64(cfg.records) * float64(cfg.recordSize) / (1 << 20)

	progress("%s %s: consume them", round, n.name)
	cout := r.java(n, throughputToolTimeout, "org.apache.kafka.tools.ConsumerPerformance",
		"--bootstrap-server", n.addr, "--topic", topic, "--num-records", strconv.Itoa(cfg.records),
		"--timeout", strconv.Itoa(consumeIdleMs))
	cpu2 := r.cpuSeconds(n)
	cr, err := ParseConsumerPerf(cout.stdout)
	if err != nil {
		r.b.Fatalf("%s: %v\n%s", n.name, err, cout.stdout)
	}
	if cr.Records < int64(cfg.records) {
		r.b.Fatalf("%s: ConsumerPerformance read %d records, want %d\n%s", n.name, cr.Records, cfg.records, cout.stdout)
	}

	e2eTopic := topic + "-e2e"
	took = r.createTopic(n, e2eTopic)
	progress("%s %s: e2e latency at %d records/s for %d s (+%d s warm-up; topic ready in %v)",
		round, n.name, cfg.e2eRate, cfg.e2eSeconds, cfg.e2eWarmup, took.Round(time.Millisecond))
	eout := r.java(n, time.Duration(cfg.e2eSeconds+cfg.e2eWarmup)*time.Second+e2eSlack,
		"io.samsa.javatest.bench.FixedRateLatency", n.addr, e2eTopic,
		strconv.Itoa(cfg.e2eRate), strconv.Itoa(cfg.e2eSeconds), strconv.Itoa(cfg.recordSize),
		strconv.Itoa(cfg.e2eWarmup))
	er, err := ParseE2E(eout.stdout)
	if err != nil {
		r.b.Fatalf("%s: %v\n%s", n.name, err, eout.stdout)
	}
	if er.Rate < 0.95*float64(cfg.e2eRate) {
		note := fmt.Sprintf("%s %s: the e2e producer reached only %.0f of %d records/s; its latency includes the backlog",
			round, n.name, er.Rate, cfg.e2eRate)
		r.notes = append(r.notes, note)
		progress("NOTE %s", note)
	}

	sm := Sample{
		ProduceMiBs:            pr.MiBSec,
		ConsumeMiBs:            cr.FetchMiBSec,
		ProduceCPUPerMiB:       (cpu1 - cpu0) / producedMiB,
		ConsumeCPUPerMiB:       (cpu2 - cpu1) / cr.MiB,
		ProduceClientCPUPerMiB: pout.cpu / producedMiB,
		ConsumeClientCPUPerMiB: cout.cpu / cr.MiB,
		E2EP50ms:               er.P50ms,
		E2EP99ms:               er.P99ms,
	}
	r.goClientPhases(n, round, topic+"-go", &sm)
	sm.RSSMiB, sm.PeakRSSMiB = r.memory(n)
	return sm
}

// java runs a main class of the test/java classpath (the Kafka 4.4 tools
// or FixedRateLatency) and returns its stdout, failing the benchmark when
// it exits non-zero or outlives timeout.
func (r *runner) java(n node, timeout time.Duration, main string, args ...string) clientRun {
	r.b.Helper()
	jargs := append(append(append([]string{}, clientJVM...), "-cp", r.cp, main), args...)
	return r.runClient(n, timeout, "java", jargs...)
}

// createTopic creates topic with cfg.partitions partitions and
// replication factor 1, waits until every partition has a leader and
// returns how long that took, for the progress lines.
func (r *runner) createTopic(n node, topic string) time.Duration {
	r.b.Helper()
	start := time.Now()
	cl, err := kgo.NewClient(kgo.SeedBrokers(n.addr))
	if err != nil {
		r.b.Fatalf("%s: client: %v", n.name, err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), topicTimeout)
	defer cancel()
	resp, err := adm.CreateTopic(ctx, int32(r.cfg.partitions), 1, nil, topic)
	if err != nil {
		r.b.Fatalf("%s: create topic %s: %v (%s)", n.name, topic, err, resp.ErrMessage)
	}
	// A direct Metadata request each time: kadm's Metadata is answered
	// from franz-go's cache for up to 5 s (MetadataMinAge), which would
	// make a topic whose first answer said LEADER_NOT_AVAILABLE look
	// unready for that long.
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	harness.Eventually(r.b, topicTimeout, func() error {
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return err
		}
		if len(resp.Topics) != 1 {
			return fmt.Errorf("topic %s: metadata lists %d topics", topic, len(resp.Topics))
		}
		td := resp.Topics[0]
		if err := kerr.ErrorForCode(td.ErrorCode); err != nil || len(td.Partitions) != r.cfg.partitions {
			return fmt.Errorf("topic %s: %d partitions, err %v", topic, len(td.Partitions), err)
		}
		for _, p := range td.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil || p.Leader < 0 {
				return fmt.Errorf("topic %s partition %d: leader %d, err %v", topic, p.Partition, p.Leader, err)
			}
		}
		return nil
	})
	return time.Since(start)
}

// cpuSeconds is the broker process's user+system CPU time so far.
func (r *runner) cpuSeconds(n node) float64 {
	r.b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", r.pidOf(n)))
	if err != nil {
		r.b.Fatalf("%s: %v", n.name, err)
	}
	ticks, err := CPUTicks(string(data))
	if err != nil {
		r.b.Fatalf("%s: %v", n.name, err)
	}
	return float64(ticks) / float64(r.hz)
}

// memory returns the broker's VmRSS and VmHWM in MiB.
func (r *runner) memory(n node) (rss, hwm float64) {
	r.b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", r.pidOf(n)))
	if err != nil {
		r.b.Fatalf("%s: %v", n.name, err)
	}
	rssKiB, err := StatusKiB(string(data), "VmRSS")
	if err != nil {
		r.b.Fatalf("%s: %v", n.name, err)
	}
	hwmKiB, err := StatusKiB(string(data), "VmHWM")
	if err != nil {
		r.b.Fatalf("%s: %v", n.name, err)
	}
	return float64(rssKiB) / 1024, float64(hwmKiB) / 1024
}

func (r *runner) pidOf(n node) int {
	r.b.Helper()
	pid := n.pid()
	if pid == 0 {
		r.b.Fatalf("%s: the broker is not running", n.name)
	}
	return pid
}

// writeHeader says what ran where: machine, versions, the load, the
// client, and each side's durability as its broker reports it for a topic
// the load used.
func (r *runner) writeHeader(w io.Writer, nodes []node, load1 string) {
	cfg := r.cfg
	fmt.Fprintf(w, "\n== Samsa beside Apache Kafka 4.4.0 (%s)\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "machine: %d CPUs, load average at start %s, %s\n", runtime.NumCPU(), load1, runtime.Version())
	fmt.Fprintf(w, "java:    %s\n", javaVersion())
	fmt.Fprintf(w, "samsa:   %s\n", gitDescribe())
	fmt.Fprintf(w, "load:    %d warm-up and %d counted rounds, interleaved (kafka samsa, samsa kafka, ...); each on fresh topics of %d partitions (RF 1):\n",
		cfg.warmupRounds, cfg.rounds, cfg.partitions)
	fmt.Fprintf(w, "         produce %d records of %d B, acks=all, unthrottled (ProducerPerformance);\n", cfg.records, cfg.recordSize)
	fmt.Fprintf(w, "         consume them (ConsumerPerformance, fetch.MB.sec: group join excluded);\n")
	fmt.Fprintf(w, "         e2e latency at %d records/s for %d s after %d s warm-up, acks=all (test/java FixedRateLatency)\n",
		cfg.e2eRate, cfg.e2eSeconds, cfg.e2eWarmup)
	fmt.Fprintf(w, "         then produce and consume %d records again with franz-go (samsa producer-perf-test, tool defaults, acks=all;\n", cfg.records)
	fmt.Fprintf(w, "         samsa consumer-perf-test), rows marked (franz-go)\n")
	fmt.Fprintf(w, "client:  Apache Kafka 4.4.0 Java client for both, client JVM %s; franz-go: the samsa binary for both\n", strings.Join(clientJVM, " "))
	fmt.Fprintf(w, "brokers: kafka JVM -Xms256m -Xmx1g (harness.StartKafka); each node's defaults plus harness.SingleNodeProps\n")
	fmt.Fprintf(w, "CPU:     broker utime+stime from /proc/PID/stat around each phase, per MiB of record values;\n")
	fmt.Fprintf(w, "         client CPU: the client process's utime+stime (rusage), JVM start included\n")
	for _, n := range nodes {
		fmt.Fprintf(w, "%-7s  %s, data in %s, durability: %s\n", n.name+":", n.addr, n.logDir, r.durability(n, "bench-1"))
	}
	fmt.Fprintln(w)
}

// durability reports the topic's flush.messages and flush.ms as the broker
// describes them: Long.MAX_VALUE (Kafka's default) means no fsync per
// write, the page cache and replication making records durable.
func (r *runner) durability(n node, topic string) string {
	cl, err := kgo.NewClient(kgo.SeedBrokers(n.addr))
	if err != nil {
		return "unknown: " + err.Error()
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rcs, err := kadm.NewClient(cl).DescribeTopicConfigs(ctx, topic)
	if err != nil {
		return "unknown: " + err.Error()
	}
	rc, err := rcs.On(topic, nil)
	if err != nil {
		return "unknown: " + err.Error()
	}
	vals := map[string]string{}
	for _, c := range rc.Configs {
		vals[c.Key] = c.MaybeValue()
	}
	return DescribeFlush(vals["flush.messages"], vals["flush.ms"])
}

// DescribeFlush renders a topic's flush.messages and flush.ms for the
// report header.
func DescribeFlush(messages, ms string) string {
	const never = "9223372036854775807"
	if messages == never && ms == never {
		return "flush.messages=flush.ms=Long.MAX (no fsync per write: page cache, as Kafka's default)"
	}
	show := func(v string) string {
		if v == "" {
			return "(not reported)"
		}
		return v
	}
	return fmt.Sprintf("flush.messages=%s flush.ms=%s", show(messages), show(ms))
}

// clockTicks returns the kernel's USER_HZ, the unit of /proc/PID/stat's
// CPU times.
func clockTicks() (int64, error) {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err != nil {
		return 0, fmt.Errorf("getconf CLK_TCK: %w", err)
	}
	hz, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil || hz <= 0 {
		return 0, fmt.Errorf("getconf CLK_TCK: %q: %w", out, err)
	}
	return hz, nil
}

func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func javaVersion() string {
	out, err := exec.Command("java", "-version").CombinedOutput()
	if err != nil {
		return "unknown: " + err.Error()
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(first)
}

func gitDescribe() string {
	out, err := exec.Command("git", "describe", "--tags", "--always", "--dirty").Output()
	if err != nil {
		return "unknown (not a git checkout)"
	}
	return strings.TrimSpace(string(out))
}

// progress writes a timestamped line to stderr as the run goes.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench %s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}
