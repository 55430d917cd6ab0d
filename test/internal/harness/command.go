package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// requireToolsEnv set to "1" turns a missing external tool into a failure.
const requireToolsEnv = "SAMSA_REQUIRE_TOOLS"

// DebianPython is the interpreter with the apt-installed confluent_kafka
// module; the python3 first on PATH may be another build without it.
const DebianPython = "/usr/bin/python3"

// Result is the outcome of a finished command.
type Result struct {
	Stdout string
	Stderr string
	// Err is nil on exit status 0; it says "timed out" when the command
	// was killed for running too long.
	Err error
}

// String renders the result for failure messages, keeping the last 4 KiB
// of each stream.
func (r Result) String() string {
	return fmt.Sprintf("err=%v\nstdout:\n%s\nstderr:\n%s", r.Err, lastBytes(r.Stdout, 4096), lastBytes(r.Stderr, 4096))
}

func lastBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("[... %d bytes cut ...]\n%s", len(s)-n, s[len(s)-n:])
}

// Run runs name with args, feeding stdin, and kills it after timeout.
func Run(timeout time.Duration, stdin, name string, args ...string) Result {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 2 * time.Second
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %v: %w", timeout, errors.Join(err, ctx.Err()))
	}
	return Result{Stdout: stdout.String(), Stderr: stderr.String(), Err: err}
}

// Tool runs the samsa binary with args (for example "topics", "--list"),
// feeding stdin and killing it after timeout.
func Tool(t testing.TB, timeout time.Duration, stdin string, args ...string) Result {
	t.Helper()
	return Run(timeout, stdin, Binary(t), args...)
}

// MustTool is Tool that fails the test unless the command exits 0.
func MustTool(t testing.TB, timeout time.Duration, stdin string, args ...string) Result {
	t.Helper()
	r := Tool(t, timeout, stdin, args...)
	if r.Err != nil {
		t.Fatalf("samsa %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// RequireTool returns the path of an external program. When it is missing
// the test is skipped, or fails if SAMSA_REQUIRE_TOOLS=1.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		missing(t, fmt.Sprintf("%s not installed: %v", name, err))
	}
	return path
}

// RequirePythonModule returns DebianPython after checking that it can
// import module; otherwise the test is skipped, or fails if
// SAMSA_REQUIRE_TOOLS=1.
func RequirePythonModule(t testing.TB, module string) string {
	t.Helper()
	if _, err := os.Stat(DebianPython); err != nil {
		missing(t, fmt.Sprintf("%s: %v", DebianPython, err))
	}
	r := Run(30*time.Second, "", DebianPython, "-c", "import "+module)
	if r.Err != nil {
		missing(t, fmt.Sprintf("%s cannot import %s: %v %s", DebianPython, module, r.Err, r.Stderr))
	}
	return DebianPython
}

func missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv(requireToolsEnv) == "1" {
		t.Fatalf("%s (required because %s=1; run `make deps`)", why, requireToolsEnv)
	}
	t.Skipf("%s (set %s=1 to fail instead)", why, requireToolsEnv)
}
