package compat

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// TestLibrdkafkaAgainstCluster bootstraps kcat and confluent-kafka-python
// from ONE node of a three-node cluster: Metadata must show all three
// brokers and replicated partitions, and produce (acks=all) and consume
// must work through whichever node leads.
func TestLibrdkafkaAgainstCluster(t *testing.T) {
	kcat := harness.RequireTool(t, "kcat")
	python := harness.RequirePythonModule(t, "confluent_kafka")
	c := harness.StartCluster(t, 3, nil)
	one := c.Node(2).Addr
	c.CreateTopic("kcat-cluster", 3, 3, nil)

	t.Run("kcat metadata", func(t *testing.T) {
		r := harness.Run(kcatTimeout, "", kcat, "-b", one, "-L")
		if r.Err != nil {
			t.Fatalf("kcat -L: %s", r)
		}
		res := []string{`(?m)^\s*3 brokers:`, `topic "kcat-cluster" with 3 partitions`}
		for i, b := range c.Nodes {
			res = append(res, fmt.Sprintf(`broker %d at %s`, i+1, regexp.QuoteMeta(b.Addr)))
		}
		for _, re := range res {
			if !regexp.MustCompile(re).MatchString(r.Stdout) {
				t.Errorf("kcat -L output lacks %s:\n%s", re, r)
			}
		}
		if n := len(regexp.MustCompile(`replicas: \d+,\d+,\d+, isrs: \d+,\d+,\d+`).FindAllString(r.Stdout, -1)); n != 3 {
			t.Errorf("kcat -L shows %d partitions with 3 replicas in sync, want 3:\n%s", n, r.Stdout)
		}
	})

	t.Run("kcat produce and consume", func(t *testing.T) {
		const n = 300
		var in strings.Builder
		for i := range n {
			fmt.Fprintf(&in, "line-%d\n", i)
		}
		r := harness.Run(kcatTimeout, in.String(), kcat, "-P", "-b", one, "-t", "kcat-cluster",
			"-X", "acks=all", "-X", "enable.idempotence=true")
		if r.Err != nil {
			t.Fatalf("kcat -P: %s", r)
		}
		r = harness.Run(kcatTimeout, "", kcat, "-C", "-b", one, "-t", "kcat-cluster", "-o", "beginning", "-e", "-f", `%s\n`)
		if r.Err != nil {
			t.Fatalf("kcat -C: %s", r)
		}
		got := map[string]int{}
		for _, l := range strings.Fields(r.Stdout) {
			got[l]++
		}
		for i := range n {
			if v := fmt.Sprintf("line-%d", i); got[v] != 1 {
				t.Errorf("%s read %d times", v, got[v])
			}
		}
	})

	t.Run("confluent-kafka-python roundtrip RF=3", func(t *testing.T) {
		script, err := filepath.Abs(filepath.Join("python", "roundtrip.py"))
		if err != nil {
			t.Fatal(err)
		}
		r := harness.Run(4*time.Minute, "", python, script, one, "python-cluster", "5000", "3")
		if r.Err != nil || !strings.Contains(r.Stdout, "OK:") {
			t.Fatalf("%s %s: %s", python, script, r)
		}
		t.Log(strings.TrimSpace(r.Stdout))
	})
}
