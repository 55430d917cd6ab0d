package compat

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// The kafkajs tests run the Node.js scripts in node/ (kafkajs pinned in
// node/package-lock.json) against the samsa binary. Each script prints one
// JSON object as its last stdout line, which the test checks.

const (
	// kafkajsVersion is the version node/package.json pins.
	kafkajsVersion = "2.2.4"
	// npmCITimeout bounds installing kafkajs when node_modules is missing.
	npmCITimeout = 3 * time.Minute
	// kafkajsScriptTimeout bounds one script; each script has its own
	// shorter limit and exits on its own first.
	kafkajsScriptTimeout = 3 * time.Minute
)

// kafkajsEnv is the environment of the scripts: kafkajs' warning about its
// v2 default partitioner is noise here.
func kafkajsEnv() []string {
	return append(os.Environ(), "KAFKAJS_NO_PARTITIONER_WARNING=1")
}

// requireKafkaJS returns the node binary and the absolute path of node/,
// running `npm ci` there when kafkajs is not installed at the pinned
// version. A missing node or npm, or a failed install, skips the test or,
// with SAMSA_REQUIRE_TOOLS=1, fails it.
func requireKafkaJS(t *testing.T) (node, dir string) {
	t.Helper()
	node = harness.RequireTool(t, "node")
	dir, err := filepath.Abs("node")
	if err != nil {
		t.Fatal(err)
	}
	if installedKafkaJS(dir) == kafkajsVersion {
		return node, dir
	}
	npm := harness.RequireTool(t, "npm")
	ctx, cancel := context.WithTimeout(context.Background(), npmCITimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	cmd.WaitDelay = 2 * time.Second
	out, err := cmd.CombinedOutput()
	if err == nil && installedKafkaJS(dir) != kafkajsVersion {
		err = fmt.Errorf("node_modules/kafkajs is %q after npm ci, want %s", installedKafkaJS(dir), kafkajsVersion)
	}
	if err != nil {
		why := fmt.Sprintf("npm ci in %s (within %v): %v\n%s", dir, npmCITimeout, err, out)
		if os.Getenv("SAMSA_REQUIRE_TOOLS") == "1" {
			t.Fatalf("%s (required because SAMSA_REQUIRE_TOOLS=1; run `make deps`)", why)
		}
		t.Skipf("%s (set SAMSA_REQUIRE_TOOLS=1 to fail instead)", why)
	}
	return node, dir
}

// installedKafkaJS is the version in node_modules/kafkajs, "" if none.
func installedKafkaJS(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", "kafkajs", "package.json"))
	if err != nil {
		return ""
	}
	var pkg struct{ Version string }
	if json.Unmarshal(b, &pkg) != nil {
		return ""
	}
	return pkg.Version
}

// runKafkaJS runs node/<script> with args and decodes its JSON result into
// out, failing the test when the script fails or prints no result.
func runKafkaJS(t *testing.T, script string, out any, args ...string) {
	t.Helper()
	node, dir := requireKafkaJS(t)
	ctx, cancel := context.WithTimeout(context.Background(), kafkajsScriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{filepath.Join(dir, script)}, args...)...)
	cmd.Dir = dir
	cmd.Env = kafkajsEnv()
	cmd.WaitDelay = 2 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := harness.Result{Stdout: stdout.String(), Stderr: stderr.String(), Err: err}
	if err != nil {
		t.Fatalf("node %s %s: %s", script, strings.Join(args, " "), r)
	}
	decodeResult(t, script, r, out)
	t.Logf("%s (%v): %s", script, time.Since(start).Round(time.Millisecond), lastLine(r.Stdout))
}

func decodeResult(t *testing.T, script string, r harness.Result, out any) {
	t.Helper()
	if err := json.Unmarshal([]byte(lastLine(r.Stdout)), out); err != nil {
		t.Fatalf("%s printed no JSON result: %v\n%s", script, err, r)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// TestKafkaJSProduceConsumeGroups runs node/groups.js: admin createTopics
// (4 partitions), a producer with acks=-1 and GZIP, a consumer group
// (consumer.run eachMessage, commitOffsets) reading every record exactly
// once, committed offsets equal to the high watermarks, and a second
// member of the group resuming from the commit.
func TestKafkaJSProduceConsumeGroups(t *testing.T) {
	requireKafkaJS(t)
	b := harness.Start(t, groupProps)
	var res struct {
		Produced        int
		FirstRead       int `json:"first_read"`
		FirstPartitions int `json:"first_partitions"`
		SecondRead      int `json:"second_read"`
	}
	runKafkaJS(t, "groups.js", &res, b.Addr, "kafkajs-groups", "kafkajs-group")
	if res.FirstRead != 2000 || res.SecondRead != 500 || res.FirstPartitions != 4 {
		t.Fatalf("result %+v: want 2000 then 500 records, from 4 partitions", res)
	}
}

// TestKafkaJSAdmin runs node/admin.js: createTopics with a config,
// listTopics, fetchTopicMetadata, describeConfigs/alterConfigs,
// createPartitions, fetchTopicOffsets, fetchOffsets, listGroups,
// describeGroups and deleteTopics.
func TestKafkaJSAdmin(t *testing.T) {
	requireKafkaJS(t)
	b := harness.Start(t, groupProps)
	var res struct {
		RetentionAltered string `json:"retentionAltered"`
		Partitions       int
		Committed        []int
		Deleted          bool
	}
	runKafkaJS(t, "admin.js", &res, b.Addr, "kafkajs-admin", "kafkajs-admin-group")
	if res.RetentionAltered != "7200000" || res.Partitions != 4 || len(res.Committed) != 4 || !res.Deleted {
		t.Fatalf("result %+v", res)
	}
	r := harness.MustTool(t, 30*time.Second, "", "topics", "--bootstrap-server", b.Addr, "--list")
	if strings.Contains(r.Stdout, "kafkajs-admin\n") {
		t.Fatalf("topic deleted by kafkajs still listed:\n%s", r.Stdout)
	}
}

// TestKafkaJSIdempotentProducer runs node/idempotent.js (idempotent: true,
// maxInFlightRequests: 1, GZIP; every record read back once, in send order
// per partition), then checks with franz-go that every record on the log
// carries the one producer id and epoch, with no gap or duplicate.
func TestKafkaJSIdempotentProducer(t *testing.T) {
	requireKafkaJS(t)
	b := harness.Start(t, groupProps)
	const topic = "kafkajs-idempotent"
	var res struct {
		Produced, Read int
		Highs          []int
	}
	runKafkaJS(t, "idempotent.js", &res, b.Addr, topic)
	if res.Read != res.Produced || len(res.Highs) != 3 {
		t.Fatalf("result %+v", res)
	}
	checkProducerIDs(t, b, topic, res.Produced)
}

// checkProducerIDs reads topic from the start and checks that all n
// records carry the same producer id and epoch at offsets 0, 1, 2... per
// partition.
func checkProducerIDs(t *testing.T, b *harness.Broker, topic string, n int) {
	t.Helper()
	cl := b.Client(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var recs []*kgo.Record
	for len(recs) < n && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("poll: %v", err)
		}
		recs = append(recs, fs.Records()...)
	}
	if len(recs) != n {
		t.Fatalf("franz-go read %d records, want %d", len(recs), n)
	}
	pid, epoch := recs[0].ProducerID, recs[0].ProducerEpoch
	if pid < 0 || epoch < 0 {
		t.Fatalf("record has producer id %d epoch %d: not idempotent", pid, epoch)
	}
	next := map[int32]int64{}
	for _, r := range recs {
		if r.ProducerID != pid || r.ProducerEpoch != epoch {
			t.Fatalf("%s-%d@%d: producer %d/%d, want %d/%d", topic, r.Partition, r.Offset, r.ProducerID, r.ProducerEpoch, pid, epoch)
		}
		if r.Offset != next[r.Partition] {
			t.Fatalf("%s-%d: offset %d, want %d", topic, r.Partition, r.Offset, next[r.Partition])
		}
		next[r.Partition]++
	}
}

// TestKafkaJSTransactions runs node/transactions.js: a transactional
// producer commits a transaction with sendOffsets, aborts one, commits a
// third; readUncommitted: false sees only the committed records,
// readUncommitted: true all of them, and the group's offset is the one the
// committed transaction sent.
func TestKafkaJSTransactions(t *testing.T) {
	requireKafkaJS(t)
	props := maps.Clone(groupProps)
	props["transaction.state.log.replication.factor"] = "1"
	props["transaction.state.log.min.isr"] = "1"
	props["transaction.state.log.num.partitions"] = "3"
	b := harness.Start(t, props)
	var res struct {
		ReadCommitted   int `json:"read_committed"`
		ReadUncommitted int `json:"read_uncommitted"`
		GroupOffset     int `json:"group_offset"`
	}
	runKafkaJS(t, "transactions.js", &res, b.Addr, "kafkajs-txn-in", "kafkajs-txn-out", "kafkajs-txn-group")
	if res.ReadCommitted != 70 || res.ReadUncommitted != 110 || res.GroupOffset != 60 {
		t.Fatalf("result %+v: want 70 committed of 110 records, group offset 60", res)
	}
}

// TestKafkaJSCluster runs node/cluster.js against a three-node cluster,
// bootstrapped from node 2 alone: all three brokers in describeCluster and
// metadata, a replicated topic, and an idempotent producer that keeps
// producing while the test SIGKILLs a partition leader; every acknowledged
// record is read back exactly once.
func TestKafkaJSCluster(t *testing.T) {
	node, dir := requireKafkaJS(t)
	c := harness.StartCluster(t, 3, nil)
	bootstrap := c.Node(2).Addr
	ctx, cancel := context.WithTimeout(context.Background(), kafkajsScriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "cluster.js"), bootstrap, "kafkajs-cluster", "3")
	cmd.Dir = dir
	cmd.Env = kafkajsEnv()
	cmd.WaitDelay = 2 * time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdoutPipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node cluster.js: %v", err)
	}
	stdout, killed := followKillRequests(t, c, stdoutPipe, stdin)
	err = cmd.Wait()
	r := harness.Result{Stdout: stdout, Stderr: stderr.String(), Err: err}
	if err != nil {
		t.Fatalf("node cluster.js: %s", r)
	}
	var res struct {
		Brokers      []int32
		Killed       int32
		LeadersAfter []int32 `json:"leaders_after"`
		Acked, Read  int
	}
	decodeResult(t, "cluster.js", r, &res)
	t.Logf("cluster.js (%v): %s", time.Since(start).Round(time.Millisecond), lastLine(r.Stdout))
	if len(res.Brokers) != 3 || killed != res.Killed || res.Acked == 0 {
		t.Fatalf("result %+v; the test killed node %d", res, killed)
	}
	for _, l := range res.LeadersAfter {
		if l == killed {
			t.Fatalf("a partition is still led by the killed node %d: %v", killed, res.LeadersAfter)
		}
	}
}

// followKillRequests reads the script's stdout until it closes. On a
// "KILL <id>" line it SIGKILLs that node and answers "killed". It returns
// everything read and the node killed (0 if none).
func followKillRequests(t *testing.T, c *harness.Cluster, stdout io.Reader, stdin io.WriteCloser) (string, int32) {
	t.Helper()
	defer stdin.Close()
	var all strings.Builder
	var killed int32
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		all.WriteString(line + "\n")
		idText, ok := strings.CutPrefix(line, "KILL ")
		if !ok {
			continue
		}
		id, err := strconv.ParseInt(idText, 10, 32)
		if err != nil || killed != 0 {
			t.Errorf("unexpected kill request %q", line)
			continue
		}
		killed = int32(id)
		c.Node(killed).Kill()
		t.Logf("SIGKILLed node %d (a partition leader) mid-produce", killed)
		if _, err := io.WriteString(stdin, "killed\n"); err != nil {
			t.Errorf("tell the script: %v", err)
		}
	}
	return all.String(), killed
}
