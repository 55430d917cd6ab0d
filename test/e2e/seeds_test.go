package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// seedStep is one command from the documents Samsa's brief grew from
// (shared/seeds), copied as written; only localhost:9092 is replaced by
// the test cluster's address when it runs.
type seedStep struct {
	cmd   string
	stdin string
	// endless marks a command that runs until killed (a consumer without
	// --max-messages); it is stopped after a few seconds and judged on its
	// output.
	endless bool
	// fails marks a command Samsa must refuse with a one-line message.
	fails bool
	want  []string // substrings of stdout (stderr when fails)
}

// TestSeedCommands runs the seed documents' kafka-*.sh commands through the
// links `samsa install-links` makes, against a three-node cluster (the
// seeds create topics with --replication-factor 2).
func TestSeedCommands(t *testing.T) {
	c := harness.StartCluster(t, 3, nil)
	dir := t.TempDir()
	harness.MustTool(t, toolTimeout, "", "install-links", filepath.Join(dir, "bin"))

	steps := []seedStep{
		// seeds/002: the command-line walkthrough.
		{cmd: "kafka-topics.sh --create --bootstrap-server localhost:9092 --topic my-topic --partitions 3 --replication-factor 2",
			want: []string{"Created topic my-topic."}},
		{cmd: "kafka-topics.sh --list --bootstrap-server localhost:9092", want: []string{"my-topic"}},
		{cmd: "kafka-console-producer.sh --broker-list localhost:9092 --topic my-topic", stdin: "hello\nworld\n"},
		{cmd: "kafka-console-consumer.sh --bootstrap-server localhost:9092 --topic my-topic --from-beginning",
			endless: true, want: []string{"hello", "world"}},
		{cmd: "kafka-topics.sh --describe --bootstrap-server localhost:9092 --topic my-topic",
			want: []string{"Topic: my-topic", "PartitionCount: 3", "ReplicationFactor: 2"}},
		// Not in the seeds: a group for the next command to describe.
		{cmd: "kafka-console-consumer.sh --bootstrap-server localhost:9092 --topic my-topic --group my-group --from-beginning --max-messages 2",
			want: []string{"hello", "world"}},
		{cmd: "kafka-consumer-groups.sh --bootstrap-server localhost:9092 --group my-group --describe",
			want: []string{"my-group", "my-topic", "LAG"}},
		{cmd: "kafka-broker-api-versions.sh --bootstrap-server localhost:9092", want: []string{"Produce(0)", "Fetch(1)"}},
		{cmd: "kafka-console-producer.sh --broker-list localhost:9092 --topic my-topic --property parse.key=true --property key.separator=:",
			stdin: "user1:clicked\n"},
		{cmd: "kafka-topics.sh --help", want: []string{"--bootstrap-server", "--create"}},
		// kafka-configs is not in the seeds; the issue names it.
		{cmd: "kafka-configs.sh --bootstrap-server localhost:9092 --entity-type topics --entity-name my-topic --alter --add-config retention.ms=86400000",
			want: []string{"Completed updating config"}},
		{cmd: "kafka-configs.sh --bootstrap-server localhost:9092 --entity-type topics --entity-name my-topic --describe",
			want: []string{"retention.ms=86400000"}},
		{cmd: "kafka-topics.sh --delete --bootstrap-server localhost:9092 --topic my-topic"},

		// seeds/000 and 001: quickstarts with bin/ paths.
		{cmd: "bin/kafka-topics.sh --create --topic myTopic --bootstrap-server localhost:9092 --partitions 3 --replication-factor 2",
			want: []string{"Created topic myTopic."}},
		{cmd: "bin/kafka-console-producer.sh --topic myTopic --bootstrap-server localhost:9092", stdin: "first event\nsecond event\n"},
		{cmd: "bin/kafka-console-consumer.sh --topic myTopic --bootstrap-server localhost:9092 --from-beginning",
			endless: true, want: []string{"first event", "second event"}},
		{cmd: "bin/kafka-topics.sh --create --zookeeper localhost:2181 --replication-factor 1 --partitions 1 --topic test",
			fails: true, want: []string{"--bootstrap-server"}},
		{cmd: "bin/kafka-topics.sh --list --zookeeper localhost:2181", fails: true, want: []string{"--bootstrap-server"}},
		{cmd: "bin/kafka-console-producer.sh --broker-list localhost:9092 --topic test", stdin: "This is a message\nThis is another message\n"},
		{cmd: "bin/kafka-console-consumer.sh --bootstrap-server localhost:9092 --topic test --from-beginning",
			endless: true, want: []string{"This is a message", "This is another message"}},
	}
	for _, s := range steps {
		runSeedStep(t, dir, c.Node(1).Addr, s)
	}
}

func runSeedStep(t *testing.T, dir, addr string, s seedStep) {
	t.Helper()
	args := strings.Fields(strings.ReplaceAll(s.cmd, "localhost:9092", addr))
	name := args[0]
	if !strings.HasPrefix(name, "bin/") {
		name = "bin/" + name // the seed assumes Kafka's bin/ on PATH
	}
	timeout := toolTimeout
	if s.endless {
		timeout = 8 * time.Second
	}
	cmd := exec.Command(filepath.Join(dir, name), args[1:]...)
	cmd.Dir = dir
	r := harness.Run(timeout, s.stdin, cmd.Path, cmd.Args[1:]...)
	out := r.Stdout
	switch {
	case s.fails:
		if r.Err == nil {
			t.Errorf("%s: succeeded, want a refusal:\n%s", s.cmd, r)
		}
		out = r.Stderr
		if n := strings.Count(strings.TrimSpace(r.Stderr), "\n"); n > 0 {
			t.Errorf("%s: refusal takes %d lines, want one:\n%s", s.cmd, n+1, r.Stderr)
		}
	case s.endless:
		// Stopped by the timeout, as a user stops it with Ctrl-C.
	case r.Err != nil:
		t.Errorf("%s: %s", s.cmd, r)
		return
	}
	for _, w := range s.want {
		if !strings.Contains(out, w) {
			t.Errorf("%s: output lacks %q:\n%s", s.cmd, w, r)
		}
	}
	if t.Failed() {
		return
	}
	t.Logf("ok: %s", s.cmd)
}
