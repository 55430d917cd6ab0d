package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
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
	// connectReadyTimeout bounds how long a Connect worker JVM may take to
	// scan its plugins, join its cluster and answer on its REST listener,
	// on a loaded 2-core machine.
	connectReadyTimeout = 3 * time.Minute
	// connectStopTimeout is how long a worker gets after SIGTERM (it stops
	// its connectors and leaves its group) before SIGKILL.
	connectStopTimeout = 30 * time.Second
	// connectRESTTimeout bounds one REST request to a worker.
	connectRESTTimeout = 30 * time.Second
)

// Connect main classes, as bin/connect-standalone.sh and
// bin/connect-distributed.sh run them.
const (
	ConnectStandaloneMain  = "org.apache.kafka.connect.cli.ConnectStandalone"
	ConnectDistributedMain = "org.apache.kafka.connect.cli.ConnectDistributed"
)

// connectLog4j keeps a worker's log to Connect's own INFO lines (task
// starts, rebalances, offset commits) and everyone else's warnings, on
// stdout, which the harness shows when a test fails.
const connectLog4j = `status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stdout.ref = STDOUT
logger.connect.name = org.apache.kafka.connect
logger.connect.level = INFO
`

// ConnectWorker is one Apache Kafka Connect worker JVM (standalone or
// distributed) run from the jars pinned in test/java, owned by the test
// that started it. Its REST port and properties stay the same across
// restarts.
type ConnectWorker struct {
	t testing.TB

	// RESTAddr is host:port of the worker's REST listener; it is also the
	// worker id that the REST API's status reports name.
	RESTAddr string
	// PropsFile is the worker properties file.
	PropsFile string

	mainClass string
	// connectorFiles are a standalone worker's connector properties files.
	connectorFiles []string
	classpath      string
	log4j          string
	log            *logBuffer
	proc           *process
}

// StartConnectStandalone starts `ConnectStandalone worker.properties
// connector.properties...` with the given worker properties (a REST
// listener on a free loopback port is added unless listeners is given) and
// one properties file per connector, and waits until its REST API lists
// every connector. The test package's TestMain must call MainJava.
func StartConnectStandalone(t testing.TB, worker map[string]string, connectors ...map[string]string) *ConnectWorker {
	t.Helper()
	w := newConnectWorker(t, ConnectStandaloneMain, worker)
	dir := filepath.Dir(w.PropsFile)
	for i, c := range connectors {
		file := filepath.Join(dir, fmt.Sprintf("connector-%d.properties", i+1))
		if err := os.WriteFile(file, []byte(formatProps(c)), 0o644); err != nil {
			t.Fatalf("harness: write connector properties: %v", err)
		}
		w.connectorFiles = append(w.connectorFiles, file)
	}
	w.Launch()
	return w
}

// NewConnectDistributed writes a `ConnectDistributed worker.properties`
// worker (a REST listener on a free loopback port and its advertised
// host and port are added unless listeners is given) without starting it:
// Spawn several, then WaitReady each, so that their JVMs start side by side.
func NewConnectDistributed(t testing.TB, worker map[string]string) *ConnectWorker {
	t.Helper()
	return newConnectWorker(t, ConnectDistributedMain, worker)
}

func newConnectWorker(t testing.TB, mainClass string, worker map[string]string) *ConnectWorker {
	t.Helper()
	props := maps.Clone(worker)
	if props["listeners"] == "" {
		port := FreePort(t)
		props["listeners"] = "http://127.0.0.1:" + strconv.Itoa(port)
		props["rest.advertised.host.name"] = "127.0.0.1"
		props["rest.advertised.port"] = strconv.Itoa(port)
	}
	if props["plugin.path"] == "" {
		props["plugin.path"] = connectPluginPath(t)
	}
	addr, err := listenerAddr(props["listeners"])
	if err != nil {
		t.Fatalf("harness: connect worker: %v", err)
	}
	dir := t.TempDir()
	w := &ConnectWorker{
		t:         t,
		RESTAddr:  addr,
		PropsFile: filepath.Join(dir, "worker.properties"),
		mainClass: mainClass,
		classpath: connectClasspath(t),
		log4j:     filepath.Join(dir, "log4j2.properties"),
		log:       &logBuffer{},
	}
	if err := os.WriteFile(w.PropsFile, []byte(formatProps(props)), 0o644); err != nil {
		t.Fatalf("harness: write connect worker properties: %v", err)
	}
	if err := os.WriteFile(w.log4j, []byte(connectLog4j), 0o644); err != nil {
		t.Fatalf("harness: write connect log4j2 config: %v", err)
	}
	t.Cleanup(w.cleanup)
	return w
}

// connectPluginDir is test/java's Connect plugin directory (under target),
// which its pom fills with connect-file and the kafka-clients it was built
// against: connect-file is pinned at 4.3.1, whose connectors call
// org.apache.kafka.common.utils.AppInfoParser, a class kafka-clients 4.4.0
// moved. A worker loads the plugin from there in isolation (plugin.path, as
// Kafka's quickstart does) and finds that class in the plugin's own jars.
const connectPluginDir = "connect-plugins"

// connectPluginPath returns the plugin.path for Connect workers, failing the
// test when the test/java build did not make it.
func connectPluginPath(t testing.TB) string {
	t.Helper()
	dir, err := JavaModuleDir()
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	path := filepath.Join(dir, "target", connectPluginDir)
	if _, err := os.Stat(filepath.Join(path, "connect-file")); err != nil {
		t.Fatalf("harness: connect plugin directory: %v (built by test/java's pom)", err)
	}
	return path
}

// connectClasspath is test/java's classpath without connect-file, so that
// the FileStream connectors load only from the plugin path.
func connectClasspath(t testing.TB) string {
	t.Helper()
	var keep []string
	for _, entry := range filepath.SplitList(JavaClasspath(t)) {
		if !strings.HasPrefix(filepath.Base(entry), "connect-file-") {
			keep = append(keep, entry)
		}
	}
	return strings.Join(keep, string(os.PathListSeparator))
}

// Spawn starts the worker JVM without waiting for it.
func (w *ConnectWorker) Spawn() {
	w.t.Helper()
	if w.proc != nil {
		w.t.Fatalf("harness: connect worker %s is already running", w.RESTAddr)
	}
	w.log.mark("=== start " + time.Now().Format(time.RFC3339Nano))
	args := []string{
		"-Xms128m", "-Xmx768m",
		// A short-lived test worker: start fast rather than run fast.
		"-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
		"-Djava.awt.headless=true",
		"-Dlog4j2.configurationFile=" + w.log4j,
		"-cp", w.classpath,
		w.mainClass, w.PropsFile,
	}
	cmd := exec.Command("java", append(args, w.connectorFiles...)...)
	cmd.Stdout = w.log
	cmd.Stderr = w.log
	if err := cmd.Start(); err != nil {
		w.t.Fatalf("harness: start connect worker: %v", err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() { // owned by p: ends when the JVM exits
		p.err = cmd.Wait()
		close(p.done)
	}()
	w.proc = p
}

// WaitReady waits until the worker's REST API answers GET /connectors
// with a 2xx (before its REST resources are up it answers 404), failing the
// test if the JVM exits first or connectReadyTimeout passes.
func (w *ConnectWorker) WaitReady() {
	w.t.Helper()
	deadline := time.Now().Add(connectReadyTimeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-w.proc.done:
			w.t.Fatalf("harness: connect worker %s exited: %v\n%s", w.RESTAddr, w.proc.err, w.log.tail(logTailLines))
		default:
		}
		var names []string
		if last = w.REST(http.MethodGet, "/connectors", nil, &names); last == nil {
			return
		}
		time.Sleep(500 * time.Millisecond) // poll interval, not synchronisation
	}
	w.t.Fatalf("harness: connect worker %s not ready after %v: %v\n%s",
		w.RESTAddr, connectReadyTimeout, last, w.log.tail(logTailLines))
}

// Launch starts a new or stopped worker and waits until it is ready.
func (w *ConnectWorker) Launch() {
	w.t.Helper()
	w.Spawn()
	w.WaitReady()
}

// Kill sends SIGKILL to the worker JVM and waits for it to exit: no
// offset commit, no leaving the group.
func (w *ConnectWorker) Kill() {
	w.t.Helper()
	if w.proc == nil {
		w.t.Fatalf("harness: kill: connect worker %s is not running", w.RESTAddr)
	}
	w.log.mark("=== SIGKILL " + time.Now().Format(time.RFC3339Nano))
	_ = w.proc.cmd.Process.Signal(syscall.SIGKILL)
	<-w.proc.done
	w.proc = nil
}

// Stop sends SIGTERM (Connect's shutdown hook stops its connectors and
// leaves the group) and waits for the JVM to exit, escalating to SIGKILL
// after connectStopTimeout, which is an error.
func (w *ConnectWorker) Stop() error {
	p := w.proc
	if p == nil {
		return nil
	}
	w.proc = nil
	w.log.mark("=== SIGTERM " + time.Now().Format(time.RFC3339Nano))
	select {
	case <-p.done:
		return fmt.Errorf("connect worker had already exited: %v", p.err)
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(connectStopTimeout):
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
		return fmt.Errorf("no exit within %v of SIGTERM; killed", connectStopTimeout)
	}
}

// Log returns everything the worker wrote so far, across restarts.
func (w *ConnectWorker) Log() string { return w.log.String() }

// REST sends a request with body (JSON-encoded unless nil) to the worker's
// REST API and decodes a 2xx answer into out (unless nil); any other status
// is an error carrying the answer.
func (w *ConnectWorker) REST(method, path string, body, out any) error {
	var in io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		in = bytes.NewReader(data)
	}
	ctx, cancel := context.WithTimeout(context.Background(), connectRESTTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, "http://"+w.RESTAddr+path, in)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, data)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: decode %q: %w", method, path, data, err)
		}
	}
	return nil
}

func (w *ConnectWorker) cleanup() {
	if err := w.Stop(); err != nil {
		w.t.Errorf("harness: cleanup connect worker %s: %v", w.RESTAddr, err)
	}
	if w.t.Failed() {
		w.t.Logf("connect worker %s log (last %d lines%s):\n%s",
			w.RESTAddr, logTailLines, w.log.save(w.t.Name()), w.log.tail(logTailLines))
	}
}

// ConnectorStatus is the answer of GET /connectors/{name}/status.
type ConnectorStatus struct {
	Name      string          `json:"name"`
	Connector ConnectorState  `json:"connector"`
	Tasks     []ConnectorTask `json:"tasks"`
	Type      string          `json:"type"`
}

// ConnectorState is where a connector (or one of its tasks) runs and in
// what state; Trace holds the stack trace of a FAILED one.
type ConnectorState struct {
	State    string `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace,omitempty"`
}

// ConnectorTask is one task's entry in a ConnectorStatus.
type ConnectorTask struct {
	ID int `json:"id"`
	ConnectorState
}

// Status returns the connector's status as this worker's REST API reports it.
func (w *ConnectWorker) Status(connector string) (ConnectorStatus, error) {
	var st ConnectorStatus
	err := w.REST(http.MethodGet, "/connectors/"+connector+"/status", nil, &st)
	return st, err
}

// Running returns nil when the connector and exactly tasks tasks are
// RUNNING, else an error describing the status (for Eventually).
func (st ConnectorStatus) Running(tasks int) error {
	if st.Connector.State != "RUNNING" || len(st.Tasks) != tasks {
		return fmt.Errorf("connector %s: %+v, want RUNNING with %d tasks", st.Name, st, tasks)
	}
	for _, task := range st.Tasks {
		if task.State != "RUNNING" {
			return fmt.Errorf("connector %s task %d: %+v, want RUNNING", st.Name, task.ID, task.ConnectorState)
		}
	}
	return nil
}
