package cli

import (
	"fmt"
	"strings"
	"testing"
)

// These tests run the tools against kfake, franz-go's in-process fake Kafka
// cluster, so they check our requests and output without our broker.

func TestTopicsAgainstFake(t *testing.T) {
	bs := fakeCluster(t)
	run := func(args ...string) result {
		return mustRun(t, "", append([]string{"topics", "--bootstrap-server", bs}, args...)...)
	}
	if r := run("--create", "--topic", "orders", "--partitions", "3", "--replication-factor", "1", "--config", "retention.ms=1000"); r.out != "Created topic orders.\n" {
		t.Fatalf("create printed %q", r.out)
	}
	run("--create", "--topic", "logs")
	if r := run("--create", "--topic", "orders", "--if-not-exists"); r.out != "" {
		t.Fatalf("--if-not-exists printed %q", r.out)
	}
	r := execute(t, "", "topics", "--bootstrap-server", bs, "--create", "--topic", "orders")
	if r.e == nil || !strings.Contains(r.e.Error(), "TOPIC_ALREADY_EXISTS") {
		t.Fatalf("duplicate create: %v", r.e)
	}
	if r := run("--list"); r.out != "logs\norders\n" {
		t.Fatalf("list printed %q", r.out)
	}
	if r := run("--list", "--topic", "ord.*"); r.out != "orders\n" {
		t.Fatalf("list with regex printed %q", r.out)
	}
	desc := run("--describe", "--topic", "orders").out
	lines := strings.Split(strings.TrimSuffix(desc, "\n"), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "Topic: orders\tTopicId: ") ||
		!strings.Contains(lines[0], "\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: ") ||
		!strings.Contains(lines[0], "retention.ms=1000") {
		t.Fatalf("describe printed:\n%s", desc)
	}
	for p, l := range lines[1:] {
		if want := fmt.Sprintf("\tTopic: orders\tPartition: %d\tLeader: ", p); !strings.HasPrefix(l, want) || !strings.Contains(l, "\tReplicas: ") {
			t.Fatalf("partition line %q", l)
		}
	}
	run("--alter", "--topic", "orders", "--partitions", "5")
	if d := run("--describe", "--topic", "orders").out; !strings.Contains(d, "PartitionCount: 5") {
		t.Fatalf("after alter:\n%s", d)
	}
	r = execute(t, "", "topics", "--bootstrap-server", bs, "--describe", "--topic", "nope")
	if r.e == nil || !strings.Contains(r.e.Error(), "does not exist") {
		t.Fatalf("describe missing topic: %v", r.e)
	}
	run("--describe", "--topic", "nope", "--if-exists")
	run("--delete", "--topic", "logs")
	if r := run("--list"); r.out != "orders\n" {
		t.Fatalf("after delete, list printed %q", r.out)
	}
	run("--delete", "--topic", "logs", "--if-exists")
}

func TestConfigsAgainstFake(t *testing.T) {
	bs := fakeCluster(t)
	mustRun(t, "", "topics", "--bootstrap-server", bs, "--create", "--topic", "t", "--partitions", "1")
	r := mustRun(t, "", "configs", "--bootstrap-server", bs, "--entity-type", "topics", "--entity-name", "t",
		"--alter", "--add-config", "retention.ms=5000,cleanup.policy=[compact,delete]")
	if r.out != "Completed updating config for topic t.\n" {
		t.Fatalf("alter printed %q", r.out)
	}
	r = mustRun(t, "", "configs", "--bootstrap-server", bs, "--topic", "t", "--describe")
	if !strings.HasPrefix(r.out, "Dynamic configs for topic t are:\n") ||
		!strings.Contains(r.out, "  cleanup.policy=compact,delete sensitive=false synonyms={") ||
		!strings.Contains(r.out, "  retention.ms=5000 sensitive=false") {
		t.Fatalf("describe printed:\n%s", r.out)
	}
	mustRun(t, "", "configs", "--bootstrap-server", bs, "--topic", "t", "--alter", "--delete-config", "retention.ms")
	r = mustRun(t, "", "configs", "--bootstrap-server", bs, "--topic", "t", "--describe")
	if strings.Contains(r.out, "retention.ms=5000") {
		t.Fatalf("deleted config still shown:\n%s", r.out)
	}
	r = mustRun(t, "", "configs", "--bootstrap-server", bs, "--topic", "t", "--describe", "--all")
	if !strings.HasPrefix(r.out, "All configs for topic t are:\n") {
		t.Fatalf("describe --all printed:\n%s", r.out)
	}
}

func TestConsoleRoundTripAgainstFake(t *testing.T) {
	bs := fakeCluster(t)
	mustRun(t, "", "topics", "--bootstrap-server", bs, "--create", "--topic", "c", "--partitions", "1")
	in := "k1:v1\nk2:v2\r\nk3:v3\n"
	mustRun(t, in, "console-producer", "--bootstrap-server", bs, "--topic", "c", "--compression-codec", "lz4",
		"--property", "parse.key=true", "--property", "key.separator=:")
	r := mustRun(t, "", "console-consumer", "--bootstrap-server", bs, "--topic", "c", "--from-beginning",
		"--max-messages", "2", "--property", "print.key=true", "--property", "print.offset=true")
	if r.out != "Offset:0\tk1\tv1\nOffset:1\tk2\tv2\n" {
		t.Fatalf("consumer printed %q", r.out)
	}
	if r.err != "Processed a total of 2 messages\n" {
		t.Fatalf("consumer stderr %q", r.err)
	}
	r = mustRun(t, "", "console-consumer", "--bootstrap-server", bs, "--topic", "c", "--partition", "0", "--offset", "2", "--timeout-ms", "500")
	if r.out != "v3\n" || r.err != "Processed a total of 1 messages\n" {
		t.Fatalf("--offset 2 printed %q, stderr %q", r.out, r.err)
	}
	r = mustRun(t, "", "console-consumer", "--bootstrap-server", bs, "--topic", "c", "--timeout-ms", "300")
	if r.out != "" || r.err != "Processed a total of 0 messages\n" {
		t.Fatalf("latest with timeout printed %q, stderr %q", r.out, r.err)
	}
	mustRun(t, "h:1\tsync-value\n", "console-producer", "--bootstrap-server", bs, "--topic", "c", "--sync",
		"--property", "parse.headers=true", "--request-required-acks", "1", "--compression-codec")
	r = mustRun(t, "", "console-consumer", "--bootstrap-server", bs, "--topic", "c", "--partition", "0", "--offset", "3",
		"--max-messages", "1", "--property", "print.headers=true")
	if r.out != "h:1\tsync-value\n" {
		t.Fatalf("--sync record read back as %q", r.out)
	}
	r = execute(t, "no separator\n", "console-producer", "--bootstrap-server", bs, "--topic", "c", "--property", "parse.key=true")
	if r.e == nil || !strings.Contains(r.e.Error(), "line number 1") {
		t.Fatalf("bad line: %v", r.e)
	}
}

func TestBrokerAPIVersionsAgainstFake(t *testing.T) {
	bs := fakeCluster(t)
	r := mustRun(t, "", "broker-api-versions", "--bootstrap-server", bs)
	if !strings.HasPrefix(r.out, bs+" (id: 0 rack: krack) -> (\n\tProduce(0): ") || !strings.HasSuffix(r.out, "]\n)\n") ||
		!strings.Contains(r.out, "\tApiVersions(18): ") {
		t.Fatalf("printed:\n%s", r.out)
	}
}

func TestPerfToolsAgainstFake(t *testing.T) {
	bs := fakeCluster(t)
	mustRun(t, "", "topics", "--bootstrap-server", bs, "--create", "--topic", "p", "--partitions", "2")
	r := mustRun(t, "", "producer-perf-test", "--topic", "p", "--num-records", "2000", "--record-size", "100",
		"--throughput", "-1", "--producer-props", "bootstrap.servers="+bs, "acks=1", "linger.ms=1")
	if !strings.HasPrefix(r.out, "2000 records sent, ") || !strings.Contains(r.out, "ms 99.9th.\n") {
		t.Fatalf("producer-perf-test printed %q", r.out)
	}
	r = mustRun(t, "", "consumer-perf-test", "--bootstrap-server", bs, "--topic", "p", "--messages", "2000", "--timeout", "5000")
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "start.time, end.time") {
		t.Fatalf("consumer-perf-test printed %q", r.out)
	}
	if f := strings.Split(lines[1], ", "); len(f) != 10 || f[2] != "0.1907" || f[4] != "2000" {
		t.Fatalf("result fields %q (want 0.1907 MB, 2000 messages)", f)
	}
	r = mustRun(t, "", "consumer-perf-test", "--bootstrap-server", bs, "--topic", "p", "--messages", "5000", "--timeout", "300", "--hide-header")
	if !strings.Contains(r.err, "WARNING: Exiting before consuming the expected number of messages") || strings.Contains(r.out, "start.time") {
		t.Fatalf("short run: out %q err %q", r.out, r.err)
	}
}

func TestDeadBrokerIsOneLineError(t *testing.T) {
	r := execute(t, "", "topics", "--bootstrap-server", "127.0.0.1:1", "--list")
	if r.e == nil || !strings.HasPrefix(r.e.Error(), "cannot reach 127.0.0.1:1: ") || len(ErrorLines(r.e)) != 1 {
		t.Fatalf("got %v", r.e)
	}
}
