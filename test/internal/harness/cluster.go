package harness

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Cluster is a set of samsa server processes that form one Raft controller
// quorum, each node both broker and controller, started from generated
// properties files written with Kafka's key names.
type Cluster struct {
	t     testing.TB
	props []map[string]string
	// Nodes holds node i+1 at index i.
	Nodes []*Broker
	// MetricsAddrs holds each node's metrics listener host:port.
	MetricsAddrs []string
}

// ClusterProps returns the properties of an n-node combined cluster on free
// loopback ports, one map per node: node.id, process.roles,
// controller.quorum.voters, listeners, controller.listener.names,
// inter.broker.listener.name, listener.security.protocol.map, log.dirs,
// a metrics listener, replication factor 3 defaults with
// min.insync.replicas=2 and heartbeat/session timeouts short enough for
// tests. extra is applied to every node.
func ClusterProps(t testing.TB, n int, extra map[string]string) []map[string]string {
	t.Helper()
	clientPorts, ctrlPorts := make([]int, n), make([]int, n)
	var voters []string
	for i := range n {
		clientPorts[i], ctrlPorts[i] = FreePort(t), FreePort(t)
		voters = append(voters, fmt.Sprintf("%d@127.0.0.1:%d", i+1, ctrlPorts[i]))
	}
	base := t.TempDir()
	rf := strconv.Itoa(min(n, 3))
	out := make([]map[string]string, n)
	for i := range n {
		props := map[string]string{
			"node.id":                                  strconv.Itoa(i + 1),
			"process.roles":                            "broker,controller",
			"controller.quorum.voters":                 strings.Join(voters, ","),
			"listeners":                                fmt.Sprintf("PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d", clientPorts[i], ctrlPorts[i]),
			"advertised.listeners":                     fmt.Sprintf("PLAINTEXT://127.0.0.1:%d", clientPorts[i]),
			"controller.listener.names":                "CONTROLLER",
			"inter.broker.listener.name":               "PLAINTEXT",
			"listener.security.protocol.map":           "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
			"log.dirs":                                 filepath.Join(base, fmt.Sprintf("node-%d", i+1)),
			"metrics.listener":                         fmt.Sprintf("http://127.0.0.1:%d", FreePort(t)),
			"default.replication.factor":               rf,
			"offsets.topic.replication.factor":         rf,
			"transaction.state.log.replication.factor": rf,
			"min.insync.replicas":                      "2",
			"broker.heartbeat.interval.ms":             "500",
			"broker.session.timeout.ms":                "3000",
			"replica.lag.time.max.ms":                  "5000",
			"group.initial.rebalance.delay.ms":         "0",
		}
		maps.Copy(props, extra)
		out[i] = props
	}
	return out
}

// StartCluster starts an n-node cluster (see ClusterProps) and waits until
// every node serves and Metadata lists all n brokers. Every process is
// stopped when the test ends.
func StartCluster(t testing.TB, n int, extra map[string]string) *Cluster {
	t.Helper()
	return StartClusterProps(t, ClusterProps(t, n, extra))
}

// StartClusterProps starts one node per properties map: all processes
// first, since none can serve before a quorum of voters runs.
func StartClusterProps(t testing.TB, props []map[string]string) *Cluster {
	t.Helper()
	c := &Cluster{t: t, props: props}
	for _, p := range props {
		b := newBroker(t, p)
		c.Nodes = append(c.Nodes, b)
		c.MetricsAddrs = append(c.MetricsAddrs, strings.TrimPrefix(p["metrics.listener"], "http://"))
	}
	for _, b := range c.Nodes {
		b.spawn()
	}
	for _, b := range c.Nodes {
		b.mustBeReady()
	}
	c.WaitBrokers(len(c.Nodes))
	return c
}

// AddBroker starts a broker-only node (process.roles=broker) with the next
// node id, following the running quorum's metadata log as a non-voter, and
// waits until Metadata lists it. extra is applied to its properties.
func (c *Cluster) AddBroker(extra map[string]string) *Broker {
	c.t.Helper()
	id := len(c.Nodes) + 1
	base := c.props[0]
	props := map[string]string{
		"node.id":                        strconv.Itoa(id),
		"process.roles":                  "broker",
		"controller.quorum.voters":       base["controller.quorum.voters"],
		"controller.listener.names":      base["controller.listener.names"],
		"inter.broker.listener.name":     base["inter.broker.listener.name"],
		"listener.security.protocol.map": base["listener.security.protocol.map"],
		"listeners":                      fmt.Sprintf("PLAINTEXT://127.0.0.1:%d", FreePort(c.t)),
		"log.dirs":                       filepath.Join(c.t.TempDir(), fmt.Sprintf("node-%d", id)),
		"metrics.listener":               fmt.Sprintf("http://127.0.0.1:%d", FreePort(c.t)),
	}
	for _, k := range []string{"default.replication.factor", "offsets.topic.replication.factor", "min.insync.replicas",
		"broker.heartbeat.interval.ms", "broker.session.timeout.ms", "replica.lag.time.max.ms"} {
		props[k] = base[k]
	}
	maps.Copy(props, extra)
	b := newBroker(c.t, props)
	c.Nodes = append(c.Nodes, b)
	c.props = append(c.props, props)
	c.MetricsAddrs = append(c.MetricsAddrs, strings.TrimPrefix(props["metrics.listener"], "http://"))
	b.launch()
	c.WaitBrokers(len(c.Nodes))
	return b
}

// Bootstrap is every running node's client address, comma-separated.
func (c *Cluster) Bootstrap() string {
	var addrs []string
	for _, b := range c.Nodes {
		if b.Running() {
			addrs = append(addrs, b.Addr)
		}
	}
	return strings.Join(addrs, ",")
}

// Node returns the node with the given node.id.
func (c *Cluster) Node(id int32) *Broker {
	c.t.Helper()
	if id < 1 || int(id) > len(c.Nodes) {
		c.t.Fatalf("harness: no node %d in a %d-node cluster", id, len(c.Nodes))
	}
	return c.Nodes[id-1]
}

// Client returns a franz-go client seeded with every running node, closed
// when the test ends.
func (c *Cluster) Client(opts ...kgo.Opt) *kgo.Client {
	c.t.Helper()
	all := append([]kgo.Opt{kgo.SeedBrokers(strings.Split(c.Bootstrap(), ",")...)}, opts...)
	cl, err := kgo.NewClient(all...)
	if err != nil {
		c.t.Fatalf("harness: new client: %v", err)
	}
	c.t.Cleanup(cl.Close)
	return cl
}

// Admin returns an admin client seeded with every running node.
func (c *Cluster) Admin() *kadm.Client {
	c.t.Helper()
	return kadm.NewClient(c.Client())
}

// metadata asks a fresh client (seeded with the running nodes) for the
// cluster's metadata; fresh, so that it never answers from a cache.
func (c *Cluster) metadata(topics ...string) (kadm.Metadata, error) {
	return metadataFrom(strings.Split(c.Bootstrap(), ","), topics...)
}

// metadataFrom asks the first of seeds that answers.
func metadataFrom(seeds []string, topics ...string) (kadm.Metadata, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...),
		kgo.DialTimeout(time.Second), kgo.RequestRetries(1), kgo.RetryTimeout(2*time.Second))
	if err != nil {
		return kadm.Metadata{}, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return kadm.NewClient(cl).Metadata(ctx, topics...)
}

// WaitBrokers waits until every running node's Metadata lists exactly n
// brokers.
func (c *Cluster) WaitBrokers(n int) {
	c.t.Helper()
	Eventually(c.t, 60*time.Second, func() error {
		for _, b := range c.Nodes {
			if !b.Running() {
				continue
			}
			md, err := metadataFrom([]string{b.Addr})
			if err != nil {
				return fmt.Errorf("node %s: %w", b.Addr, err)
			}
			if len(md.Brokers) != n {
				return fmt.Errorf("node %s: metadata lists %d brokers, want %d", b.Addr, len(md.Brokers), n)
			}
		}
		return nil
	})
}

// CreateTopic creates a topic with the given replication factor and
// configs and waits until every partition has a leader and a full ISR.
func (c *Cluster) CreateTopic(topic string, partitions int32, rf int16, configs map[string]string) {
	c.t.Helper()
	ptrs := make(map[string]*string, len(configs))
	for k, v := range configs {
		ptrs[k] = kadm.StringPtr(v)
	}
	Eventually(c.t, 30*time.Second, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		resp, err := c.Admin().CreateTopic(ctx, partitions, rf, ptrs, topic)
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("create topic %q: %w (%s)", topic, err, resp.ErrMessage)
		}
		return nil
	})
	c.WaitFullISR(topic, int(rf))
}

// WaitFullISR waits until every running node's Metadata shows every
// partition of topic with a leader and an ISR of size isr: each node
// applies the metadata log on its own, so one node showing it is not
// enough for a client that asks another.
func (c *Cluster) WaitFullISR(topic string, isr int) {
	c.t.Helper()
	Eventually(c.t, 60*time.Second, func() error {
		for _, b := range c.Nodes {
			if !b.Running() {
				continue
			}
			md, err := metadataFrom([]string{b.Addr}, topic)
			if err != nil {
				return fmt.Errorf("node %s: %w", b.Addr, err)
			}
			td, ok := md.Topics[topic]
			if !ok || td.Err != nil || len(td.Partitions) == 0 {
				return fmt.Errorf("node %s: topic %q not ready: %v", b.Addr, topic, td.Err)
			}
			for _, p := range td.Partitions {
				if p.Leader < 0 || len(p.ISR) != isr {
					return fmt.Errorf("node %s: %s-%d: leader %d ISR %v, want %d in sync", b.Addr, topic, p.Partition, p.Leader, p.ISR, isr)
				}
			}
		}
		return nil
	})
}

// Leader returns the current leader of topic-partition as Metadata shows it
// (waiting for one to exist).
func (c *Cluster) Leader(topic string, partition int32) int32 {
	c.t.Helper()
	var leader int32 = -1
	Eventually(c.t, 60*time.Second, func() error {
		md, err := c.metadata(topic)
		if err != nil {
			return err
		}
		p, ok := md.Topics[topic].Partitions[partition]
		if !ok || p.Leader < 0 || !c.Node(p.Leader).Running() {
			return fmt.Errorf("%s-%d has no live leader (metadata says %d)", topic, partition, p.Leader)
		}
		leader = p.Leader
		return nil
	})
	return leader
}

// ActiveController returns the node id Metadata reports as controller.
func (c *Cluster) ActiveController() int32 {
	c.t.Helper()
	var id int32 = -1
	Eventually(c.t, 60*time.Second, func() error {
		md, err := c.metadata()
		if err != nil {
			return err
		}
		if md.Controller < 1 || !c.Node(md.Controller).Running() {
			return fmt.Errorf("no live active controller (metadata says %d)", md.Controller)
		}
		id = md.Controller
		return nil
	})
	return id
}

// PartitionsLedBy lists topic's partitions whose leader is node.
func (c *Cluster) PartitionsLedBy(topic string, node int32) []int32 {
	c.t.Helper()
	md, err := c.metadata(topic)
	if err != nil {
		c.t.Fatalf("harness: metadata: %v", err)
	}
	var out []int32
	for _, p := range md.Topics[topic].Partitions {
		if p.Leader == node {
			out = append(out, p.Partition)
		}
	}
	slices.Sort(out)
	return out
}
