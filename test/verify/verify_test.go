package verify

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/samsa-io/samsa/internal/verify"
	"github.com/samsa-io/samsa/test/internal/harness"
)

// runVerify runs "samsa verify args..." and returns its output and exit
// code. At the timeout it is interrupted (SIGINT), so that it stops the
// nodes it started, and killed if it has not exited a minute later.
func runVerify(t *testing.T, timeout time.Duration, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, harness.Binary(t), append([]string{"verify"}, args...)...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = time.Minute
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("samsa verify %s: timed out after %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), timeout, out.String(), errOut.String())
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatalf("samsa verify: %v", err)
	}
	return out.String(), errOut.String(), code
}

// tableCount reads "name   N" from verify's table.
func tableCount(t *testing.T, table, name string) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\s+(\d+)`).FindStringSubmatch(table)
	if m == nil {
		t.Fatalf("no %q line in the table:\n%s", name, table)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// checkHistory re-checks a history in this process, independently of the
// command's own table.
func checkHistory(t *testing.T, path string) verify.Report {
	t.Helper()
	ops, err := verify.ReadHistoryFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return verify.Check(ops, 5)
}

// TestVerifyKillAndPauseLoseNothing runs the queue workload for 35 s on a
// 3-node cluster verify starts, killing (-9) and pausing (SIGSTOP) a node
// about every 6 s, and requires every anomaly count to be 0.
func TestVerifyKillAndPauseLoseNothing(t *testing.T) {
	t.Parallel()
	history := filepath.Join(t.TempDir(), "history.jsonl")
	out, errOut, code := runVerify(t, 4*time.Minute, "--nodes", "3", "--duration", "35s",
		"--faults", "kill,pause", "--fault-interval", "6s", "--seed", "17", "--history", history, "-v")
	t.Logf("samsa verify:\n%s\n%s", out, errOut)
	if code != 0 {
		t.Fatalf("exit code %d, want 0", code)
	}
	for _, c := range verify.AnomalyClasses {
		if n := tableCount(t, out, c); n != 0 {
			t.Errorf("%s: %d, want 0", c, n)
		}
	}
	// About 3-4 fit in 35 s (a wait of 3-9 s, then 3-4 s of fault); 2
	// leaves room for a slow machine and still has each kind once.
	if n := tableCount(t, out, "faults injected"); n < 2 {
		t.Errorf("faults injected: %d, want at least 2 in 35 s at one every ~6 s", n)
	}
	if !strings.Contains(errOut, "nemesis: kill -9") || !strings.Contains(errOut, "nemesis: SIGSTOP") {
		t.Errorf("want both a kill and a pause among the faults (seed 17); log:\n%s", errOut)
	}
	r := checkHistory(t, history)
	if n := groupPolls(t, history); n == 0 {
		t.Errorf("no record read by a group consumer")
	}
	if !r.Valid() || r.SendsOK < 1000 || r.FinalPollPartitions != 3 {
		t.Errorf("history: valid %v, %d sends acknowledged (want >= 1000), final poll closed %d partitions (want 3)",
			r.Valid(), r.SendsOK, r.FinalPollPartitions)
	}
}

// TestVerifyCatchesPlantedLostWrite runs verify against an existing broker
// with the test-only planted bug, an acknowledged send that was never
// produced: the run and the offline re-check both report it as lost and
// exit 1.
func TestVerifyCatchesPlantedLostWrite(t *testing.T) {
	t.Parallel()
	b := harness.Start(t, map[string]string{"offsets.topic.replication.factor": "1", "group.initial.rebalance.delay.ms": "0"})
	history := filepath.Join(t.TempDir(), "history.jsonl")
	out, errOut, code := runVerify(t, 2*time.Minute, "--bootstrap-server", b.Addr, "--duration", "4s",
		"--rate", "200", "--history", history, "--plant-lost-write")
	if code != 1 || tableCount(t, out, verify.AnomalyLost) != 1 || !strings.Contains(out, verify.PlantedValue) {
		t.Fatalf("want exit 1 with one lost write naming %q; exit %d\n%s\n%s", verify.PlantedValue, code, out, errOut)
	}
	if !strings.Contains(errOut, "anomalies found") {
		t.Errorf("stderr %q: want the anomalies error", errOut)
	}

	out, errOut, code = runVerify(t, time.Minute, "check", history)
	if code != 1 || tableCount(t, out, verify.AnomalyLost) != 1 {
		t.Fatalf("verify check: want exit 1 with one lost write; exit %d\n%s\n%s", code, out, errOut)
	}
	r := checkHistory(t, history)
	if lost := r.Anomalies[verify.AnomalyLost]; lost.Count != 1 || !strings.Contains(lost.Examples[0], verify.PlantedValue) {
		t.Errorf("lost: %+v, want the planted write only", lost)
	}
	for _, c := range []string{verify.AnomalyDuplicate, verify.AnomalyNonMonotonicPoll, verify.AnomalyNonMonotonicSend, verify.AnomalyUnseen} {
		if n := r.Anomalies[c].Count; n != 0 {
			t.Errorf("%s: %d, want 0 (examples %q)", c, n, r.Anomalies[c].Examples)
		}
	}
}

func TestVerifyRejectsBadCommandLines(t *testing.T) {
	t.Parallel()
	cases := map[string][]string{
		"no target":            {},
		"both targets":         {"--nodes", "3", "--bootstrap-server", "127.0.0.1:1"},
		"unknown fault":        {"--nodes", "3", "--faults", "flood"},
		"faults without nodes": {"--bootstrap-server", "127.0.0.1:1", "--faults", "kill"},
		"check without file":   {"check"},
		"check missing file":   {"check", filepath.Join(t.TempDir(), "none.jsonl")},
	}
	for name, args := range cases {
		_, errOut, code := runVerify(t, 30*time.Second, args...)
		if code == 0 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.HasPrefix(errOut, "Error: ") {
			t.Errorf("%s: exit %d, stderr %q; want a non-zero exit and one Error line", name, code, errOut)
		}
	}
}

// TestVerifyInterruptStopsItsNodes interrupts a run (SIGINT, as Ctrl-C
// would) while its cluster serves: verify must exit non-zero and leave none
// of the nodes it started running.
func TestVerifyInterruptStopsItsNodes(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	cmd := exec.Command(harness.Binary(t), "verify", "--nodes", "1", "--duration", "5m", "--faults", "none")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { // owned by this test: ends when verify exits
		waitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
			<-exited
		}
	})

	var nodes []int
	harness.Eventually(t, time.Minute, func() error {
		nodes = childPIDs(t, cmd.Process.Pid)
		if len(nodes) != 1 {
			return errors.New("verify has not started its node yet")
		}
		if !strings.Contains(readFileOrEmpty("/proc/"+strconv.Itoa(nodes[0])+"/cmdline"), "server") {
			return errors.New("the child is not a server")
		}
		return nil
	})
	// Interrupt once the workload runs: the history file has operations.
	harness.Eventually(t, time.Minute, func() error {
		hist, _ := filepath.Glob(filepath.Join(tmp, "samsa-verify-*", "history.jsonl"))
		if len(hist) != 1 || strings.Count(readFileOrEmpty(hist[0]), "\n") < 2 {
			return errors.New("no operation recorded yet")
		}
		return nil
	})
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
		if waitErr == nil {
			t.Errorf("interrupted verify exited 0; want non-zero\n%s", errOut.String())
		}
	case <-time.After(90 * time.Second):
		t.Fatalf("verify still running 90 s after SIGINT\n%s\n%s", out.String(), errOut.String())
	}
	for _, pid := range nodes {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
			t.Errorf("node pid %d still exists after verify exited", pid)
		}
	}
	if !strings.Contains(errOut.String(), "interrupted") {
		t.Errorf("stderr %q: want it to say the run was interrupted", errOut.String())
	}
}

// childPIDs lists the children of pid (Linux /proc).
func childPIDs(t *testing.T, pid int) []int {
	t.Helper()
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	if len(tasks) == 0 {
		t.Skip("needs /proc/PID/task/TID/children (Linux)")
	}
	var out []int
	for _, f := range tasks {
		for _, s := range strings.Fields(readFileOrEmpty(f)) {
			if n, err := strconv.Atoi(s); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

func readFileOrEmpty(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// groupPolls counts the records group consumers read (their processes start
// at 100000, docs/verify.md).
func groupPolls(t *testing.T, path string) int {
	t.Helper()
	ops, err := verify.ReadHistoryFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, op := range ops {
		if op.F == verify.FuncPoll && !op.Final && op.Process >= 100000 {
			n++
		}
	}
	return n
}
