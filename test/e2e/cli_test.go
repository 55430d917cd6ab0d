package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/samsa-io/samsa/test/internal/harness"
)

const toolTimeout = time.Minute

// TestCLI runs the commands of the Kafka quickstart with samsa's tools, in
// order, against one broker: create, list, describe, console produce and
// consume (with and without keys), multi-call links, perf tools, delete.
func TestCLI(t *testing.T) {
	b := harness.Start(t, nil)
	h := b.Addr

	t.Run("topics create list describe", func(t *testing.T) {
		harness.MustTool(t, toolTimeout, "", "topics", "--create", "--topic", "myTopic",
			"--bootstrap-server", h, "--partitions", "3", "--replication-factor", "1")
		list := harness.MustTool(t, toolTimeout, "", "topics", "--list", "--bootstrap-server", h)
		if !slices.Contains(lines(list.Stdout), "myTopic") {
			t.Errorf("topics --list does not show myTopic:\n%s", list)
		}
		desc := harness.MustTool(t, toolTimeout, "", "topics", "--describe", "--topic", "myTopic", "--bootstrap-server", h)
		for _, re := range []string{`PartitionCount:\s*3`, `ReplicationFactor:\s*1`,
			`Partition:\s*0\s`, `Partition:\s*1\s`, `Partition:\s*2\s`, `Leader:\s*1\b`} {
			if !regexp.MustCompile(re).MatchString(desc.Stdout) {
				t.Errorf("topics --describe output lacks %s:\n%s", re, desc)
			}
		}
	})

	t.Run("console producer and consumer", func(t *testing.T) {
		harness.MustTool(t, toolTimeout, "message 1\nmessage 2\nmessage 3\n",
			"console-producer", "--broker-list", h, "--topic", "test")
		out := harness.MustTool(t, toolTimeout, "", "console-consumer", "--bootstrap-server", h,
			"--topic", "test", "--from-beginning", "--max-messages", "3")
		if got, want := lines(out.Stdout), []string{"message 1", "message 2", "message 3"}; !slices.Equal(got, want) {
			t.Errorf("console-consumer printed %q, want %q\n%s", got, want, out)
		}
	})

	t.Run("keys", func(t *testing.T) { testConsoleKeys(t, b) })

	t.Run("install-links", func(t *testing.T) {
		dir := t.TempDir()
		harness.MustTool(t, toolTimeout, "", "install-links", dir)
		link := filepath.Join(dir, "kafka-topics.sh")
		if _, err := os.Stat(link); err != nil {
			t.Fatalf("install-links did not create kafka-topics.sh: %v", err)
		}
		r := harness.Run(toolTimeout, "", link, "--list", "--bootstrap-server", h)
		if r.Err != nil || !slices.Contains(lines(r.Stdout), "myTopic") {
			t.Errorf("kafka-topics.sh --list via link:\n%s", r)
		}
	})

	t.Run("broker-api-versions", func(t *testing.T) {
		r := harness.MustTool(t, toolTimeout, "", "broker-api-versions", "--bootstrap-server", h)
		for _, want := range []string{"Produce(0)", "Fetch(1)", "ApiVersions(18)"} {
			if !strings.Contains(r.Stdout, want) {
				t.Errorf("broker-api-versions output lacks %q:\n%s", want, r)
			}
		}
	})

	t.Run("perf tools", func(t *testing.T) { testPerfTools(t, b) })

	t.Run("delete", func(t *testing.T) {
		harness.MustTool(t, toolTimeout, "", "topics", "--delete", "--topic", "myTopic", "--bootstrap-server", h)
		harness.Eventually(t, 30*time.Second, func() error {
			r := harness.Tool(t, toolTimeout, "", "topics", "--list", "--bootstrap-server", h)
			if r.Err != nil {
				return fmt.Errorf("topics --list: %v", r)
			}
			if slices.Contains(lines(r.Stdout), "myTopic") {
				return fmt.Errorf("myTopic still listed after --delete")
			}
			return nil
		})
	})
}

func testConsoleKeys(t *testing.T, b *harness.Broker) {
	b.CreateTopic("keyed", 1, nil)
	harness.MustTool(t, toolTimeout, "k1:v1\nk2:v2\n", "console-producer", "--bootstrap-server", b.Addr,
		"--topic", "keyed", "--property", "parse.key=true", "--property", "key.separator=:")
	out := harness.MustTool(t, toolTimeout, "", "console-consumer", "--bootstrap-server", b.Addr,
		"--topic", "keyed", "--from-beginning", "--max-messages", "2",
		"--property", "print.key=true", "--property", "key.separator=:")
	if got, want := lines(out.Stdout), []string{"k1:v1", "k2:v2"}; !slices.Equal(got, want) {
		t.Errorf("console-consumer with print.key printed %q, want %q\n%s", got, want, out)
	}
	got := consumeAll(t, b, "keyed", map[int32]int64{0: 2}, 30*time.Second)[0]
	for i, want := range [][2]string{{"k1", "v1"}, {"k2", "v2"}} {
		if i >= len(got) || string(got[i].Key) != want[0] || string(got[i].Value) != want[1] {
			t.Errorf("record %d: want key %q value %q, have %v", i, want[0], want[1], got)
		}
	}
}

func testPerfTools(t *testing.T, b *harness.Broker) {
	const n = 20_000
	b.CreateTopic("perf", 3, nil)
	r := harness.MustTool(t, 2*toolTimeout, "", "producer-perf-test", "--topic", "perf",
		"--num-records", fmt.Sprint(n), "--record-size", "100", "--throughput", "-1",
		"--producer-props", "bootstrap.servers="+b.Addr)
	if !strings.Contains(r.Stdout, fmt.Sprintf("%d records sent", n)) {
		t.Errorf("producer-perf-test output lacks %q:\n%s", fmt.Sprintf("%d records sent", n), r)
	}
	var total int64
	for _, end := range endOffsets(t, b.Admin(), "perf") {
		total += end
	}
	if total != n {
		t.Errorf("perf topic holds %d records after producer-perf-test, want %d", total, n)
	}
	harness.MustTool(t, 2*toolTimeout, "", "consumer-perf-test", "--bootstrap-server", b.Addr,
		"--topic", "perf", "--messages", fmt.Sprint(n))
}

// lines splits output into trimmed, non-empty lines.
func lines(s string) []string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
