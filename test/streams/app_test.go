package streams

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/samsa-io/samsa/test/internal/harness"
)

const (
	// appMainClass is the word-count application in test/java.
	appMainClass = "io.samsa.javatest.streams.WordCountApp"
	// appLifetime bounds one run of the application's JVM.
	appLifetime = 6 * time.Minute
	// appStopTimeout bounds the application's clean close after its
	// standard input is closed (it gives Kafka Streams 60 s itself).
	appStopTimeout = 90 * time.Second
)

// wordCountApp is one run of the word-count application's JVM, owned by the
// test that started it: its standard output is kept line by line, for the
// STATE, RESTORED, UNCAUGHT and CLOSED reports and for the failure log.
type wordCountApp struct {
	t      *testing.T
	name   string
	cancel context.CancelFunc
	stdin  io.WriteCloser
	out    *lines
	done   chan struct{}
	err    error
}

// startApp starts WordCountApp with the given bootstrap list, application
// id, topics, state directory and commit.interval.ms, and registers a
// cleanup that stops it.
func startApp(t *testing.T, name, bootstrap, appID, input, output, stateDir string, commitInterval time.Duration) *wordCountApp {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), appLifetime)
	cmd := exec.CommandContext(ctx, "java", "-Xms128m", "-Xmx512m", "-Djava.awt.headless=true",
		"-cp", harness.JavaClasspath(t), appMainClass, bootstrap, appID, input, output, stateDir,
		strconv.FormatInt(commitInterval.Milliseconds(), 10))
	cmd.WaitDelay = 5 * time.Second
	a := &wordCountApp{t: t, name: name, cancel: cancel, out: &lines{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = a.out, a.out
	stdin, err := cmd.StdinPipe()
	if err != nil {
		cancel()
		t.Fatalf("%s: stdin pipe: %v", name, err)
	}
	a.stdin = stdin
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("%s: start: %v", name, err)
	}
	go func() { // owned by a: ends when the JVM exits (at the latest at appLifetime)
		a.err = cmd.Wait()
		close(a.done)
	}()
	t.Cleanup(a.cleanup)
	return a
}

// exited reports whether the JVM has exited.
func (a *wordCountApp) exited() bool {
	select {
	case <-a.done:
		return true
	default:
		return false
	}
}

// healthy returns an error when the application has exited, reported an
// uncaught exception or entered the ERROR state.
func (a *wordCountApp) healthy() error {
	if a.exited() {
		return fmt.Errorf("%s exited: %v", a.name, a.err)
	}
	if l := a.out.first("UNCAUGHT "); l != "" {
		return fmt.Errorf("%s: %s", a.name, l)
	}
	if a.lastState() == "ERROR" {
		return fmt.Errorf("%s is in state ERROR", a.name)
	}
	return nil
}

// lastState returns the state of the last STATE report, or "".
func (a *wordCountApp) lastState() string {
	return strings.TrimPrefix(a.out.last("STATE "), "STATE ")
}

// waitRunning waits until the application's last state is RUNNING.
func (a *wordCountApp) waitRunning(timeout time.Duration) {
	a.t.Helper()
	err := harness.Poll(timeout, func() error {
		if err := a.healthy(); err != nil {
			return err
		}
		if s := a.lastState(); s != "RUNNING" {
			return fmt.Errorf("%s is in state %q", a.name, s)
		}
		return nil
	})
	if err != nil {
		a.t.Fatalf("%s not RUNNING within %v: %v\n%s", a.name, timeout, err, a.out.tail(80))
	}
}

// restored sums the records of every RESTORED report.
func (a *wordCountApp) restored() int64 {
	var sum int64
	for _, l := range a.out.all("RESTORED ") {
		f := strings.Fields(l)
		n, err := strconv.ParseInt(f[len(f)-1], 10, 64)
		if err != nil {
			a.t.Fatalf("%s: bad report %q: %v", a.name, l, err)
		}
		sum += n
	}
	return sum
}

// stop closes the application's standard input and waits for its clean
// close: exit 0 after CLOSED.
func (a *wordCountApp) stop() {
	a.t.Helper()
	_ = a.stdin.Close()
	select {
	case <-a.done:
	case <-time.After(appStopTimeout):
		a.t.Fatalf("%s: no exit within %v of closing its input\n%s", a.name, appStopTimeout, a.out.tail(80))
	}
	if a.err != nil || a.out.first("CLOSED") == "" {
		a.t.Fatalf("%s: exit %v without a clean close\n%s", a.name, a.err, a.out.tail(80))
	}
}

// kill sends SIGKILL to the JVM and waits for it to exit.
func (a *wordCountApp) kill() {
	a.cancel() // exec.CommandContext kills this JVM only, with SIGKILL
	<-a.done
}

func (a *wordCountApp) cleanup() {
	if !a.exited() {
		_ = a.stdin.Close()
		select {
		case <-a.done:
		case <-time.After(appStopTimeout):
			a.cancel() // kills this JVM only
			<-a.done
		}
	}
	a.cancel()
	if a.t.Failed() {
		a.t.Logf("%s output (last 150 lines):\n%s", a.name, a.out.tail(150))
	}
}

// lines is an io.Writer that keeps what it is given as complete lines.
type lines struct {
	mu      sync.Mutex
	partial []byte
	done    []string
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		l.done = append(l.done, string(l.partial[:i]))
		l.partial = l.partial[i+1:]
	}
}

// all returns the lines starting with prefix.
func (l *lines) all(prefix string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, s := range l.done {
		if strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	return out
}

func (l *lines) first(prefix string) string {
	if all := l.all(prefix); len(all) > 0 {
		return all[0]
	}
	return ""
}

func (l *lines) last(prefix string) string {
	if all := l.all(prefix); len(all) > 0 {
		return all[len(all)-1]
	}
	return ""
}

// tail returns the last n lines.
func (l *lines) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	from := max(0, len(l.done)-n)
	return strings.Join(l.done[from:], "\n") + "\n" + string(l.partial)
}
