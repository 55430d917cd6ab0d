package kafkatools

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// toolTimeout bounds one tool run (a JVM start plus its requests).
const toolTimeout = 90 * time.Second

// jvmFlags make each short-lived tool JVM start faster.
var jvmFlags = []string{"-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss512k"}

// tools runs Kafka's tool main classes against one target and compares
// their normalised output with the reference target's.
type tools struct {
	t  *testing.T
	cp string
	tg harness.Target
	// check names the running check; with a step name it keys ref.
	check string
	// ref holds the reference (Kafka) outputs by check and step; the Kafka
	// run fills it and the Samsa run compares against it.
	ref map[string]string
}

// run runs main with args, feeding stdin, and fails the test unless it exits 0.
func (x *tools) run(stdin, main string, args ...string) harness.Result {
	x.t.Helper()
	r := x.try(stdin, main, args...)
	if r.Err != nil {
		x.t.Fatalf("%s %s: %s", main, strings.Join(args, " "), r)
	}
	return r
}

// try runs main with args, feeding stdin, whatever its exit status.
func (x *tools) try(stdin, main string, args ...string) harness.Result {
	x.t.Helper()
	jargs := append(append([]string{}, jvmFlags...), "-cp", x.cp, main)
	return harness.Run(toolTimeout, stdin, "java", append(jargs, args...)...)
}

// same compares got (already normalised) with the reference output of step:
// the Kafka run records it, the Samsa run must match it.
func (x *tools) same(step, got string) {
	x.t.Helper()
	key := x.check + "/" + step
	if x.tg.Name == "kafka" {
		x.ref[key] = got
		return
	}
	want, ok := x.ref[key]
	if !ok {
		x.t.Logf("%s: no Kafka output to compare with (kafka subtest not run)", step)
		return
	}
	if got == want {
		return
	}
	msg := fmt.Sprintf("%s: output differs from Kafka's\n--- kafka:\n%s\n--- %s:\n%s", step, want, x.tg.Name, got)
	if why, ok := knownDiffs[key]; ok && os.Getenv(strictEnv) != "1" {
		x.t.Logf("KNOWN SAMSA DIFFERENCE, not failed in make test (%s=1 fails it): %s\n%s", strictEnv, why, msg)
		return
	}
	x.t.Error(msg)
}

// strictEnv set to "1" fails the known differences too.
const strictEnv = "SAMSA_KAFKATOOLS_STRICT"

// knownDiffs are the steps (check/step) whose Samsa output is known to
// differ from Kafka's, with why: Samsa gaps left for later, logged in full
// on every run instead of failing make test.
var knownDiffs = map[string]string{}

// writeFile writes content into a new file in the test's temp dir.
func (x *tools) writeFile(name, content string) string {
	x.t.Helper()
	p := filepath.Join(x.t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		x.t.Fatal(err)
	}
	return p
}

var normalisers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`TopicId: \S+`), "TopicId: <id>"},
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:<port>"},
	{regexp.MustCompile(`localhost:\d+`), "127.0.0.1:<port>"},
	{regexp.MustCompile(`(console-consumer|consumer-[\w.-]+-\d+|console-producer|producer-\d+)-[0-9a-f]{8}-[0-9a-f-]{27}`), "$1-<uuid>"},
	{regexp.MustCompile(`"log_dirs":\["/[^"]*"`), `"log_dirs":["<dir>"`},
	{regexp.MustCompile(`(?m)^\[\d{4}-\d\d-\d\d [\d:,]+\] `), "[<time>] "},
}

// norm replaces what legitimately differs between two nodes (ids, ports),
// collapses runs of blanks (column widths follow content) and trims lines.
func norm(s string) string {
	for _, n := range normalisers {
		s = n.re.ReplaceAllString(s, n.with)
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		out = append(out, strings.Join(strings.Fields(l), " "))
	}
	return strings.Join(out, "\n")
}

// sortedLines normalises s and sorts its lines.
func sortedLines(s string) string {
	lines := strings.Split(norm(s), "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// kafkaProps and samsaProps turn on the ACL authorizer on both targets, the
// PLAINTEXT principal (User:ANONYMOUS) a super user, so that every other
// tool runs as it would without one.
func authzProps() map[string]string {
	return map[string]string{
		"authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
		"super.users":           "User:ANONYMOUS",
	}
}

func TestKafkaTools(t *testing.T) {
	cp := harness.JavaClasspath(t)
	ref := map[string]string{}
	// Static voters on both sides: Samsa's quorum is static, and the
	// metadata-quorum tool shows a dynamic one's directory ids.
	harness.ForEachStaticTarget(t, authzProps(), authzProps(), func(t *testing.T, tg harness.Target) {
		x := &tools{t: t, cp: cp, tg: tg, ref: ref}
		start := time.Now()
		for _, c := range checks {
			t.Run(c.name, func(t *testing.T) {
				sub := *x
				sub.t = t
				sub.check = c.name
				c.fn(&sub)
			})
		}
		t.Logf("%s: all tools took %v", tg.Name, time.Since(start).Round(time.Millisecond))
	})
}

// checks run in order on one node per target; later ones use the topics
// and groups that earlier ones create.
var checks = []struct {
	name string
	fn   func(x *tools)
}{
	{"topics", checkTopics},
	{"console", checkConsole},
	{"get-offsets", checkGetOffsets},
	{"consumer-groups", checkConsumerGroups},
	{"active-groups", checkActiveGroups},
	{"configs", checkConfigs},
	{"delete-records", checkDeleteRecords},
	{"broker-api-versions", checkBrokerAPIVersions},
	{"metadata-quorum", checkMetadataQuorum},
	{"perf", checkPerf},
	{"log-dirs", checkLogDirs},
	{"cluster", checkCluster},
	{"leader-election", checkLeaderElection},
	{"reassign", checkReassign},
	{"transactions", checkTransactions},
	{"acls", checkACLs},
	{"features", checkFeatures},
	{"wire-4.4", checkWire44}, // kafka44_wire_test.go
}

const (
	topicCmd = "org.apache.kafka.tools.TopicCommand"
	bsFlag   = "--bootstrap-server"
)

func checkTopics(x *tools) {
	bs := x.tg.Bootstrap
	r := x.run("", topicCmd, bsFlag, bs, "--create", "--topic", "t1", "--partitions", "3",
		"--replication-factor", "1", "--config", "retention.ms=86400000")
	x.same("create", norm(r.Stdout))
	if !strings.Contains(r.Stdout, "Created topic t1.") {
		x.t.Errorf("create: %s", r)
	}
	x.run("", topicCmd, bsFlag, bs, "--create", "--topic", "t2", "--partitions", "1", "--replication-factor", "1")
	r = x.run("", topicCmd, bsFlag, bs, "--list")
	x.same("list", norm(r.Stdout))
	r = x.run("", topicCmd, bsFlag, bs, "--describe", "--topic", "t1")
	x.same("describe", norm(r.Stdout))
	if !strings.Contains(r.Stdout, "PartitionCount: 3\tReplicationFactor: 1\tConfigs: ") ||
		!strings.Contains(r.Stdout, "retention.ms=86400000") {
		x.t.Errorf("describe: %s", r)
	}
	x.run("", topicCmd, bsFlag, bs, "--alter", "--topic", "t2", "--partitions", "2")
	r = x.run("", topicCmd, bsFlag, bs, "--describe", "--topic", "t2")
	x.same("describe after alter", norm(r.Stdout))
	x.run("", topicCmd, bsFlag, bs, "--create", "--topic", "gone", "--partitions", "1", "--replication-factor", "1")
	r = x.run("", topicCmd, bsFlag, bs, "--delete", "--topic", "gone")
	x.same("delete", norm(r.Stdout))
	r = x.try("", topicCmd, bsFlag, bs, "--describe", "--topic", "nosuch")
	x.same("describe missing", fmt.Sprintf("failed=%v %s", r.Err != nil, lastLineWith(r.Stderr+r.Stdout, "nosuch")))
}

// outcome is a command's exit (ok or failed), its normalised stdout and the
// last line of its stderr that names an exception.
func outcome(r harness.Result) string {
	return fmt.Sprintf("failed=%v\n%s\n%s", r.Err != nil, norm(r.Stdout), lastLineWith(r.Stderr, "Exception"))
}

// lastLineWith returns the last line of s that contains sub, normalised.
func lastLineWith(s, sub string) string {
	lines := strings.Split(s, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], sub) {
			return norm(lines[i])
		}
	}
	return ""
}

const (
	producerCmd = "org.apache.kafka.tools.ConsoleProducer"
	consumerCmd = "org.apache.kafka.tools.consumer.ConsoleConsumer"
)

// records are keyed so that both brokers place them on the same partitions.
func records(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "k%d:v%d\n", i, i)
	}
	return b.String()
}

func checkConsole(x *tools) {
	bs := x.tg.Bootstrap
	x.run(records(9), producerCmd, bsFlag, bs, "--topic", "t1",
		"--property", "parse.key=true", "--property", "key.separator=:")
	for _, g := range []struct{ group, protocol string }{{"g1", "classic"}, {"g2", "consumer"}} {
		r := x.run("", consumerCmd, bsFlag, bs, "--topic", "t1", "--from-beginning", "--max-messages", "9",
			"--timeout-ms", "30000", "--group", g.group, "--command-property", "group.protocol="+g.protocol,
			"--formatter-property", "print.key=true", "--formatter-property", "print.partition=true",
			"--formatter-property", "key.separator=:")
		x.same("consume "+g.protocol, sortedLines(r.Stdout))
		if n := strings.Count(r.Stdout, "Partition:"); n != 9 {
			x.t.Errorf("consume %s: %d lines, want 9: %s", g.protocol, n, r)
		}
		if !strings.Contains(r.Stderr, "Processed a total of 9 messages") {
			x.t.Errorf("consume %s: no total: %s", g.protocol, r)
		}
	}
}

const offsetsCmd = "org.apache.kafka.tools.GetOffsetShell"

func checkGetOffsets(x *tools) {
	bs := x.tg.Bootstrap
	r := x.run("", offsetsCmd, bsFlag, bs, "--topic", "t1")
	x.same("latest", sortedLines(r.Stdout))
	r = x.run("", offsetsCmd, bsFlag, bs, "--topic", "t1", "--time", "-2")
	x.same("earliest", sortedLines(r.Stdout))
	if sortedLines(r.Stdout) != "t1:0:0\nt1:1:0\nt1:2:0" {
		x.t.Errorf("earliest: %s", r)
	}
	r = x.run("", offsetsCmd, bsFlag, bs, "--topic-partitions", "t1:0,t2")
	x.same("topic-partitions", sortedLines(r.Stdout))
}

const groupsCmd = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"

func checkConsumerGroups(x *tools) {
	bs := x.tg.Bootstrap
	r := x.run("", groupsCmd, bsFlag, bs, "--list")
	x.same("list", sortedLines(r.Stdout))
	for _, g := range []string{"g1", "g2"} {
		r = x.run("", groupsCmd, bsFlag, bs, "--describe", "--group", g)
		x.same("describe "+g, sortedLines(r.Stdout))
		if !strings.Contains(r.Stdout, "CURRENT-OFFSET") {
			x.t.Errorf("describe %s: %s", g, r)
		}
		r = x.run("", groupsCmd, bsFlag, bs, "--describe", "--group", g, "--state")
		x.same("describe state "+g, sortedLines(stripCoordinator(r.Stdout)))
		r = x.run("", groupsCmd, bsFlag, bs, "--describe", "--group", g, "--members")
		x.same("describe members "+g, sortedLines(r.Stdout))
	}
	r = x.run("", "org.apache.kafka.tools.GroupsCommand", bsFlag, bs, "--list")
	x.same("groups list", sortedLines(r.Stdout))
	r = x.run("", groupsCmd, bsFlag, bs, "--list", "--state")
	x.same("list state", sortedLines(r.Stdout))
	r = x.run("", groupsCmd, bsFlag, bs, "--reset-offsets", "--group", "g1", "--topic", "t1",
		"--to-earliest", "--execute")
	x.same("reset earliest", sortedLines(r.Stdout))
	r = x.run("", groupsCmd, bsFlag, bs, "--reset-offsets", "--group", "g2", "--topic", "t1:1",
		"--to-offset", "1", "--dry-run")
	x.same("reset dry-run", sortedLines(r.Stdout))
	r = x.run("", groupsCmd, bsFlag, bs, "--describe", "--group", "g1")
	x.same("describe after reset", sortedLines(r.Stdout))
	r = x.run("", groupsCmd, bsFlag, bs, "--delete-offsets", "--group", "g2", "--topic", "t1")
	x.same("delete-offsets", sortedLines(r.Stdout))
	r = x.run("", groupsCmd, bsFlag, bs, "--delete", "--group", "g1")
	x.same("delete", norm(r.Stdout))
	r = x.run("", groupsCmd, bsFlag, bs, "--list")
	x.same("list after delete", sortedLines(r.Stdout))
}

// stripCoordinator replaces the coordinator column ("127.0.0.1:port (1)")
// of a --state table.
func stripCoordinator(s string) string {
	return regexp.MustCompile(`\S+:\d+\s+\(\d+\)`).ReplaceAllString(s, "<coordinator>")
}

const configCmd = "org.apache.kafka.tools.ConfigCommand"

func checkConfigs(x *tools) {
	bs := x.tg.Bootstrap
	r := x.run("", configCmd, bsFlag, bs, "--entity-type", "topics", "--entity-name", "t2",
		"--alter", "--add-config", "retention.ms=1000,cleanup.policy=compact")
	x.same("alter topic", norm(r.Stdout))
	r = x.run("", configCmd, bsFlag, bs, "--entity-type", "topics", "--entity-name", "t2", "--describe")
	x.same("describe topic", sortedLines(r.Stdout))
	r = x.run("", configCmd, bsFlag, bs, "--entity-type", "topics", "--entity-name", "t2",
		"--alter", "--delete-config", "cleanup.policy")
	x.same("delete topic config", norm(r.Stdout))
	r = x.run("", configCmd, bsFlag, bs, "--entity-type", "topics", "--entity-name", "t2", "--describe")
	x.same("describe topic after delete", sortedLines(r.Stdout))
	r = x.try("", configCmd, bsFlag, bs, "--entity-type", "brokers", "--entity-name", "1",
		"--alter", "--add-config", "log.cleaner.threads=2")
	x.same("alter broker", outcome(r))
	r = x.run("", configCmd, bsFlag, bs, "--entity-type", "brokers", "--entity-name", "1", "--describe")
	x.same("describe broker", sortedLines(r.Stdout))
	r = x.try("", configCmd, bsFlag, bs, "--entity-type", "brokers", "--entity-default",
		"--alter", "--add-config", "log.retention.ms=604800000")
	x.same("alter broker default", outcome(r))
	r = x.run("", configCmd, bsFlag, bs, "--entity-type", "brokers", "--entity-default", "--describe")
	x.same("describe broker default", sortedLines(r.Stdout))
	r = x.run("", configCmd, bsFlag, bs, "--entity-type", "users", "--entity-name", "alice",
		"--alter", "--add-config", "producer_byte_rate=1024")
	x.same("alter user quota", norm(r.Stdout))
	r = x.run("", configCmd, bsFlag, bs, "--entity-type", "users", "--entity-name", "alice", "--describe")
	x.same("describe user quota", sortedLines(r.Stdout))
}

const deleteRecordsCmd = "org.apache.kafka.tools.DeleteRecordsCommand"

func checkDeleteRecords(x *tools) {
	bs := x.tg.Bootstrap
	// Which partition holds how many records is the same on both (keyed).
	r := x.run("", offsetsCmd, bsFlag, bs, "--topic", "t1", "--partitions", "0")
	f := x.writeFile("delete.json", `{"partitions":[{"topic":"t1","partition":0,"offset":1}],"version":1}`)
	if strings.TrimSpace(r.Stdout) == "t1:0:0" {
		x.t.Fatalf("t1-0 is empty: %s", r)
	}
	r = x.run("", deleteRecordsCmd, bsFlag, bs, "--offset-json-file", f)
	x.same("delete", norm(r.Stdout))
	if !strings.Contains(r.Stdout, "low_watermark: 1") {
		x.t.Errorf("delete: %s", r)
	}
	r = x.run("", offsetsCmd, bsFlag, bs, "--topic", "t1", "--time", "-2")
	x.same("earliest after", sortedLines(r.Stdout))
}

const apiVersionsCmd = "org.apache.kafka.tools.BrokerApiVersionsCommand"

var apiLine = regexp.MustCompile(`^\t(\w+)\((\d+)\): (\d+( to \d+)? \[usable: \d+\]|UNSUPPORTED),?$`)

func checkBrokerAPIVersions(x *tools) {
	r := x.run("", apiVersionsCmd, bsFlag, x.tg.Bootstrap)
	lines := strings.Split(strings.TrimRight(r.Stdout, "\n"), "\n")
	if len(lines) < 3 || !regexp.MustCompile(`^127\.0\.0\.1:\d+ \(id: 1 rack: null isFenced: false\) -> \($`).MatchString(lines[0]) || lines[len(lines)-1] != ")" {
		x.t.Fatalf("shape: %s", r)
	}
	usable := map[string]bool{}
	for _, l := range lines[1 : len(lines)-1] {
		m := apiLine.FindStringSubmatch(l)
		if m == nil {
			x.t.Errorf("line %q does not match %v", l, apiLine)
			continue
		}
		usable[m[1]] = m[3] != "UNSUPPORTED"
	}
	for _, api := range []string{"Produce", "Fetch", "ListOffsets", "Metadata", "OffsetCommit", "OffsetFetch",
		"FindCoordinator", "JoinGroup", "Heartbeat", "SyncGroup", "ApiVersions", "CreateTopics", "DeleteTopics",
		"InitProducerId", "DescribeConfigs", "IncrementalAlterConfigs", "ConsumerGroupHeartbeat"} {
		if !usable[api] {
			x.t.Errorf("%s not usable: %s", api, r)
		}
	}
}

const quorumCmd = "org.apache.kafka.tools.MetadataQuorumCommand"

// quorumStatusExact are the --status keys whose values both targets must
// print alike; the others (cluster id, epoch, high watermark) are the
// node's own.
var quorumStatusExact = map[string]bool{
	"LeaderId": true, "MaxFollowerLag": true, "MaxFollowerLagTimeMs": true,
	"CurrentVoters": true, "CurrentObservers": true,
}

// quorumStatus keeps every "Key: value" line of --status, the value only
// for quorumStatusExact keys.
func quorumStatus(s string) string {
	var out []string
	for _, l := range strings.Split(norm(s), "\n") {
		k, v, _ := strings.Cut(l, ":")
		if !quorumStatusExact[k] {
			v = " <value>"
		}
		out = append(out, k+":"+v)
	}
	return strings.Join(out, "\n")
}

// Both targets have a static voter set of one node (ForEachStaticTarget),
// so --status must print the same voters, with their endpoints and without
// directory ids, and --replication the same rows but for offsets and times.
func checkMetadataQuorum(x *tools) {
	bs := x.tg.Bootstrap
	r := x.run("", quorumCmd, bsFlag, bs, "describe", "--status")
	x.same("status", quorumStatus(r.Stdout))
	if !regexp.MustCompile(`(?m)^LeaderId:\s+1$`).MatchString(r.Stdout) ||
		!regexp.MustCompile(`(?m)^CurrentVoters:\s+\[\{"id": 1, "endpoints": \["CONTROLLER://127\.0\.0\.1:\d+"\]\}\]$`).MatchString(r.Stdout) {
		x.t.Errorf("status: %s", r)
	}
	r = x.run("", quorumCmd, bsFlag, bs, "describe", "--replication")
	lines := strings.Split(norm(r.Stdout), "\n")
	x.same("replication header", lines[0])
	// NodeId DirectoryId LogEndOffset Lag LastFetchTimestamp
	// LastCaughtUpTimestamp Status: offsets and times are the node's own.
	number := regexp.MustCompile(`^\d+$`)
	rows := []string{}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) != 7 || !number.MatchString(f[2]) || !number.MatchString(f[4]) || !number.MatchString(f[5]) {
			x.t.Errorf("replication row %q: want 7 columns, offset and times known", l)
			continue
		}
		rows = append(rows, strings.Join([]string{f[0], f[1], f[3], f[6]}, " "))
	}
	x.same("replication rows", strings.Join(rows, "\n"))
}

const (
	producerPerfCmd = "org.apache.kafka.tools.ProducerPerformance"
	consumerPerfCmd = "org.apache.kafka.tools.ConsumerPerformance"
)

func checkPerf(x *tools) {
	bs := x.tg.Bootstrap
	x.run("", topicCmd, bsFlag, bs, "--create", "--topic", "perf", "--partitions", "2", "--replication-factor", "1")
	r := x.run("", producerPerfCmd, "--topic", "perf", "--num-records", "2000", "--record-size", "100",
		"--throughput", "-1", "--producer-props", "bootstrap.servers="+bs, "acks=all")
	if !regexp.MustCompile(`(?m)^2000 records sent, [\d.]+ records/sec \([\d.]+ MB/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99.9th.$`).MatchString(r.Stdout) {
		x.t.Errorf("producer perf: %s", r)
	}
	r = x.run("", consumerPerfCmd, bsFlag, bs, "--topic", "perf", "--num-records", "2000", "--timeout", "30000")
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	x.same("consumer header", lines[0])
	if len(lines) != 2 {
		x.t.Fatalf("consumer perf: %s", r)
	}
	cols := strings.Split(lines[1], ", ")
	if len(cols) < 5 || cols[4] != "2000" {
		x.t.Errorf("consumer perf nMsg: %s", r)
	}
}

const logDirsCmd = "org.apache.kafka.tools.LogDirsCommand"

func checkLogDirs(x *tools) {
	r := x.run("", logDirsCmd, bsFlag, x.tg.Bootstrap, "--describe", "--topic-list", "t1,t2")
	out := regexp.MustCompile(`"size":\d+`).ReplaceAllString(r.Stdout, `"size":<n>`)
	out = regexp.MustCompile(`"logDir":"[^"]*"`).ReplaceAllString(out, `"logDir":<dir>`)
	// The partitions' order is the broker's map order: compare them sorted.
	parts := regexp.MustCompile(`\{"partition":[^}]*\}`)
	list := parts.FindAllString(out, -1)
	sort.Strings(list)
	x.same("describe", norm(parts.ReplaceAllString(out, "<partition>"))+"\n"+strings.Join(list, "\n"))
}

const clusterCmd = "org.apache.kafka.tools.ClusterTool"

func checkCluster(x *tools) {
	bs := x.tg.Bootstrap
	r := x.run("", clusterCmd, "cluster-id", bsFlag, bs)
	if !regexp.MustCompile(`^Cluster ID: \S+\n$`).MatchString(r.Stdout) {
		x.t.Errorf("cluster-id: %s", r)
	}
	r = x.run("", clusterCmd, "list-endpoints", bsFlag, bs)
	x.same("list-endpoints", norm(regexp.MustCompile(`127\.0\.0\.1\s+\d+`).ReplaceAllString(r.Stdout, "127.0.0.1 <port>")))
}

const electionCmd = "org.apache.kafka.tools.LeaderElectionCommand"

func checkLeaderElection(x *tools) {
	bs := x.tg.Bootstrap
	r := x.try("", electionCmd, bsFlag, bs, "--election-type", "preferred", "--topic", "t1", "--partition", "0")
	x.same("preferred one", fmt.Sprintf("failed=%v\n%s", r.Err != nil, norm(r.Stdout)))
	r = x.try("", electionCmd, bsFlag, bs, "--election-type", "unclean", "--all-topic-partitions")
	x.same("unclean all", fmt.Sprintf("failed=%v\n%s", r.Err != nil, norm(r.Stdout)))
}

const reassignCmd = "org.apache.kafka.tools.reassign.ReassignPartitionsCommand"

func checkReassign(x *tools) {
	bs := x.tg.Bootstrap
	topics := x.writeFile("topics.json", `{"topics":[{"topic":"t2"}],"version":1}`)
	r := x.run("", reassignCmd, bsFlag, bs, "--generate", "--topics-to-move-json-file", topics, "--broker-list", "1")
	x.same("generate", norm(r.Stdout))
	plan := x.writeFile("plan.json", `{"version":1,"partitions":[{"topic":"t2","partition":0,"replicas":[1]},{"topic":"t2","partition":1,"replicas":[1]}]}`)
	r = x.run("", reassignCmd, bsFlag, bs, "--execute", "--reassignment-json-file", plan)
	x.same("execute", norm(r.Stdout))
	r = x.run("", reassignCmd, bsFlag, bs, "--verify", "--reassignment-json-file", plan)
	x.same("verify", norm(r.Stdout))
	r = x.run("", reassignCmd, bsFlag, bs, "--list")
	x.same("list", norm(r.Stdout))
}

const txnCmd = "org.apache.kafka.tools.TransactionsCommand"

func checkTransactions(x *tools) {
	bs := x.tg.Bootstrap
	x.run("", topicCmd, bsFlag, bs, "--create", "--topic", "tx", "--partitions", "1", "--replication-factor", "1")
	x.run("", producerPerfCmd, "--topic", "tx", "--num-records", "10", "--record-size", "10",
		"--throughput", "-1", "--transactional-id", "tx1", "--transaction-duration-ms", "100",
		"--producer-props", "bootstrap.servers="+bs)
	r := x.run("", txnCmd, bsFlag, bs, "list")
	lines := strings.Split(norm(r.Stdout), "\n")
	x.same("list header", lines[0])
	if !strings.Contains(r.Stdout, "tx1") {
		x.t.Errorf("list: %s", r)
	}
	r = x.run("", txnCmd, bsFlag, bs, "describe", "--transactional-id", "tx1")
	lines = strings.Split(norm(r.Stdout), "\n")
	x.same("describe header", lines[0])
	if len(lines) != 2 || !strings.Contains(lines[1], "tx1") {
		x.t.Errorf("describe: %s", r)
	}
	r = x.run("", txnCmd, bsFlag, bs, "describe-producers", "--topic", "tx", "--partition", "0")
	lines = strings.Split(norm(r.Stdout), "\n")
	x.same("describe-producers header", lines[0])
	// Epochs and sequences differ: Kafka 4.4 bumps the epoch per
	// transaction (transaction.version 2), Samsa does not.
	x.same("describe-producers rows", fmt.Sprint(len(lines)))
}

const aclCmd = "org.apache.kafka.tools.AclCommand"

func checkACLs(x *tools) {
	bs := x.tg.Bootstrap
	r := x.run("", aclCmd, bsFlag, bs, "--add", "--allow-principal", "User:alice", "--operation", "Read",
		"--operation", "Describe", "--topic", "t1")
	x.same("add", sortedLines(r.Stdout))
	r = x.run("", aclCmd, bsFlag, bs, "--add", "--allow-principal", "User:alice", "--operation", "Read",
		"--group", "app-", "--resource-pattern-type", "prefixed")
	x.same("add prefixed", sortedLines(r.Stdout))
	r = x.run("", aclCmd, bsFlag, bs, "--list", "--topic", "t1")
	x.same("list topic", sortedLines(r.Stdout))
	r = x.run("", aclCmd, bsFlag, bs, "--list", "--principal", "User:alice")
	x.same("list principal", sortedLines(r.Stdout))
	r = x.run("", aclCmd, bsFlag, bs, "--remove", "--force", "--allow-principal", "User:alice",
		"--operation", "Describe", "--topic", "t1")
	x.same("remove", sortedLines(r.Stdout))
	r = x.run("", aclCmd, bsFlag, bs, "--list")
	x.same("list all", sortedLines(r.Stdout))
}

const featureCmd = "org.apache.kafka.tools.FeatureCommand"

func checkFeatures(x *tools) {
	r := x.run("", featureCmd, bsFlag, x.tg.Bootstrap, "describe")
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
		if f := strings.Fields(l); len(f) >= 2 {
			names = append(names, f[0]+" "+f[1])
		}
	}
	x.same("describe", strings.Join(names, "\n"))
	// One refused update refuses the request as a whole (the message names
	// the refused feature for both), and --dry-run writes nothing.
	r = x.try("", featureCmd, bsFlag, x.tg.Bootstrap, "upgrade", "--feature", "group.version=1",
		"--feature", "samsa.no.such.feature=1", "--dry-run")
	x.same("upgrade refused", outcome(r))
	if r.Err == nil || strings.Count(r.Stdout, "Invalid update version 1 for feature samsa.no.such.feature") != 2 {
		x.t.Errorf("upgrade refused: %s", r)
	}
}
