package kafkatools

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// TestOperatorFlagParity runs Samsa's bundled tools and Kafka 4.4's own
// tools with the same flags against the same reference Kafka node and
// compares what they print: the oracle for the flags issue 18 added
// (topics --under/--at-min-isr-partitions, consumer-groups --list --type,
// console-consumer --formatter and deserializers, ...). Kafka's tool runs
// first, so a wrong expectation shows as a Kafka failure.
func TestOperatorFlagParity(t *testing.T) {
	cp := harness.JavaClasspath(t)
	k := harness.StartKafka(t, authzProps())
	p := &parity{t: t, cp: cp, bs: k.Addr}
	p.setUp()
	start := time.Now()
	for _, c := range []struct {
		name string
		fn   func(p *parity)
	}{
		{"topics min ISR", (*parity).topicsMinISR},
		{"groups list type", (*parity).groupsListType},
		{"console-consumer formatters", (*parity).consoleFormatters},
		{"reset-offsets export and from-file", (*parity).resetExport},
		{"acls user principal", (*parity).aclsUserPrincipal},
		{"cluster tool", (*parity).clusterTool},
	} {
		t.Run(c.name, func(t *testing.T) {
			sub := *p
			sub.t = t
			c.fn(&sub)
		})
	}
	t.Logf("tool pairs took %v", time.Since(start).Round(time.Millisecond))
}

// parity runs one command with Kafka's tool and with Samsa's.
type parity struct {
	t  *testing.T
	cp string
	bs string
}

// compare runs Kafka's main class and Samsa's tool (samsaArgs) with the
// same flags (args), both against the reference node, and fails unless
// each exits alike and prints the same after normalise.
func (p *parity) compare(stdin, main string, samsaTool string, normalise func(string) string, args ...string) (kafka, samsa harness.Result) {
	p.t.Helper()
	full := append([]string{bsFlag, p.bs}, args...)
	jargs := append(append(append([]string{}, jvmFlags...), "-cp", p.cp, main), full...)
	kafka = harness.Run(toolTimeout, stdin, "java", jargs...)
	samsa = harness.Tool(p.t, toolTimeout, stdin, append([]string{samsaTool}, full...)...)
	if (kafka.Err == nil) != (samsa.Err == nil) {
		p.t.Errorf("%s %s: Kafka's tool exit %v, Samsa's %v\n--- kafka:\n%s\n--- samsa:\n%s",
			samsaTool, strings.Join(args, " "), kafka.Err, samsa.Err, kafka, samsa)
		return kafka, samsa
	}
	if want, got := normalise(kafka.Stdout), normalise(samsa.Stdout); want != got {
		p.t.Errorf("%s %s: output differs from Kafka's tool\n--- kafka:\n%s\n--- samsa:\n%s",
			samsaTool, strings.Join(args, " "), want, got)
	}
	return kafka, samsa
}

// setUp creates, with a Go client, what the checks look at: topics whose
// ISR (one replica) is under or at their min.insync.replicas, keyed records
// of several types, and groups that committed offsets.
func (p *parity) setUp() {
	p.t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(p.bs), kgo.DefaultProduceTopic("p-records"))
	if err != nil {
		p.t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	two, one := "2", "1"
	for _, tc := range []struct {
		topic      string
		partitions int32
		configs    map[string]*string
	}{
		{"p-under", 1, map[string]*string{"min.insync.replicas": &two}},
		{"p-at", 2, map[string]*string{"min.insync.replicas": &one}},
		{"p-records", 1, nil},
		{"p-nums", 1, nil},
	} {
		resp, err := adm.CreateTopic(ctx, tc.partitions, 1, tc.configs, tc.topic)
		if err == nil {
			err = resp.Err
		}
		if err != nil {
			p.t.Fatalf("create %s: %v", tc.topic, err)
		}
	}
	// Keys and values in the binary forms of Kafka's serializers.
	var recs []*kgo.Record
	for i, k := range []int64{42, -7, 1 << 40} {
		key := binary.BigEndian.AppendUint64(nil, uint64(k))
		recs = append(recs, &kgo.Record{Topic: "p-records", Key: key, Value: []byte(fmt.Sprintf("v%d", i)),
			Headers: []kgo.RecordHeader{{Key: "h", Value: []byte("x")}}})
	}
	for i, v := range []float64{1.5, -0.25, 1e10} {
		recs = append(recs, &kgo.Record{Topic: "p-nums", Key: binary.BigEndian.AppendUint32(nil, uint32(int32(i-1))),
			Value: binary.BigEndian.AppendUint64(nil, math.Float64bits(v))})
	}
	recs = append(recs, &kgo.Record{Topic: "p-nums", Value: []byte("1f0e3dad-9990-4a9b-8c6e-23e1c1a0b2a5")})
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		p.t.Fatalf("produce: %v", err)
	}
	// A new topic takes a moment to reach the group coordinator's metadata.
	for _, g := range []string{"p-group-a", "p-group-b"} {
		offsets := kadm.Offsets{}
		offsets.Add(kadm.Offset{Topic: "p-at", Partition: 0, At: 0, LeaderEpoch: -1})
		harness.Eventually(p.t, toolTimeout, func() error {
			resp, err := adm.CommitOffsets(ctx, g, offsets)
			if err == nil {
				err = resp.Error()
			}
			return err
		})
	}
}

// topicLines normalises a topics --describe (its partition lines carry
// Kafka 4.4's Elr and LastKnownElr columns): sorted, because Kafka's tool
// prints topics in its hash map's order.
func topicLines(s string) string { return sortedLines(s) }

func (p *parity) topicsMinISR() {
	for _, flag := range []string{"--under-min-isr-partitions", "--at-min-isr-partitions"} {
		k, _ := p.compare("", topicCmd, "topics", topicLines, "--describe", "--topic", "p-.*", flag)
		if !strings.Contains(k.Stdout, "Topic: p-") {
			p.t.Errorf("%s: Kafka's tool shows no partition: %s", flag, k)
		}
	}
	p.compare("", topicCmd, "topics", topicLines, "--describe", "--topic", "p-.*", "--under-min-isr-partitions", "--at-min-isr-partitions")
}

func (p *parity) groupsListType() {
	k, _ := p.compare("", groupsCmd, "consumer-groups", norm, "--list", "--type")
	if !strings.Contains(k.Stdout, "p-group-a") || !strings.Contains(k.Stdout, "TYPE") {
		p.t.Errorf("--list --type: Kafka's tool lists no group: %s", k)
	}
	p.compare("", groupsCmd, "consumer-groups", norm, "--list", "--type", "classic", "--state")
	p.compare("", groupsCmd, "consumer-groups", norm, "--list", "--type", "consumer")
	k, s := p.compare("", groupsCmd, "consumer-groups", norm, "--list", "--type", "bogus")
	if k.Err == nil || s.Err == nil {
		p.t.Errorf("--type bogus accepted: kafka %v samsa %v", k.Err, s.Err)
	}
}

const serde = "org.apache.kafka.common.serialization."

// consoleFormatters compares what the console consumers print with each
// formatter and with Kafka's deserializers (--key-deserializer, a
// formatter property, a --formatter-config file).
func (p *parity) consoleFormatters() {
	read := func(topic string, n int, extra ...string) []string {
		return append([]string{"--topic", topic, "--from-beginning", "--max-messages", fmt.Sprint(n),
			"--timeout-ms", "30000"}, extra...)
	}
	k, _ := p.compare("", consumerCmd, "console-consumer", norm, read("p-records", 3,
		"--key-deserializer", serde+"LongDeserializer", "--formatter-property", "print.key=true",
		"--formatter-property", "print.headers=true", "--formatter-property", "print.partition=true",
		"--formatter-property", "key.separator=|")...)
	if !strings.Contains(k.Stdout, "1099511627776|v2") {
		p.t.Errorf("LongDeserializer: Kafka's tool printed %s", k)
	}
	k, _ = p.compare("", consumerCmd, "console-consumer", norm, read("p-nums", 3,
		"--formatter-property", "key.deserializer="+serde+"IntegerDeserializer",
		"--value-deserializer", serde+"DoubleDeserializer", "--formatter-property", "print.key=true")...)
	if !strings.Contains(k.Stdout, "1.0E10") {
		p.t.Errorf("DoubleDeserializer: Kafka's tool printed %s", k)
	}
	config := filepath.Join(p.t.TempDir(), "formatter.properties")
	if err := os.WriteFile(config, []byte("print.offset=true\nvalue.deserializer="+serde+"BytesDeserializer\n"), 0o600); err != nil {
		p.t.Fatal(err)
	}
	p.compare("", consumerCmd, "console-consumer", norm, read("p-nums", 4, "--formatter-config", config)...)
	k, s := p.compare("", consumerCmd, "console-consumer", norm, read("p-records", 3,
		"--formatter", "org.apache.kafka.tools.consumer.NoOpMessageFormatter")...)
	if k.Stdout != "" || !strings.Contains(s.Stderr, "Processed a total of 3 messages") {
		p.t.Errorf("NoOpMessageFormatter: kafka %s\nsamsa %s", k, s)
	}
	p.compare("", consumerCmd, "console-consumer", norm, read("p-records", 3,
		"--formatter", "org.apache.kafka.tools.consumer.LoggingMessageFormatter")...)
	// Consumer properties pass through: a KIP-848 group with static
	// membership reads the same (committing nothing, so that the second
	// tool reads from the start too); an unknown property is warned about.
	_, s = p.compare("", consumerCmd, "console-consumer", norm, read("p-records", 3, "--group", "p-848",
		"--command-property", "group.protocol=consumer", "--command-property", "group.instance.id=p-static",
		"--command-property", "enable.auto.commit=false", "--command-property", "no.such.property=1")...)
	if !strings.Contains(s.Stderr, "no.such.property") {
		p.t.Errorf("unknown consumer property not warned about: %s", s)
	}
}

// resetExport compares --reset-offsets --export (CSV, with the group column
// for several groups) and --from-file (a plan read back, offsets kept in
// the log, a group without a plan reported), as dry runs.
func (p *parity) resetExport() {
	reset := func(extra ...string) []string { return append([]string{"--reset-offsets"}, extra...) }
	k, _ := p.compare("", groupsCmd, "consumer-groups", sortedLines, reset("--group", "p-group-a", "--topic", "p-records",
		"--to-earliest", "--export")...)
	if !strings.Contains(k.Stdout, "p-records,0,0") {
		p.t.Errorf("--export: Kafka's tool printed %s", k)
	}
	p.compare("", groupsCmd, "consumer-groups", sortedLines, reset("--group", "p-group-a", "--group", "p-group-b",
		"--topic", "p-at", "--to-latest", "--export", "--dry-run")...)
	dir := p.t.TempDir()
	single := filepath.Join(dir, "single.csv")
	multi := filepath.Join(dir, "multi.csv")
	if err := os.WriteFile(single, []byte("p-records,0,2\n"), 0o600); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(multi, []byte("p-group-b,p-records,0,99\np-group-b,p-at,1,0\n"), 0o600); err != nil {
		p.t.Fatal(err)
	}
	k, _ = p.compare("", groupsCmd, "consumer-groups", sortedLines, reset("--group", "p-group-a", "--from-file", single, "--dry-run")...)
	if !strings.Contains(k.Stdout, "NEW-OFFSET") {
		p.t.Errorf("--from-file: Kafka's tool printed %s", k)
	}
	// Kafka's tool logs its warning through log4j, which the test's
	// classpath sends to stdout (kafka-consumer-groups.sh sends it to
	// stderr, where Samsa's tool writes it).
	_, s := p.compare("", groupsCmd, "consumer-groups", withoutLogLines, reset("--group", "p-group-a", "--group", "p-group-b",
		"--from-file", multi, "--dry-run")...)
	if want := "WARN New offset (99) is higher than latest offset for topic partition p-records-0. Value will be set to 3."; !strings.Contains(s.Stderr, want) {
		p.t.Errorf("--from-file beyond the log end: want %q on stderr, got %s", want, s)
	}
}

// withoutLogLines is sortedLines without log4j's WARN and ERROR lines.
func withoutLogLines(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.Contains(l, "] WARN ") && !strings.Contains(l, "] ERROR ") {
			keep = append(keep, l)
		}
	}
	return sortedLines(strings.Join(keep, "\n"))
}

const aclCmdParity = "org.apache.kafka.tools.AclCommand"

// aclsUserPrincipal compares ACLs on a user principal resource (the
// delegation token operations): adding, listing, and the refusal of an
// operation a user resource does not take.
func (p *parity) aclsUserPrincipal() {
	k, _ := p.compare("", aclCmdParity, "acls", sortedLines, "--add", "--allow-principal", "User:bob",
		"--operation", "CreateTokens", "--operation", "DescribeTokens", "--user-principal", "User:alice")
	if !strings.Contains(k.Stdout, "resourceType=USER, name=User:alice") {
		p.t.Errorf("--user-principal: Kafka's tool printed %s", k)
	}
	p.compare("", aclCmdParity, "acls", sortedLines, "--list", "--user-principal", "User:alice")
	k, s := p.compare("", aclCmdParity, "acls", func(string) string { return "" }, "--add", "--allow-principal", "User:bob",
		"--operation", "Read", "--user-principal", "User:alice")
	if k.Err == nil || s.Err == nil || !strings.Contains(s.Stderr, "ResourceType USER only supports operations") {
		p.t.Errorf("Read on a user principal: kafka %s\nsamsa %s", k, s)
	}
}

// clusterTool compares kafka-cluster.sh: cluster-id, and unregister of a
// broker id the cluster never had (refused by both).
func (p *parity) clusterTool() {
	runBoth := func(args ...string) (harness.Result, harness.Result) {
		jargs := append(append(append([]string{}, jvmFlags...), "-cp", p.cp, clusterCmd), args...)
		return harness.Run(toolTimeout, "", "java", jargs...), harness.Tool(p.t, toolTimeout, "", append([]string{"cluster"}, args...)...)
	}
	k, s := runBoth("cluster-id", bsFlag, p.bs)
	if k.Err != nil || s.Err != nil || k.Stdout != s.Stdout || !strings.HasPrefix(k.Stdout, "Cluster ID: ") {
		p.t.Errorf("cluster-id:\n--- kafka:\n%s\n--- samsa:\n%s", k, s)
	}
	k, s = runBoth("unregister", bsFlag, p.bs, "--id", "42")
	// Kafka's tool logs the refusal through log4j (stdout on the test's
	// classpath, stderr under kafka-cluster.sh); Samsa's prints it on stderr.
	if k.Err == nil || s.Err == nil || withoutLogLines(k.Stdout) != withoutLogLines(s.Stdout) ||
		!strings.Contains(s.Stderr, "Broker ID 42 is not currently registered") {
		p.t.Errorf("unregister of an unknown broker: both should fail alike\n--- kafka: %q %v\n--- samsa: %q %v", k.Stdout, k.Err, s.Stdout, s.Err)
	}
}
