package harness

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

// targetsEnv, when set, names the targets ForEachTarget and ForEachCluster
// run ("samsa", "kafka" or both, comma-separated), for debugging one side.
const targetsEnv = "SAMSA_DIFF_TARGETS"

// runTarget runs fn as subtest name unless SAMSA_DIFF_TARGETS leaves it out.
func runTarget(t *testing.T, name string, fn func(t *testing.T)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		if v := os.Getenv(targetsEnv); v != "" && !slices.Contains(strings.Split(v, ","), name) {
			t.Skipf("%s=%s", targetsEnv, v)
		}
		fn(t)
	})
}

// Target is a broker that a differential check runs against: Samsa or the
// reference Apache Kafka.
type Target struct {
	// Name is "kafka" or "samsa", also the subtest's name.
	Name string
	// Bootstrap is the host:port list for bootstrap.servers.
	Bootstrap string
	// Nodes is how many brokers the target has.
	Nodes int
}

// ForEachTarget runs check as a subtest against a fresh reference Apache
// Kafka node first and then against a fresh single samsa node, so that a
// check that fails on Kafka (a wrong check) shows before its Samsa result.
// Both nodes get SingleNodeProps. Each node is stopped when its subtest ends. kafkaProps and samsaProps add
// server properties to each; either may be nil. The test package's
// TestMain must call MainJava.
func ForEachTarget(t *testing.T, kafkaProps, samsaProps map[string]string, check func(t *testing.T, tg Target)) {
	t.Helper()
	runTarget(t, "kafka", func(t *testing.T) {
		k := StartKafka(t, kafkaProps) // SingleNodeProps included
		check(t, Target{Name: "kafka", Bootstrap: k.Addr, Nodes: 1})
	})
	runTarget(t, "samsa", func(t *testing.T) {
		props := SingleNodeProps()
		maps.Copy(props, samsaProps)
		b := Start(t, props)
		check(t, Target{Name: "samsa", Bootstrap: b.Addr, Nodes: 1})
	})
}

// ForEachCluster is ForEachTarget with an n-node Kafka cluster
// (StartKafkaCluster) and an n-node samsa cluster (StartCluster), each
// started for its subtest; kafkaProps and samsaProps apply to every node.
func ForEachCluster(t *testing.T, n int, kafkaProps, samsaProps map[string]string, check func(t *testing.T, tg Target)) {
	t.Helper()
	runTarget(t, "kafka", func(t *testing.T) {
		c := StartKafkaCluster(t, n, kafkaProps)
		check(t, Target{Name: "kafka", Bootstrap: c.Bootstrap(), Nodes: n})
	})
	runTarget(t, "samsa", func(t *testing.T) {
		c := StartCluster(t, n, samsaProps)
		check(t, Target{Name: "samsa", Bootstrap: c.Bootstrap(), Nodes: n})
	})
}

// SingleNodeProps are the server properties that a differential check gives
// Samsa and Kafka alike so that one node can host the internal topics
// (both default their replication factor to 3, and then answer
// COORDINATOR_NOT_AVAILABLE on a single node) and groups form at once.
func SingleNodeProps() map[string]string {
	return map[string]string{
		"num.partitions":                           "1",
		"offsets.topic.replication.factor":         "1",
		"offsets.topic.num.partitions":             "5",
		"transaction.state.log.replication.factor": "1",
		"transaction.state.log.min.isr":            "1",
		"transaction.state.log.num.partitions":     "5",
		"group.initial.rebalance.delay.ms":         "0",
		// Kafka's share-group state topic (KIP-932); Samsa keeps no such
		// topic yet and ignores these.
		"share.coordinator.state.topic.replication.factor": "1",
		"share.coordinator.state.topic.min.isr":            "1",
		"share.coordinator.state.topic.num.partitions":     "5",
	}
}
