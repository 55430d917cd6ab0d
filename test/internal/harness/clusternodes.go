package harness

import (
	"testing"
)

// Node is one broker of a target cluster that a check can kill -9 and
// launch again on the same ports and data: a *Kafka or a *Broker.
type Node interface {
	// Kill sends SIGKILL and waits for the process to exit.
	Kill()
	// Launch starts the killed node again and waits until it serves.
	Launch()
	// Running reports whether the process is alive.
	Running() bool
}

// ClusterTarget is a Target whose nodes the check controls.
type ClusterTarget struct {
	Target
	// Nodes holds node.id i+1 at index i.
	Nodes []Node
}

// ForEachClusterNodes is ForEachCluster for checks that kill and restart
// brokers: the check gets the nodes of the n-node Kafka cluster, then of the
// n-node samsa cluster. Each cluster is stopped when its subtest ends.
func ForEachClusterNodes(t *testing.T, n int, kafkaProps, samsaProps map[string]string, check func(t *testing.T, tg ClusterTarget)) {
	t.Helper()
	runTarget(t, "kafka", func(t *testing.T) {
		c := StartKafkaCluster(t, n, kafkaProps)
		tg := ClusterTarget{Target: Target{Name: "kafka", Bootstrap: c.Bootstrap(), Nodes: n}}
		for _, k := range c.Nodes {
			tg.Nodes = append(tg.Nodes, k)
		}
		check(t, tg)
	})
	runTarget(t, "samsa", func(t *testing.T) {
		c := StartCluster(t, n, samsaProps)
		tg := ClusterTarget{Target: Target{Name: "samsa", Bootstrap: c.Bootstrap(), Nodes: n}}
		for _, b := range c.Nodes {
			tg.Nodes = append(tg.Nodes, b)
		}
		check(t, tg)
	})
}
