package verify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// stopTimeout bounds a node's clean shutdown before it is killed.
const stopTimeout = 20 * time.Second

// LocalCluster is a cluster of samsa server processes that verify started
// itself, each node broker and controller, on free loopback ports, with its
// data and logs under one directory.
//
// Threading: not safe for concurrent use. One goroutine at a time drives it:
// the nemesis while the workload runs, then the caller to heal and Stop.
// Each running node has one goroutine waiting for its process, which ends
// when the process exits.
type LocalCluster struct {
	exe   string
	dir   string
	log   *slog.Logger
	nodes []*localNode
}

type localNode struct {
	id        int32
	addr      string
	propsFile string
	logFile   string
	cmd       *exec.Cmd
	exited    chan struct{} // closed when cmd has exited; nil when never started
	paused    bool
}

func (n *localNode) running() bool {
	if n.exited == nil {
		return false
	}
	select {
	case <-n.exited:
		return false
	default:
		return true
	}
}

// errNodeExited is a node exiting while the cluster starts, most often
// because another process took one of its ports between the moment it was
// found free and the node binding it.
var errNodeExited = errors.New("node exited while starting")

// startAttempts bounds the starts with fresh ports after errNodeExited.
const startAttempts = 3

// StartLocalCluster writes the properties of n nodes under dir and starts
// them as "exe server FILE", then waits until every node serves and lists
// all n brokers; when a node exits meanwhile, it starts over with fresh
// ports and data. On error the nodes already started are stopped.
func StartLocalCluster(ctx context.Context, exe string, n int, dir string, log *slog.Logger) (*LocalCluster, error) {
	var err error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		var c *LocalCluster
		c, err = startLocalClusterOnce(ctx, exe, n, dir, log)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, errNodeExited) {
			return nil, err
		}
		log.Warn("cluster start failed; retrying with fresh ports", "attempt", attempt, "err", err)
	}
	return nil, err
}

func startLocalClusterOnce(ctx context.Context, exe string, n int, dir string, log *slog.Logger) (*LocalCluster, error) {
	c := &LocalCluster{exe: exe, dir: dir, log: log}
	props, err := localClusterProps(n, dir)
	if err != nil {
		return nil, err
	}
	for i, p := range props {
		if err := os.RemoveAll(p["log.dirs"]); err != nil {
			return nil, fmt.Errorf("clear node data: %w", err)
		}
		node := &localNode{
			id:        int32(i + 1),
			addr:      strings.TrimPrefix(p["advertised.listeners"], "PLAINTEXT://"),
			propsFile: filepath.Join(dir, fmt.Sprintf("node-%d.properties", i+1)),
			logFile:   filepath.Join(dir, fmt.Sprintf("node-%d.log", i+1)),
		}
		var sb strings.Builder
		for _, k := range slices.Sorted(maps.Keys(p)) {
			fmt.Fprintf(&sb, "%s=%s\n", k, p[k])
		}
		if err := os.WriteFile(node.propsFile, []byte(sb.String()), 0o644); err != nil {
			return nil, fmt.Errorf("write node properties: %w", err)
		}
		c.nodes = append(c.nodes, node)
	}
	for i := range c.nodes {
		if err := c.Start(i); err != nil {
			c.Stop()
			return nil, err
		}
	}
	if err := c.WaitReady(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// localClusterProps gives each node its ports (free now, on 127.0.0.1), its
// data directory and timeouts short enough that a fault moves leadership
// within seconds.
func localClusterProps(n int, dir string) ([]map[string]string, error) {
	ports := make([]int, 2*n)
	for i := range ports {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		ports[i] = p
	}
	var voters []string
	for i := range n {
		voters = append(voters, fmt.Sprintf("%d@127.0.0.1:%d", i+1, ports[2*i+1]))
	}
	rf := strconv.Itoa(min(n, 3))
	out := make([]map[string]string, n)
	for i := range n {
		out[i] = map[string]string{
			"node.id":                                  strconv.Itoa(i + 1),
			"process.roles":                            "broker,controller",
			"controller.quorum.voters":                 strings.Join(voters, ","),
			"listeners":                                fmt.Sprintf("PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d", ports[2*i], ports[2*i+1]),
			"advertised.listeners":                     fmt.Sprintf("PLAINTEXT://127.0.0.1:%d", ports[2*i]),
			"controller.listener.names":                "CONTROLLER",
			"inter.broker.listener.name":               "PLAINTEXT",
			"listener.security.protocol.map":           "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
			"log.dirs":                                 filepath.Join(dir, fmt.Sprintf("node-%d", i+1)),
			"default.replication.factor":               rf,
			"offsets.topic.replication.factor":         rf,
			"transaction.state.log.replication.factor": rf,
			"min.insync.replicas":                      strconv.Itoa(min(n, 2)),
			"broker.heartbeat.interval.ms":             "500",
			"broker.session.timeout.ms":                "3000",
			"replica.lag.time.max.ms":                  "5000",
			"group.initial.rebalance.delay.ms":         "0",
		}
	}
	return out, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Size is the number of nodes.
func (c *LocalCluster) Size() int { return len(c.nodes) }

// Dir is where the nodes keep their data, properties and logs.
func (c *LocalCluster) Dir() string { return c.dir }

// Bootstrap lists every node's client address.
func (c *LocalCluster) Bootstrap() []string {
	var out []string
	for _, n := range c.nodes {
		out = append(out, n.addr)
	}
	return out
}

// Start starts node i (0-based) if it is not running.
func (c *LocalCluster) Start(i int) error {
	n := c.nodes[i]
	if n.running() {
		return nil
	}
	logf, err := os.OpenFile(n.logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("node %d log: %w", n.id, err)
	}
	cmd := exec.Command(c.exe, "server", n.propsFile)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = nodeProcAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start node %d: %w", n.id, err)
	}
	exited := make(chan struct{})
	go func() { // owned by the node: ends when its process exits
		cmd.Wait()
		logf.Close()
		close(exited)
	}()
	n.cmd, n.exited, n.paused = cmd, exited, false
	c.log.Debug("node started", "node", n.id, "pid", cmd.Process.Pid)
	return nil
}

// Kill sends SIGKILL to node i and waits for it to exit.
func (c *LocalCluster) Kill(i int) {
	n := c.nodes[i]
	if !n.running() {
		return
	}
	n.cmd.Process.Kill()
	<-n.exited
	n.paused = false
}

// Pause sends SIGSTOP to node i.
func (c *LocalCluster) Pause(i int) {
	n := c.nodes[i]
	if n.running() && !n.paused {
		pauseProcess(n.cmd.Process)
		n.paused = true
	}
}

// Resume sends SIGCONT to node i if it was paused.
func (c *LocalCluster) Resume(i int) {
	n := c.nodes[i]
	if n.running() && n.paused {
		resumeProcess(n.cmd.Process)
	}
	n.paused = false
}

// Heal resumes every paused node, starts every stopped one and waits until
// all serve.
func (c *LocalCluster) Heal(ctx context.Context) error {
	for i := range c.nodes {
		c.Resume(i)
		if err := c.Start(i); err != nil {
			return err
		}
	}
	return c.WaitReady(ctx)
}

// WaitReady waits until every node answers Metadata listing every node as
// a broker.
func (c *LocalCluster) WaitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	var last error
	for {
		last = c.allListBrokers(ctx)
		if last == nil {
			return nil
		}
		for _, n := range c.nodes {
			if !n.running() {
				return fmt.Errorf("node %d: %w (see %s)", n.id, errNodeExited, n.logFile)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster not ready: %w (node logs in %s)", errors.Join(last, ctx.Err()), c.dir)
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func (c *LocalCluster) allListBrokers(ctx context.Context) error {
	for _, n := range c.nodes {
		md, err := metadataOf(ctx, []string{n.addr})
		if err != nil {
			return fmt.Errorf("node %d: %w", n.id, err)
		}
		if len(md.Brokers) != len(c.nodes) {
			return fmt.Errorf("node %d lists %d brokers, want %d", n.id, len(md.Brokers), len(c.nodes))
		}
	}
	return nil
}

// metadataOf asks seeds for the cluster's metadata with a fresh client, so
// the answer never comes from a cache.
func metadataOf(ctx context.Context, seeds []string, topics ...string) (kadm.Metadata, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.DialTimeout(time.Second),
		kgo.RequestRetries(1), kgo.RetryTimeout(2*time.Second))
	if err != nil {
		return kadm.Metadata{}, fmt.Errorf("new client: %w", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	return kadm.NewClient(cl).Metadata(ctx, topics...)
}

// Stop stops every node: continued if paused, SIGTERM, then SIGKILL for a
// node still running after stopTimeout.
func (c *LocalCluster) Stop() {
	for i, n := range c.nodes {
		if !n.running() {
			continue
		}
		c.Resume(i)
		terminateProcess(n.cmd.Process)
	}
	deadline, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	for _, n := range c.nodes {
		if !n.running() {
			continue
		}
		select {
		case <-n.exited:
		case <-deadline.Done():
			c.log.Warn("node did not stop in time; killing it", "node", n.id)
			n.cmd.Process.Kill()
			<-n.exited
		}
	}
}
