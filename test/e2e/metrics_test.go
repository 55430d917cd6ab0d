package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// batchOverhead is a v2 record batch's header: base offset and length (12
// bytes) plus the 49 bytes franz-go's CompressedBytes leaves out.
const batchOverhead = 61

// startMetricsBroker starts a group-capable broker with metrics.listener
// on a free port and returns it with the listener's base URL.
func startMetricsBroker(t *testing.T) (*harness.Broker, string) {
	t.Helper()
	base := "http://127.0.0.1:" + strconv.Itoa(harness.FreePort(t))
	return startGroupBroker(t, map[string]string{"metrics.listener": base}), base
}

// TestMetrics produces known amounts to two topics, consumes them with a
// committing group, produces more, and checks the Kafka-named counters and
// the consumer lag the broker serves against what the clients did.
func TestMetrics(t *testing.T) {
	b, base := startMetricsBroker(t)
	sent := map[string]int{"metrics-a": 300, "metrics-b": 200}
	b.CreateTopic("metrics-a", 3, nil)
	b.CreateTopic("metrics-b", 2, nil)

	sizes := &batchSizes{bytes: map[string]int{}}
	cl := b.Client(kgo.WithHooks(sizes), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	for topic, n := range sent {
		produceTo(t, cl, topic, n)
	}

	t.Run("brokertopicmetrics", func(t *testing.T) {
		m := scrape(t, base)
		for topic, n := range sent {
			lbl := map[string]string{"topic": topic}
			checkMetric(t, m, "kafka_server_brokertopicmetrics_messagesin_total", lbl, float64(n))
			checkMetric(t, m, "kafka_server_brokertopicmetrics_bytesin_total", lbl, float64(sizes.get(topic)))
			// A failure counter appears with its first failure; absent is 0.
			if v, _ := m.lookup("kafka_server_brokertopicmetrics_failedproducerequests_total", lbl); v != 0 {
				t.Errorf("%s: %v failed produce requests", topic, v)
			}
			if v := m.get(t, "kafka_server_brokertopicmetrics_totalproducerequests_total", lbl); v < 1 {
				t.Errorf("%s: totalproducerequests %v", topic, v)
			}
		}
	})

	group := "metrics-group"
	consumeAllAndCommit(t, b, group, sent)
	more := 50
	produceTo(t, cl, "metrics-a", more)

	t.Run("consumer lag", func(t *testing.T) {
		adm := b.Admin()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		ends, err := adm.ListEndOffsets(ctx, "metrics-a", "metrics-b")
		if err != nil {
			t.Fatal(err)
		}
		committed, err := adm.FetchOffsets(ctx, group)
		if err != nil {
			t.Fatal(err)
		}
		total := 0.0
		harness.Eventually(t, 30*time.Second, func() error {
			m, err := scrapeOnce(base)
			if err != nil {
				return err
			}
			total = 0
			var errs []string
			ends.Each(func(o kadm.ListedOffset) {
				c, ok := committed.Lookup(o.Topic, o.Partition)
				if !ok {
					errs = append(errs, fmt.Sprintf("%s-%d: no commit", o.Topic, o.Partition))
					return
				}
				lbl := map[string]string{"consumergroup": group, "topic": o.Topic, "partition": strconv.Itoa(int(o.Partition))}
				want := float64(o.Offset - c.At)
				got, ok := m.lookup("kafka_consumergroup_lag", lbl)
				total += got
				if !ok || got != want {
					errs = append(errs, fmt.Sprintf("lag%v = %v (present %v), want %d-%d", lbl, got, ok, o.Offset, c.At))
				}
				cur, _ := m.lookup("kafka_topic_partition_current_offset", map[string]string{"topic": o.Topic, "partition": lbl["partition"]})
				if cur != float64(o.Offset) {
					errs = append(errs, fmt.Sprintf("current offset %s-%d = %v, want %d", o.Topic, o.Partition, cur, o.Offset))
				}
			})
			if len(errs) > 0 {
				return fmt.Errorf("%s", strings.Join(errs, "; "))
			}
			return nil
		})
		if total != float64(more) {
			t.Errorf("total lag %v, want the %d records produced after the commit", total, more)
		}
	})

	t.Run("node gauges", func(t *testing.T) {
		m := scrape(t, base)
		// Two topics (5 partitions) plus __consumer_offsets (3).
		checkMetric(t, m, "kafka_server_replicamanager_partitioncount", nil, 8)
		checkMetric(t, m, "kafka_server_replicamanager_leadercount", nil, 8)
		checkMetric(t, m, "kafka_server_replicamanager_underreplicatedpartitions", nil, 0)
		checkMetric(t, m, "kafka_controller_kafkacontroller_activecontrollercount", nil, 1)
		checkMetric(t, m, "kafka_controller_kafkacontroller_globaltopiccount", nil, 3)
		checkMetric(t, m, "kafka_controller_kafkacontroller_globalpartitioncount", nil, 8)
		checkMetric(t, m, "kafka_controller_kafkacontroller_offlinepartitionscount", nil, 0)
		checkMetric(t, m, "samsa_raft_state", map[string]string{"state": "Leader"}, 1)
		if v := m.get(t, "kafka_network_requestmetrics_requests_total", map[string]string{"request": "Produce"}); v < 1 {
			t.Errorf("Produce requests %v", v)
		}
		if v := m.get(t, "kafka_network_requestmetrics_totaltimems_count", map[string]string{"request": "Fetch"}); v < 1 {
			t.Errorf("Fetch timings %v", v)
		}
		if v := m.get(t, "kafka_log_log_size", map[string]string{"topic": "metrics-a", "partition": "0"}); v <= 0 {
			t.Errorf("log size %v", v)
		}
		if v := m.get(t, "samsa_network_open_connections", nil); v < 1 {
			t.Errorf("open connections %v with a client connected", v)
		}
		for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "samsa_raft_commit_index"} {
			m.get(t, name, nil)
		}
	})

	t.Run("startup summary", func(t *testing.T) {
		line := ""
		for _, l := range strings.Split(b.Log(), "\n") {
			if strings.Contains(l, `msg="samsa node started"`) {
				line = l
			}
		}
		for _, want := range []string{"node=1", "roles=broker,controller", "listeners=[" + b.Addr + "]",
			"log_dirs=" + b.LogDir, "metadata_dir=" + b.LogDir, "metrics=" + base} {
			if !strings.Contains(line, want) {
				t.Errorf("start-up line lacks %q: %q", want, line)
			}
		}
	})

	t.Run("grafana dashboard", func(t *testing.T) {
		served := map[string]bool{}
		for key := range scrape(t, base) {
			name, _, _ := strings.Cut(key, "{")
			served[name] = true
		}
		for _, name := range dashboardMetrics(t) {
			if !served[name] {
				t.Errorf("configs/grafana-dashboard.json queries %s, which the broker does not serve", name)
			}
		}
	})
}

// metricNameRE finds metric names in PromQL: Samsa's and Kafka's names and
// the Go runtime and process collectors' names.
var metricNameRE = regexp.MustCompile(`\b(?:kafka|samsa|go|process)_[a-z0-9_]+\b`)

// dashboardMetrics parses configs/grafana-dashboard.json and returns every
// metric name its panel queries and template variables use.
func dashboardMetrics(t *testing.T) []string {
	t.Helper()
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "configs", "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Type    string `json:"type"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("grafana-dashboard.json does not parse: %v", err)
	}
	var exprs []string
	for _, p := range dash.Panels {
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range dash.Templating.List {
		exprs = append(exprs, v.Definition)
	}
	seen := map[string]bool{}
	for _, e := range exprs {
		for _, name := range metricNameRE.FindAllString(e, -1) {
			seen[name] = true
		}
	}
	if dash.Title == "" || len(seen) < 20 {
		t.Fatalf("dashboard %q uses only %d metric names", dash.Title, len(seen))
	}
	return slices.Sorted(maps.Keys(seen))
}

// produceTo produces n records to topic and waits for every ack.
func produceTo(t *testing.T, cl *kgo.Client, topic string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var mu sync.Mutex
	var first error
	for i := range n {
		cl.Produce(ctx, &kgo.Record{Topic: topic, Value: fmt.Appendf(nil, "v-%d", i)}, func(_ *kgo.Record, err error) {
			mu.Lock()
			first = cmpErr(first, err)
			mu.Unlock()
		})
	}
	if err := cl.Flush(ctx); err != nil || first != nil {
		t.Fatalf("produce %d records to %s: %v %v", n, topic, err, first)
	}
}

// consumeAllAndCommit reads every record of the topics in a group, then
// commits synchronously and leaves.
func consumeAllAndCommit(t *testing.T, b *harness.Broker, group string, want map[string]int) {
	t.Helper()
	topics := make([]string, 0, len(want))
	total := 0
	for topic, n := range want {
		topics = append(topics, topic)
		total += n
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	got := 0
	for got < total {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d records: %v", got, total, err)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Logf("fetch %s-%d: %v", topic, p, err) })
		got += fs.NumRecords()
	}
	if err := cl.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatalf("commit: %v", err)
	}
}

// batchSizes adds up, per topic, the bytes of the batches franz-go got
// acknowledged: what the broker's bytesin counts.
type batchSizes struct {
	mu    sync.Mutex
	bytes map[string]int
}

func (s *batchSizes) OnProduceBatchWritten(_ kgo.BrokerMetadata, topic string, _ int32, m kgo.ProduceBatchMetrics) {
	s.mu.Lock()
	s.bytes[topic] += m.CompressedBytes + batchOverhead
	s.mu.Unlock()
}

func (s *batchSizes) get(topic string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes[topic]
}

// series is one scrape: value by series key (see seriesKey).
type series map[string]float64

var labelRE = regexp.MustCompile(`(\w+)="((?:[^"\\]|\\.)*)"`)

// seriesKey is name{k="v",...} with labels sorted by name.
func seriesKey(name string, labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, labels[k])
	}
	return name + "{" + strings.Join(parts, ",") + "}"
}

// lookup returns the value of the series name whose labels include
// labels (the sum when several match, e.g. across versions).
func (s series) lookup(name string, labels map[string]string) (float64, bool) {
	sum, found := 0.0, false
	for key, v := range s {
		n, rest, _ := strings.Cut(key, "{")
		if n != name {
			continue
		}
		ok := true
		for k, want := range labels {
			if !strings.Contains(rest, fmt.Sprintf("%s=%q", k, want)) {
				ok = false
				break
			}
		}
		if ok {
			sum, found = sum+v, true
		}
	}
	return sum, found
}

func (s series) get(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	v, ok := s.lookup(name, labels)
	if !ok {
		t.Errorf("metrics lack %s", seriesKey(name, labels))
	}
	return v
}

func checkMetric(t *testing.T, s series, name string, labels map[string]string, want float64) {
	t.Helper()
	if got, ok := s.lookup(name, labels); !ok || got != want {
		t.Errorf("%s = %v (present %v), want %v", seriesKey(name, labels), got, ok, want)
	}
}

func scrape(t *testing.T, base string) series {
	t.Helper()
	s, err := scrapeOnce(base)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// scrapeOnce fetches /metrics and parses the text exposition format.
func scrapeOnce(base string) (series, error) {
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(base + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("GET /metrics: %s: %s", resp.Status, b)
	}
	return parseExposition(resp.Body)
}

func parseExposition(r io.Reader) (series, error) {
	out := series{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			return nil, fmt.Errorf("bad metrics line %q", line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("bad value in %q: %w", line, err)
		}
		name, labelText, _ := strings.Cut(line[:i], "{")
		labels := map[string]string{}
		for _, m := range labelRE.FindAllStringSubmatch(labelText, -1) {
			labels[m[1]] = m[2]
		}
		out[seriesKey(name, labels)] = v
	}
	return out, sc.Err()
}

// TestMetricsUnderReplicatedInCluster stops a follower of a three-node
// cluster: kafka_server_replicamanager_underreplicatedpartitions summed
// over the live nodes rises (with ISR shrinks counted) while it is down and
// returns to 0 (with ISR expansions counted) once it is back and caught up.
func TestMetricsUnderReplicatedInCluster(t *testing.T) {
	c := harness.StartCluster(t, 3, nil)
	c.CreateTopic("urp", 3, 3, nil)
	produceTo(t, c.Client(kgo.RecordPartitioner(kgo.RoundRobinPartitioner())), "urp", 300)
	sum := func(name string) (float64, error) {
		total := 0.0
		for i, addr := range c.MetricsAddrs {
			if !c.Nodes[i].Running() {
				continue
			}
			m, err := scrapeOnce("http://" + addr)
			if err != nil {
				return 0, fmt.Errorf("node %d: %w", i+1, err)
			}
			v, _ := m.lookup(name, nil)
			total += v
		}
		return total, nil
	}
	want := func(name string, ok func(float64) bool, what string) {
		t.Helper()
		harness.Eventually(t, 60*time.Second, func() error {
			v, err := sum(name)
			if err != nil {
				return err
			}
			if !ok(v) {
				return fmt.Errorf("sum of %s over live nodes is %v, want %s", name, v, what)
			}
			return nil
		})
	}
	want("kafka_server_replicamanager_underreplicatedpartitions", func(v float64) bool { return v == 0 }, "0")
	want("kafka_controller_kafkacontroller_activecontrollercount", func(v float64) bool { return v == 1 }, "1")

	follower := c.Nodes[2]
	follower.Stop()
	// Every partition has node 3 as a replica: all three are short of it.
	want("kafka_server_replicamanager_underreplicatedpartitions", func(v float64) bool { return v == 3 }, "3")
	want("kafka_server_replicamanager_isrshrinks_total", func(v float64) bool { return v >= 1 }, ">= 1")
	want("kafka_controller_kafkacontroller_offlinepartitionscount", func(v float64) bool { return v == 0 }, "0")

	follower.Launch()
	want("kafka_server_replicamanager_underreplicatedpartitions", func(v float64) bool { return v == 0 }, "0 once node 3 caught up")
	want("kafka_server_replicamanager_isrexpands_total", func(v float64) bool { return v >= 1 }, ">= 1")
}
