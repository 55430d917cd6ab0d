package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mirrorMakerStopTimeout is how long MirrorMaker gets after SIGTERM (its
// herders stop their connectors and commit offsets) before SIGKILL.
const mirrorMakerStopTimeout = 30 * time.Second

// mirrorMakerLog4j keeps MirrorMaker's output to warnings, except the
// mirror connectors' own INFO lines (topics and groups found, remote topics
// created), which say why a flow stalls when a test fails; their scheduler
// would log every 1 s task run at INFO.
const mirrorMakerLog4j = `status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stdout.ref = STDOUT
logger.mirror.name = org.apache.kafka.connect.mirror
logger.mirror.level = INFO
logger.scheduler.name = org.apache.kafka.connect.mirror.Scheduler
logger.scheduler.level = WARN
`

// MirrorMaker is one dedicated MirrorMaker 2 process
// (org.apache.kafka.connect.mirror.MirrorMaker from connect-mirror
// 4.3.1, on the classpath that test/java/mirrormaker/pom.xml resolves),
// owned by the test that started it.
type MirrorMaker struct {
	t testing.TB
	// PropsFile is the mm2.properties file it was started with.
	PropsFile string

	log  *logBuffer
	proc *process
}

// StartMirrorMaker writes props as mm2.properties (clusters, their
// bootstrap.servers, the enabled flows and any other MirrorMaker setting)
// and starts the dedicated MirrorMaker on it, as connect-mirror-maker.sh
// does. It does not wait for replication: the test polls the target
// cluster for what it expects. The process is stopped when the test ends
// and its output shown if the test failed.
func StartMirrorMaker(t testing.TB, props map[string]string) *MirrorMaker {
	t.Helper()
	classpath, err := mirrorMakerClasspath()
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	dir := t.TempDir()
	m := &MirrorMaker{t: t, PropsFile: filepath.Join(dir, "mm2.properties"), log: &logBuffer{}}
	log4j := filepath.Join(dir, "log4j2.properties")
	if err := os.WriteFile(m.PropsFile, []byte(formatProps(props)), 0o644); err != nil {
		t.Fatalf("harness: write mm2 properties: %v", err)
	}
	if err := os.WriteFile(log4j, []byte(mirrorMakerLog4j), 0o644); err != nil {
		t.Fatalf("harness: write mm2 log4j2 config: %v", err)
	}
	cmd := exec.Command("java", "-Xms128m", "-Xmx512m", "-Djava.awt.headless=true",
		"-Dlog4j2.configurationFile="+log4j,
		"-cp", classpath,
		"org.apache.kafka.connect.mirror.MirrorMaker", m.PropsFile)
	cmd.Stdout = m.log
	cmd.Stderr = m.log
	m.log.mark("=== start " + time.Now().Format(time.RFC3339Nano))
	if err := cmd.Start(); err != nil {
		t.Fatalf("harness: start mirror maker: %v", err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() { // owned by p: ends when the JVM exits
		p.err = cmd.Wait()
		close(p.done)
	}()
	m.proc = p
	t.Cleanup(m.cleanup)
	return m
}

// Running reports whether the JVM is still alive.
func (m *MirrorMaker) Running() bool {
	select {
	case <-m.proc.done:
		return false
	default:
		return true
	}
}

// Log returns everything MirrorMaker wrote so far.
func (m *MirrorMaker) Log() string { return m.log.String() }

// Tail returns the last n lines MirrorMaker wrote, for failure messages.
func (m *MirrorMaker) Tail(n int) string { return m.log.tail(n) }

// cleanup stops the JVM (SIGTERM, then SIGKILL) and shows its output when
// the test failed, with a thread dump taken first.
func (m *MirrorMaker) cleanup() {
	p := m.proc
	select {
	case <-p.done:
		m.t.Errorf("harness: mirror maker exited before the test ended: %v", p.err)
	default:
		if m.t.Failed() {
			// A JVM prints every thread's stack on SIGQUIT and runs on:
			// where a stalled flow waits.
			m.log.mark("=== SIGQUIT (thread dump) " + time.Now().Format(time.RFC3339Nano))
			_ = p.cmd.Process.Signal(syscall.SIGQUIT)
			time.Sleep(time.Second) // let the dump reach the log; not synchronisation
		}
		m.log.mark("=== SIGTERM " + time.Now().Format(time.RFC3339Nano))
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(mirrorMakerStopTimeout):
			m.t.Logf("harness: mirror maker: no exit within %v of SIGTERM; killed", mirrorMakerStopTimeout)
			_ = p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.done
		}
	}
	if m.t.Failed() {
		m.t.Logf("mirror maker log (last %d lines%s):\n%s",
			logTailLines, m.log.save(m.t.Name()), m.log.tail(logTailLines))
	}
}

// mirrorMakerClasspath resolves test/java/mirrormaker's dependencies
// (connect-mirror 4.3.1 and the 4.3.1 clients and Connect runtime it was
// built against: it does not run on test/java's 4.4.0 clients) and returns
// them as a classpath. The list is kept in test/java/target and reused
// while it is newer than the pom. Maven runs offline first, online on a
// fresh machine, one at a time with test/java's build (they share ~/.m2).
func mirrorMakerClasspath() (string, error) {
	javaDir, err := JavaModuleDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(javaDir, "mirrormaker")
	target := filepath.Join(javaDir, "target")
	unlock, err := lockJavaBuild(target)
	if err != nil {
		return "", err
	}
	defer unlock()
	file := filepath.Join(target, "mirrormaker-classpath.txt")
	if built, err := os.Stat(file); err == nil {
		if pom, err := os.Stat(filepath.Join(dir, "pom.xml")); err == nil && built.ModTime().After(pom.ModTime()) {
			return readClasspath(file)
		}
	}
	goals := []string{"-B", "-q", "dependency:build-classpath", "-Dmdep.outputFile=" + file}
	var out []byte
	for _, mode := range [][]string{{"-o"}, nil} {
		ctx, cancel := context.WithTimeout(context.Background(), javaBuildTimeout)
		cmd := exec.CommandContext(ctx, "mvn", append(mode, goals...)...)
		cmd.Dir = dir
		out, err = cmd.CombinedOutput()
		cancel()
		if err == nil {
			return readClasspath(file)
		}
	}
	return "", fmt.Errorf("mvn dependency:build-classpath in %s: %w\n%s", dir, err, lastBytes(string(out), 8192))
}

func readClasspath(file string) (string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("mirror maker classpath: %w", err)
	}
	return strings.TrimSpace(string(data)), nil
}
