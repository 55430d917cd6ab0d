package javaclient

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// surefireTimeout bounds one run of the JUnit checks against one broker.
const surefireTimeout = 6 * time.Minute

// inMakeTest lists the JUnit classes (and methods, Class#method) that run
// in make test, as a Surefire -Dtest filter. A check that passes on Kafka
// and fails on Samsa is excluded here ("!Class#method") with the Samsa
// failure beside it, until Samsa is fixed.
var inMakeTest = []string{
	"ProducerConsumerTest",
	"ConsumerFeaturesTest",
	"TransactionsTest",
	"AdminTest",
	"AdminOpsTest",
	"FeaturesTest",
}

// inMakeTestCluster is inMakeTest for the 3-node clusters.
var inMakeTestCluster = inMakeTest

// clusterEnv set to "1" runs the 3-node tests (TestJavaClientCluster,
// TestKafkaCluster). They are not in make test yet: each adds one to two
// minutes, and on the 3-node samsa cluster an idempotent produce to a
// fresh topic sometimes never completes (see TestJavaClientCluster).
const clusterEnv = "SAMSA_JAVA_CLUSTER"

func requireClusterEnv(t *testing.T) {
	t.Helper()
	if os.Getenv(clusterEnv) != "1" {
		t.Skipf("3-node Java checks are not in make test yet; run them with %s=1", clusterEnv)
	}
}

// testsEnv, when set, replaces inMakeTest with a Surefire -Dtest filter
// (for example "AdminOpsTest,ConsumerFeaturesTest#staticMembership"): the
// way to try checks that are not in make test yet.
const testsEnv = "SAMSA_JAVA_TESTS"

// TestJavaClient runs the JUnit checks in one JVM per broker: first against
// Apache Kafka 4.4, then against Samsa.
func TestJavaClient(t *testing.T) {
	tests := strings.Join(inMakeTest, ",")
	if v := os.Getenv(testsEnv); v != "" {
		tests = v
	}
	harness.ForEachTarget(t, nil, nil, func(t *testing.T, tg harness.Target) {
		runSurefire(t, tg, tests)
	})
}

// TestJavaClientCluster runs the same checks against a 3-node Kafka cluster
// and a 3-node samsa cluster (topics with replication factor 3).
//
// Known Samsa failure (1 run in 4 here): in
// ProducerConsumerTest#idempotentProduceEveryCodec a produce to a topic
// created a moment before gets NOT_LEADER_OR_FOLLOWER, and every retry of
// that batch (sequence 0) then gets OUT_OF_ORDER_SEQUENCE_NUMBER "expected
// sequence 107, got 0": the broker wrote the batch (and the next) but does
// not recognise the retry as a duplicate, so the Java producer retries
// until delivery.timeout.ms and the records expire. Kafka passes.
func TestJavaClientCluster(t *testing.T) {
	requireClusterEnv(t)
	tests := strings.Join(inMakeTestCluster, ",")
	if v := os.Getenv(testsEnv); v != "" {
		tests = v
	}
	harness.ForEachCluster(t, 3, nil, nil, func(t *testing.T, tg harness.Target) {
		runSurefire(t, tg, tests)
	})
}

// runSurefire runs `mvn -o surefire:test` in test/java with the given test
// filter against one target, failing the test with Maven's output (which
// names each failed check) unless every check passed.
func runSurefire(t *testing.T, tg harness.Target, tests string) {
	t.Helper()
	dir, err := harness.JavaModuleDir()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), surefireTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "mvn", "-B", "-o", "surefire:test",
		"-Dbootstrap="+tg.Bootstrap, "-Dnodes="+strconv.Itoa(tg.Nodes),
		"-Dtarget.name="+tg.Name+"-"+strconv.Itoa(tg.Nodes),
		"-Dtest="+tests, "-Dsurefire.failIfNoSpecifiedTests=false")
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("JUnit checks against %s (%s): %v\n%s", tg.Name, tg.Bootstrap, err, failureLines(string(out)))
	}
	t.Logf("JUnit checks against %s: %s", tg.Name, summary(string(out)))
}

// summary returns Surefire's "Tests run:" totals line.
func summary(out string) string {
	last := ""
	for line := range strings.Lines(out) {
		if strings.Contains(line, "Tests run:") {
			last = strings.TrimSpace(line)
		}
	}
	return last
}

// failureLines keeps Maven's output from the results section on, or its
// last 200 lines.
func failureLines(out string) string {
	if i := strings.Index(out, "Results:"); i >= 0 {
		return out[i:]
	}
	lines := strings.Split(out, "\n")
	if len(lines) > 200 {
		lines = lines[len(lines)-200:]
	}
	return strings.Join(lines, "\n")
}
