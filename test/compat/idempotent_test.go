package compat

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// TestConfluentKafkaPythonIdempotentAcrossRestart: a librdkafka idempotent
// producer keeps writing while its broker is killed with SIGKILL and
// started again; every message arrives, and none twice (the restarted
// broker rebuilds producer state from its log and recognises the retries).
func TestConfluentKafkaPythonIdempotentAcrossRestart(t *testing.T) {
	python := harness.RequirePythonModule(t, "confluent_kafka")
	b := harness.Start(t, nil)
	const topic, count = "py-idem", 3000
	b.CreateTopic(topic, 1, nil)
	script, err := filepath.Abs(filepath.Join("python", "idempotent_restart.py"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, script, b.Addr, topic, fmt.Sprint(count), "8")
	cmd.WaitDelay = 2 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	b.Kill()
	b.Launch()
	t.Log("broker killed and restarted mid-stream")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", script, err, stdout.String(), lastLines(stderr.String(), 30))
	}
	t.Log(strings.TrimSpace(stdout.String()))

	cl := b.Client(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}))
	seen := map[string]int{}
	total := 0
	rctx, rcancel := context.WithTimeout(context.Background(), time.Minute)
	defer rcancel()
	for len(seen) < count && rctx.Err() == nil {
		cl.PollFetches(rctx).EachRecord(func(r *kgo.Record) {
			seen[string(r.Value)]++
			total++
		})
	}
	for i := range count {
		if v := fmt.Sprintf("m-%d", i); seen[v] != 1 {
			t.Errorf("%s read %d times, want once", v, seen[v])
		}
	}
	if total != count {
		t.Errorf("read %d records, want %d", total, count)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
