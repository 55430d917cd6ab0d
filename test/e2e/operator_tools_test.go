package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// TestOperatorToolsOnFreshBroker walks an operator's first minutes with the
// bundled tools on a broker that has just started: consumer-groups waits
// for the group coordinator instead of failing, a keyed line the producer
// cannot parse keeps the lines before it, a record the broker refuses is
// reported with its partition and cause, and Ctrl-C on a group consumer
// commits, leaves the group and prints Kafka's total; a consumer of a topic
// that does not exist says so. The subtests run in order on one broker: the
// first needs it fresh.
func TestOperatorToolsOnFreshBroker(t *testing.T) {
	b := startGroupBroker(t, map[string]string{"auto.create.topics.enable": "false"})

	t.Run("describe waits for the coordinator", func(t *testing.T) {
		// The first FindCoordinator on a fresh broker creates
		// __consumer_offsets and is answered COORDINATOR_NOT_AVAILABLE;
		// Kafka's tool retries it and then reports the missing group.
		r := harness.Tool(t, cliTimeout, "", "consumer-groups", "--bootstrap-server", b.Addr, "--describe", "--group", "fresh")
		if r.Err == nil || !strings.Contains(r.Stderr, "Consumer group 'fresh' does not exist.") ||
			strings.Contains(r.Stderr, "COORDINATOR") {
			t.Fatalf("--describe on a fresh broker: want \"Consumer group 'fresh' does not exist.\", got %s", r)
		}
	})

	t.Run("bad keyed line keeps the good ones", func(t *testing.T) {
		const topic = "op-keyed"
		b.CreateTopic(topic, 1, nil)
		r := harness.Tool(t, cliTimeout, "k1:v1\nk2:v2\nk3:v3\nno separator here\nk5:v5\n",
			"console-producer", "--bootstrap-server", b.Addr, "--topic", topic,
			"--property", "parse.key=true", "--property", "key.separator=:")
		if r.Err == nil || !strings.Contains(r.Stderr, "no key separator found on line number 4: 'no separator here'") {
			t.Fatalf("want exit 1 naming line 4, got %s", r)
		}
		if ends := listEnds(t, b.Admin(), topic); ends[0] != 3 {
			t.Fatalf("%s holds %d records, want the 3 lines before the bad one (stderr: %s)", topic, ends[0], r.Stderr)
		}
	})

	t.Run("refused record names partition and cause", func(t *testing.T) {
		const topic = "op-refused"
		// acks=all cannot be met: min.insync.replicas=2 on one broker.
		b.CreateTopic(topic, 1, map[string]string{"min.insync.replicas": "2"})
		r := harness.Tool(t, cliTimeout, "v1\n", "console-producer", "--bootstrap-server", b.Addr, "--topic", topic,
			"--producer-property", "delivery.timeout.ms=2000", "--request-timeout-ms", "1000")
		want := "Error when sending message to topic " + topic + " partition 0 with key: null, value: 2 bytes with error: "
		if r.Err == nil || !strings.Contains(r.Stderr, want) || !strings.Contains(r.Stderr, "NOT_ENOUGH_REPLICAS") {
			t.Fatalf("want exit 1 and %q ... NOT_ENOUGH_REPLICAS, got %s", want, r)
		}
	})

	t.Run("SIGINT on a group consumer commits and leaves", func(t *testing.T) {
		const topic, group = "op-sigint", "op-sigint-group"
		b.CreateTopic(topic, 2, nil)
		produceValues(t, b, topic, "v", 10)
		p := startSamsa(t, "console-consumer", "--bootstrap-server", b.Addr, "--topic", topic,
			"--group", group, "--from-beginning")
		harness.Eventually(t, 60*time.Second, func() error {
			if n := strings.Count(p.stdout.String(), "\n"); n < 10 {
				return fmt.Errorf("console-consumer printed %d of 10 records", n)
			}
			return nil
		})
		r := p.signal(t, os.Interrupt)
		if r.Err != nil || !strings.Contains(r.Stderr, "Processed a total of 10 messages") {
			t.Fatalf("after SIGINT: want exit 0 and \"Processed a total of 10 messages\", got %s", r)
		}
		if got := committedOffsets(t, b, group, topic); got[0]+got[1] != 10 || got[0] != 5 {
			t.Errorf("committed offsets after SIGINT %v, want 5 and 5", got)
		}
		// Left, not timed out: the group is Empty at once, so an
		// operator can reset its offsets right away.
		d, err := b.Admin().DescribeGroups(context.Background(), group)
		if err != nil || d[group].State != "Empty" {
			t.Errorf("group after SIGINT: state %q (err %v), want Empty", d[group].State, err)
		}
	})

	t.Run("cluster tool", func(t *testing.T) {
		r := harness.MustTool(t, cliTimeout, "", "cluster", "cluster-id", "--bootstrap-server", b.Addr)
		if !strings.HasPrefix(r.Stdout, "Cluster ID: ") || len(strings.TrimSpace(r.Stdout)) <= len("Cluster ID: ") {
			t.Errorf("cluster-id: %s", r)
		}
		// An id no broker has: the controller refuses it, as Kafka's does
		// (Kafka's tool then fails with the exception).
		r = harness.Tool(t, cliTimeout, "", "cluster", "unregister", "--bootstrap-server", b.Addr, "--id", "7")
		if r.Err == nil || !strings.Contains(r.Stderr, "BROKER_ID_NOT_REGISTERED") {
			t.Errorf("unregister an unknown id: %s", r)
		}
	})

	t.Run("missing topic is reported", func(t *testing.T) {
		r := harness.Tool(t, cliTimeout, "", "console-consumer", "--bootstrap-server", b.Addr, "--topic", "op-nosuch",
			"--timeout-ms", "1000")
		want := "WARN [Consumer clientId=console-consumer] The metadata response from the cluster reported a recoverable issue : {op-nosuch=UNKNOWN_TOPIC_OR_PARTITION}"
		if r.Err != nil || !strings.Contains(r.Stderr, want) || !strings.Contains(r.Stderr, "Processed a total of 0 messages") {
			t.Fatalf("console-consumer of a missing topic: want %q, got %s", want, r)
		}
	})
}

// samsaProcess is a samsa tool left running by startSamsa.
type samsaProcess struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan error
}

// startSamsa starts the samsa binary with args and stdin closed; the
// test's cleanup kills it if it still runs.
func startSamsa(t *testing.T, args ...string) *samsaProcess {
	t.Helper()
	p := &samsaProcess{cmd: exec.Command(harness.Binary(t), args...), stdout: &syncBuffer{}, stderr: &syncBuffer{},
		done: make(chan error, 1)}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start samsa %s: %v", strings.Join(args, " "), err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// signal sends sig and waits (bounded) for the process to exit.
func (p *samsaProcess) signal(t *testing.T, sig os.Signal) harness.Result {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
	var err error
	select {
	case err = <-p.done:
		p.done <- err // for the cleanup
	case <-time.After(60 * time.Second):
		err = errors.New("still running 60s after the signal")
	}
	return harness.Result{Stdout: p.stdout.String(), Stderr: p.stderr.String(), Err: err}
}

// syncBuffer is a bytes.Buffer safe for the exec copy goroutine and the
// test to use at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}
