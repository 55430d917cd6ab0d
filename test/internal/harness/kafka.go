package harness

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	// kafkaReadyTimeout bounds how long the reference Kafka node may take to
	// start a JVM, elect itself and answer ApiVersions and Metadata.
	kafkaReadyTimeout = 90 * time.Second
	// kafkaStopTimeout is how long the reference node gets after SIGTERM
	// (a controlled shutdown) before SIGKILL.
	kafkaStopTimeout = 30 * time.Second
	// kafkaFormatTimeout bounds the storage format tool.
	kafkaFormatTimeout = 2 * time.Minute
)

// kafkaLog4j keeps the reference node's own log to warnings on stdout, which
// the harness captures and shows when a test fails.
const kafkaLog4j = `status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stdout.ref = STDOUT
`

// Kafka is one Apache Kafka 4.4 node (KRaft, combined broker and controller)
// run from the jars pinned in test/java: the reference that Samsa's
// behaviour is compared with. It is owned by the test that started it.
type Kafka struct {
	t testing.TB

	// Addr is host:port of the PLAINTEXT listener, for bootstrap lists.
	Addr string
	// LogDir is the node's log.dirs directory.
	LogDir string
	// PropsFile is the server.properties file the node was started with.
	PropsFile string

	classpath string
	log4j     string
	log       *logBuffer
	proc      *process
}

// StartKafka formats storage for a fresh single-node KRaft cluster (random
// cluster id, --standalone controller quorum) and starts Apache Kafka with a
// PLAINTEXT listener and a CONTROLLER listener on free loopback ports and
// data in a temporary directory; extra adds or replaces server properties.
// It waits until the node answers ApiVersions and Metadata and registers a
// cleanup that stops it (SIGTERM, then SIGKILL). The test package's TestMain
// must call MainJava.
func StartKafka(t testing.TB, extra map[string]string) *Kafka {
	t.Helper()
	port, cport := FreePort(t), FreePort(t)
	props := kafkaNodeProps(t, 1, port, cport)
	props["controller.quorum.bootstrap.servers"] = "127.0.0.1:" + strconv.Itoa(cport)
	maps.Copy(props, SingleNodeProps())
	maps.Copy(props, extra)
	k := newKafka(t, props)
	k.format(KafkaClusterID(t), "--standalone")
	k.spawn()
	k.mustBeReady()
	return k
}

// KafkaCluster is an n-node Apache Kafka cluster, every node a combined
// broker and controller with a static voter set.
type KafkaCluster struct {
	Nodes []*Kafka
}

// StartKafkaCluster formats and starts n combined Kafka nodes (node ids 1..n,
// static controller.quorum.voters, internal topics and default replication
// factor min(n, 3), min.insync.replicas 2 when n > 1) on free loopback
// ports, and waits until every node's Metadata lists n brokers; extra is
// applied to every node. Every JVM is stopped when the test ends.
func StartKafkaCluster(t testing.TB, n int, extra map[string]string) *KafkaCluster {
	t.Helper()
	ports, cports := make([]int, n), make([]int, n)
	var voters []string
	for i := range n {
		ports[i], cports[i] = FreePort(t), FreePort(t)
		voters = append(voters, fmt.Sprintf("%d@127.0.0.1:%d", i+1, cports[i]))
	}
	rf := strconv.Itoa(min(n, 3))
	id := KafkaClusterID(t)
	c := &KafkaCluster{}
	for i := range n {
		props := kafkaNodeProps(t, i+1, ports[i], cports[i])
		maps.Copy(props, map[string]string{
			"controller.quorum.voters":                         strings.Join(voters, ","),
			"default.replication.factor":                       rf,
			"offsets.topic.replication.factor":                 rf,
			"transaction.state.log.replication.factor":         rf,
			"share.coordinator.state.topic.replication.factor": rf,
			"min.insync.replicas":                              strconv.Itoa(min(n, 2)),
			"transaction.state.log.min.isr":                    strconv.Itoa(min(n, 2)),
			"group.initial.rebalance.delay.ms":                 "0",
		})
		maps.Copy(props, extra)
		k := newKafka(t, props)
		k.format(id)
		c.Nodes = append(c.Nodes, k)
	}
	// Registered after the nodes' own cleanups, so it runs first: stop them
	// all at once, since a node left alone without a controller quorum
	// waits in its controlled shutdown until SIGKILL.
	t.Cleanup(c.stopAll)
	for _, k := range c.Nodes { // all at once: a quorum needs a majority up
		k.spawn()
	}
	for _, k := range c.Nodes {
		k.mustBeReady()
	}
	c.WaitBrokers(n)
	return c
}

// stopAll sends SIGTERM to every running node, then waits for each until a
// shared deadline and SIGKILLs the ones still running, logging them.
func (c *KafkaCluster) stopAll() {
	var running []*Kafka
	for _, k := range c.Nodes {
		if k.proc != nil {
			k.log.mark("=== SIGTERM " + time.Now().Format(time.RFC3339Nano))
			_ = k.proc.cmd.Process.Signal(syscall.SIGTERM)
			running = append(running, k)
		}
	}
	deadline := time.Now().Add(kafkaStopTimeout)
	for _, k := range running {
		p := k.proc
		k.proc = nil
		select {
		case <-p.done:
		case <-time.After(time.Until(deadline)):
			k.t.Logf("harness: kafka %s: no exit within %v of SIGTERM; killed", k.Addr, kafkaStopTimeout)
			_ = p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.done
		}
	}
}

// Bootstrap returns every node's PLAINTEXT address, comma-separated.
func (c *KafkaCluster) Bootstrap() string {
	addrs := make([]string, len(c.Nodes))
	for i, k := range c.Nodes {
		addrs[i] = k.Addr
	}
	return strings.Join(addrs, ",")
}

// WaitBrokers waits until every running node's Metadata lists exactly n
// brokers.
func (c *KafkaCluster) WaitBrokers(n int) {
	t := c.Nodes[0].t
	t.Helper()
	Eventually(t, kafkaReadyTimeout, func() error {
		for _, k := range c.Nodes {
			if !k.Running() {
				continue
			}
			md, err := metadataFrom([]string{k.Addr})
			if err != nil {
				return fmt.Errorf("kafka %s: %w", k.Addr, err)
			}
			if len(md.Brokers) != n {
				return fmt.Errorf("kafka %s: metadata lists %d brokers, want %d", k.Addr, len(md.Brokers), n)
			}
		}
		return nil
	})
}

// kafkaNodeProps are the properties every reference node has: combined
// roles, a PLAINTEXT and a CONTROLLER listener on the given loopback ports,
// data in a temporary directory.
func kafkaNodeProps(t testing.TB, id, port, cport int) map[string]string {
	return map[string]string{
		"process.roles":                  "broker,controller",
		"node.id":                        strconv.Itoa(id),
		"listeners":                      fmt.Sprintf("PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d", port, cport),
		"advertised.listeners":           fmt.Sprintf("PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d", port, cport),
		"controller.listener.names":      "CONTROLLER",
		"inter.broker.listener.name":     "PLAINTEXT",
		"listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
		"log.dirs":                       filepath.Join(t.TempDir(), "data"),
		"share.coordinator.state.topic.replication.factor": "1",
		"share.coordinator.state.topic.min.isr":            "1",
	}
}

// newKafka writes the node's properties and log4j2 configuration and
// registers its cleanup; the JVM is not started yet.
func newKafka(t testing.TB, props map[string]string) *Kafka {
	t.Helper()
	addr, err := listenerAddr(props["listeners"])
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	dir := t.TempDir()
	k := &Kafka{
		t:         t,
		Addr:      addr,
		LogDir:    firstLogDir(props["log.dirs"]),
		PropsFile: filepath.Join(dir, "server.properties"),
		classpath: JavaClasspath(t),
		log4j:     filepath.Join(dir, "log4j2.properties"),
		log:       &logBuffer{},
	}
	if err := os.WriteFile(k.PropsFile, []byte(formatProps(props)), 0o644); err != nil {
		t.Fatalf("harness: write kafka properties: %v", err)
	}
	if err := os.WriteFile(k.log4j, []byte(kafkaLog4j), 0o644); err != nil {
		t.Fatalf("harness: write kafka log4j2 config: %v", err)
	}
	t.Cleanup(k.cleanup)
	return k
}

// KafkaClusterID returns a random KRaft cluster id: 16 random bytes in
// unpadded URL-safe base64, the form Kafka's storage tool accepts.
func KafkaClusterID(t testing.TB) string {
	t.Helper()
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("harness: random cluster id: %v", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// javaArgs returns the JVM arguments shared by the reference node's
// processes, followed by the main class.
func (k *Kafka) javaArgs(mainClass string) []string {
	return []string{
		"-Xms256m", "-Xmx1g",
		"-Djava.awt.headless=true",
		"-Dlog4j2.configurationFile=" + k.log4j,
		"-cp", k.classpath,
		mainClass,
	}
}

// format runs `kafka-storage format` on the node's log dir, with extra
// arguments (--standalone for a single node).
func (k *Kafka) format(clusterID string, extra ...string) {
	k.t.Helper()
	// --cluster-id=ID, not --cluster-id ID: a random id starts with '-'
	// one time in 64, and the tool's parser then takes it for an option.
	args := append(k.javaArgs("kafka.tools.StorageTool"),
		"format", "--cluster-id="+clusterID, "--config", k.PropsFile)
	args = append(args, extra...)
	if r := Run(kafkaFormatTimeout, "", "java", args...); r.Err != nil {
		k.t.Fatalf("harness: kafka storage format: %s", r)
	}
}

// spawn starts `kafka.Kafka server.properties` without waiting for it.
func (k *Kafka) spawn() {
	k.t.Helper()
	if k.proc != nil {
		k.t.Fatalf("harness: kafka %s is already running", k.Addr)
	}
	k.log.mark("=== start " + time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command("java", append(k.javaArgs("kafka.Kafka"), k.PropsFile)...)
	cmd.Stdout = k.log
	cmd.Stderr = k.log
	if err := cmd.Start(); err != nil {
		k.t.Fatalf("harness: start kafka: %v", err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() { // owned by p: ends when the JVM exits
		p.err = cmd.Wait()
		close(p.done)
	}()
	k.proc = p
}

func (k *Kafka) mustBeReady() {
	k.t.Helper()
	if err := k.waitReady(); err != nil {
		k.t.Fatalf("harness: kafka %s not ready: %v\n%s", k.Addr, err, k.log.tail(logTailLines))
	}
}

// Kill sends SIGKILL to the JVM and waits for it to exit.
func (k *Kafka) Kill() {
	k.t.Helper()
	if k.proc == nil {
		k.t.Fatalf("harness: kill: kafka %s is not running", k.Addr)
	}
	k.log.mark("=== SIGKILL " + time.Now().Format(time.RFC3339Nano))
	_ = k.proc.cmd.Process.Signal(syscall.SIGKILL)
	<-k.proc.done
	k.proc = nil
}

// Launch starts a stopped or killed node again on the same ports and data
// and waits until it serves.
func (k *Kafka) Launch() {
	k.t.Helper()
	k.spawn()
	k.mustBeReady()
}

// Running reports whether the JVM is still alive.
func (k *Kafka) Running() bool {
	if k.proc == nil {
		return false
	}
	select {
	case <-k.proc.done:
		return false
	default:
		return true
	}
}

// waitReady polls ApiVersions and Metadata until both succeed, the JVM
// exits, or kafkaReadyTimeout passes.
func (k *Kafka) waitReady() error {
	deadline := time.Now().Add(kafkaReadyTimeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-k.proc.done:
			return fmt.Errorf("process exited: %v", k.proc.err)
		default:
		}
		if last = probe(k.Addr); last == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond) // poll interval, not synchronisation
	}
	return fmt.Errorf("after %v: %w", kafkaReadyTimeout, last)
}

// Log returns everything the node wrote to stdout and stderr so far.
func (k *Kafka) Log() string { return k.log.String() }

// Stop sends SIGTERM to the JVM this harness started and waits for it to
// exit, escalating to SIGKILL after kafkaStopTimeout. A JVM ends with status
// 143 after SIGTERM, so only the need for SIGKILL is an error.
func (k *Kafka) Stop() error {
	p := k.proc
	if p == nil {
		return nil
	}
	k.proc = nil
	k.log.mark("=== SIGTERM " + time.Now().Format(time.RFC3339Nano))
	select {
	case <-p.done:
		return fmt.Errorf("kafka had already exited: %v", p.err)
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(kafkaStopTimeout):
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
		return fmt.Errorf("no exit within %v of SIGTERM; killed", kafkaStopTimeout)
	}
}

func (k *Kafka) cleanup() {
	if err := k.Stop(); err != nil {
		k.t.Errorf("harness: cleanup kafka %s: %v", k.Addr, err)
	}
	if k.t.Failed() {
		k.t.Logf("kafka %s log (last %d lines%s):\n%s",
			k.Addr, logTailLines, k.log.save(k.t.Name()), k.log.tail(logTailLines))
	}
}
