package harness

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const (
	// readyTimeout bounds how long a started broker may take to answer
	// ApiVersions and Metadata.
	readyTimeout = 30 * time.Second
	// stopTimeout is how long Stop waits after SIGTERM before SIGKILL.
	stopTimeout = 10 * time.Second
	// logTailLines is how much of the broker's stderr a failed test shows.
	logTailLines = 150
)

// Broker is one running (or stopped) samsa server process owned by a test.
// Its port, properties file and data directory stay the same across
// restarts. Methods are meant to be called from the test goroutine.
type Broker struct {
	t testing.TB

	// Addr is host:port of the PLAINTEXT listener, for bootstrap lists.
	Addr string
	// LogDir is the broker's log.dirs directory (topic-partition dirs).
	LogDir string
	// PropsFile is the server.properties file the broker was started with.
	PropsFile string

	bin  string
	log  *logBuffer
	proc *process
}

// process is one run of the broker binary; done closes when it exited.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Start starts a broker with node.id=1, a PLAINTEXT listener on a free
// loopback port and log.dirs in a fresh temporary directory; extra adds or
// replaces properties. It waits until the broker serves ApiVersions and
// Metadata and registers a cleanup that stops it.
func Start(t testing.TB, extra map[string]string) *Broker {
	t.Helper()
	props := map[string]string{
		"node.id":   "1",
		"listeners": "PLAINTEXT://127.0.0.1:" + strconv.Itoa(FreePort(t)),
		"log.dirs":  filepath.Join(t.TempDir(), "data"),
	}
	maps.Copy(props, extra)
	return StartExact(t, props)
}

// StartExact starts a broker with exactly the given properties, which must
// include a listeners entry with an explicit host:port and log.dirs.
func StartExact(t testing.TB, props map[string]string) *Broker {
	t.Helper()
	b := newBroker(t, props)
	b.launch()
	return b
}

// newBroker writes the properties file and registers the cleanup; the
// process is not started yet.
func newBroker(t testing.TB, props map[string]string) *Broker {
	t.Helper()
	addr, err := listenerAddr(props["listeners"])
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "server.properties")
	if err := os.WriteFile(file, []byte(formatProps(props)), 0o644); err != nil {
		t.Fatalf("harness: write properties: %v", err)
	}
	b := &Broker{
		t:         t,
		Addr:      addr,
		LogDir:    firstLogDir(props["log.dirs"]),
		PropsFile: file,
		bin:       Binary(t),
		log:       &logBuffer{},
	}
	t.Cleanup(b.cleanup)
	return b
}

// formatProps renders properties sorted by key, one key=value a line.
func formatProps(props map[string]string) string {
	var sb strings.Builder
	for _, k := range slices.Sorted(maps.Keys(props)) {
		fmt.Fprintf(&sb, "%s=%s\n", k, props[k])
	}
	return sb.String()
}

// listenerAddr extracts host:port from the first entry of a listeners value.
func listenerAddr(listeners string) (string, error) {
	first, _, _ := strings.Cut(listeners, ",")
	_, hostport, ok := strings.Cut(first, "://")
	if !ok || !strings.Contains(hostport, ":") {
		return "", fmt.Errorf("listeners %q: want NAME://host:port", listeners)
	}
	return hostport, nil
}

func firstLogDir(dirs string) string {
	first, _, _ := strings.Cut(dirs, ",")
	return strings.TrimSpace(first)
}

// launch starts the process and waits until it serves requests.
func (b *Broker) launch() {
	b.t.Helper()
	b.spawn()
	b.mustBeReady()
}

// spawn starts the process without waiting for it to serve.
func (b *Broker) spawn() {
	b.t.Helper()
	if b.proc != nil {
		b.t.Fatalf("harness: broker %s is already running", b.Addr)
	}
	b.log.mark("=== start " + time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(b.bin, "server", b.PropsFile)
	cmd.Stdout = b.log
	cmd.Stderr = b.log
	if err := cmd.Start(); err != nil {
		b.t.Fatalf("harness: start broker: %v", err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() { // owned by p: ends when the process exits
		p.err = cmd.Wait()
		close(p.done)
	}()
	b.proc = p
}

func (b *Broker) mustBeReady() {
	b.t.Helper()
	if err := b.waitReady(); err != nil {
		b.t.Fatalf("harness: broker %s not ready: %v\n%s", b.Addr, err, b.log.tail(logTailLines))
	}
}

// waitReady polls ApiVersions and Metadata until both succeed, the process
// exits, or readyTimeout passes.
func (b *Broker) waitReady() error {
	deadline := time.Now().Add(readyTimeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-b.proc.done:
			return fmt.Errorf("process exited: %v", b.proc.err)
		default:
		}
		if last = probe(b.Addr); last == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond) // poll interval, not synchronisation
	}
	return fmt.Errorf("after %v: %w", readyTimeout, last)
}

// probe sends ApiVersions and Metadata with a fresh client.
func probe(addr string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RequestRetries(0),
		kgo.DialTimeout(time.Second), kgo.RetryTimeout(time.Second))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	av, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("api versions: %w", err)
	}
	if av.ErrorCode != 0 {
		return fmt.Errorf("api versions: error code %d", av.ErrorCode)
	}
	md, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	if len(md.Brokers) == 0 {
		return errors.New("metadata: no brokers yet")
	}
	return nil
}

// Stop sends SIGTERM and waits for exit, failing the test if the broker
// needs SIGKILL or exits with an error.
func (b *Broker) Stop() {
	b.t.Helper()
	if err := b.terminate(); err != nil {
		b.t.Errorf("harness: stop broker %s: %v\n%s", b.Addr, err, b.log.tail(logTailLines))
	}
}

// Kill sends SIGKILL and waits for the process to exit.
func (b *Broker) Kill() {
	b.t.Helper()
	if b.proc == nil {
		b.t.Fatalf("harness: kill: broker %s is not running", b.Addr)
	}
	b.log.mark("=== SIGKILL " + time.Now().Format(time.RFC3339Nano))
	_ = b.proc.cmd.Process.Signal(syscall.SIGKILL)
	<-b.proc.done
	b.proc = nil
}

// Restart stops the broker with SIGTERM and starts it again on the same
// port and data directory. After Kill, use Launch instead.
func (b *Broker) Restart() {
	b.t.Helper()
	b.Stop()
	b.launch()
}

// Launch starts a stopped or killed broker again and waits until it serves.
func (b *Broker) Launch() {
	b.t.Helper()
	b.launch()
}

// Running reports whether the process is still alive.
func (b *Broker) Running() bool {
	if b.proc == nil {
		return false
	}
	select {
	case <-b.proc.done:
		return false
	default:
		return true
	}
}

// Log returns everything the broker wrote to stdout and stderr so far,
// across restarts.
func (b *Broker) Log() string { return b.log.String() }

// terminate sends SIGTERM, escalating to SIGKILL after stopTimeout. It
// returns an error when the broker was already dead, needed SIGKILL or
// exited unsuccessfully.
func (b *Broker) terminate() error {
	p := b.proc
	if p == nil {
		return nil
	}
	b.proc = nil
	b.log.mark("=== SIGTERM " + time.Now().Format(time.RFC3339Nano))
	select {
	case <-p.done:
		return fmt.Errorf("broker had already exited: %v", p.err)
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if p.err != nil {
			return fmt.Errorf("exit after SIGTERM: %w", p.err)
		}
		return nil
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
		return fmt.Errorf("no exit within %v of SIGTERM; killed", stopTimeout)
	}
}

// cleanup stops the broker at the end of the test and shows the log tail
// when the test failed.
func (b *Broker) cleanup() {
	if err := b.terminate(); err != nil {
		b.t.Errorf("harness: cleanup broker %s: %v", b.Addr, err)
	}
	if b.t.Failed() {
		b.t.Logf("broker %s log (last %d lines%s):\n%s",
			b.Addr, logTailLines, b.log.save(b.t.Name()), b.log.tail(logTailLines))
	}
}
