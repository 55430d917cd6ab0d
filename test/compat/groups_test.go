package compat

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// groupProps make a single broker a practical group coordinator.
var groupProps = map[string]string{
	"offsets.topic.replication.factor": "1",
	"offsets.topic.num.partitions":     "3",
	"group.initial.rebalance.delay.ms": "0",
}

// TestConfluentKafkaPythonGroups runs python/groups.py: subscribe,
// consume, synchronous commit and close; a second consumer of the group
// resumes right after the commit; a static member restarting within its
// session timeout causes no rebalance.
func TestConfluentKafkaPythonGroups(t *testing.T) {
	python := harness.RequirePythonModule(t, "confluent_kafka")
	b := harness.Start(t, groupProps)
	b.CreateTopic("py-groups", 3, nil)
	script, err := filepath.Abs(filepath.Join("python", "groups.py"))
	if err != nil {
		t.Fatal(err)
	}
	r := harness.Run(2*time.Minute, "", python, script, b.Addr, "py-groups", "py-group")
	if r.Err != nil || !strings.Contains(r.Stdout, "OK:") {
		t.Fatalf("%s %s: %s", python, script, r)
	}
	t.Log(strings.TrimSpace(r.Stdout))
}

// kcatConsumer is a `kcat -G` process started by the test; its stdout is
// collected for the test to read.
type kcatConsumer struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  strings.Builder
	done chan struct{}
}

func (k *kcatConsumer) Write(p []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.out.Write(p)
}

func (k *kcatConsumer) lines() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return strings.Fields(k.out.String())
}

// stop sends SIGTERM to the process this test started (by its PID) and
// waits, escalating to SIGKILL after 10 s.
func (k *kcatConsumer) stop() {
	_ = syscall.Kill(k.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-k.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(k.cmd.Process.Pid, syscall.SIGKILL)
		<-k.done
	}
}

func startKcatGroup(t *testing.T, kcat, addr, group, topic string) *kcatConsumer {
	t.Helper()
	k := &kcatConsumer{done: make(chan struct{})}
	// -u: unbuffered output, or kcat holds the records in its stdio buffer
	// while writing to a pipe.
	k.cmd = exec.Command(kcat, "-u", "-b", addr, "-G", group, "-o", "beginning", "-f", `%p:%o\n`,
		"-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500", topic)
	k.cmd.Stdout = k
	var stderr strings.Builder
	k.cmd.Stderr = &stderr
	if err := k.cmd.Start(); err != nil {
		t.Fatalf("start kcat -G: %v", err)
	}
	go func() { // owned by k: ends when the process exits
		_ = k.cmd.Wait()
		close(k.done)
	}()
	t.Cleanup(func() {
		k.stop()
		if t.Failed() {
			t.Logf("kcat -G pid %d stderr:\n%s", k.cmd.Process.Pid, stderr.String())
		}
	})
	return k
}

// TestKcatBalancedConsumers starts two `kcat -G` consumers of one group on
// a 4-partition topic: together they read every record once, each from
// partitions of its own.
func TestKcatBalancedConsumers(t *testing.T) {
	kcat := harness.RequireTool(t, "kcat")
	b := harness.Start(t, groupProps)
	const topic, group, n = "kcat-groups", "kcat-group", 400
	b.CreateTopic(topic, 4, nil)
	cs := []*kcatConsumer{
		startKcatGroup(t, kcat, b.Addr, group, topic),
		startKcatGroup(t, kcat, b.Addr, group, topic),
	}
	waitMembers(t, b, group, 2)
	// Records spread evenly: each partition gets n/4 with its own -p.
	for p := range 4 {
		var part strings.Builder
		for i := p; i < n; i += 4 {
			fmt.Fprintf(&part, "value-%d\n", i)
		}
		r := harness.Run(kcatTimeout, part.String(), kcat, "-P", "-b", b.Addr, "-t", topic, "-p", strconv.Itoa(p))
		if r.Err != nil {
			t.Fatalf("kcat -P -p %d: %s", p, r)
		}
	}
	harness.Eventually(t, 30*time.Second, func() error {
		total := len(cs[0].lines()) + len(cs[1].lines())
		if total < n {
			return fmt.Errorf("the two consumers printed %d records, want %d", total, n)
		}
		return nil
	})
	seen := make(map[string]int)
	var owners [2][]string
	for i, c := range cs {
		for _, l := range c.lines() {
			seen[l]++
			p, _, _ := strings.Cut(l, ":")
			if !slices.Contains(owners[i], p) {
				owners[i] = append(owners[i], p)
			}
		}
	}
	if len(seen) != n {
		t.Errorf("%d distinct partition:offset pairs consumed, want %d", len(seen), n)
	}
	for l, c := range seen {
		if c > 1 {
			t.Errorf("%s consumed %d times", l, c)
		}
	}
	for i, o := range owners {
		if len(o) == 0 {
			t.Errorf("kcat consumer %d (pid %d) read from no partition; partitions per consumer: %v",
				i, cs[i].cmd.Process.Pid, owners)
		}
	}
	if slices.ContainsFunc(owners[0], func(p string) bool { return slices.Contains(owners[1], p) }) {
		t.Errorf("both consumers read the same partition: %v", owners)
	}
	t.Logf("partitions per consumer: %v", owners)
}

// waitMembers waits until the group is Stable with n members.
func waitMembers(t *testing.T, b *harness.Broker, group string, n int) {
	t.Helper()
	adm := b.Admin()
	harness.Eventually(t, 30*time.Second, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		d, err := adm.DescribeGroups(ctx, group)
		if err != nil {
			return err
		}
		g := d[group]
		if g.State != "Stable" || len(g.Members) != n {
			return fmt.Errorf("group %s is %s with %d members, want Stable with %d", group, g.State, len(g.Members), n)
		}
		return nil
	})
}
