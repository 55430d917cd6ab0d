package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary act as samsa itself when SAMSA_TEST_MAIN is
// set, so multi-call dispatch can be tested through real links.
func TestMain(m *testing.M) {
	if os.Getenv("SAMSA_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func runArgs(argv ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), argv, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestRunDispatch(t *testing.T) {
	tests := []struct {
		argv       []string
		code       int
		outHas     string
		stderrLine string
	}{
		{[]string{"samsa", "--version"}, 0, "samsa dev", ""},
		{[]string{"/usr/bin/kafka-topics.sh", "--help"}, 0, "kafka-topics.sh", ""},
		{[]string{"kafka-storage", "random-uuid"}, 0, "", ""},
		{[]string{"kafka-topics.sh", "--list"}, 1, "", "Error: missing required argument --bootstrap-server"},
		{[]string{"kafka-nonsense.sh"}, 1, "", "Error: samsa has no tool named kafka-nonsense"},
		{[]string{"samsa", "nosuchcommand"}, 1, "", "Error: unknown command"},
		{[]string{"samsa", "nosuchcommand", "--bootstrap-server", "127.0.0.1:1"}, 1, "", `Error: unknown command "nosuchcommand"`},
		{[]string{"samsa", "topic", "--bootstrap-server", "127.0.0.1:1", "--list"}, 1, "", `Error: unknown command "topic" (did you mean topics?`},
		{[]string{"samsa", "server", "/nonexistent/server.properties"}, 1, "", "Error: invalid configuration (/nonexistent/server.properties): read config: open /nonexistent/server.properties: no such file"},
		{[]string{"samsa", "topics", "--bootstrap-server", "127.0.0.1:1", "--list"}, 1, "", "Error: cannot reach 127.0.0.1:1"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.argv, " "), func(t *testing.T) {
			code, out, errs := runArgs(tt.argv...)
			if code != tt.code || !strings.Contains(out, tt.outHas) {
				t.Fatalf("code %d, stdout %q; want code %d with %q", code, out, tt.code, tt.outHas)
			}
			if tt.stderrLine != "" && (strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, tt.stderrLine)) {
				t.Fatalf("stderr %q, want one line starting %q", errs, tt.stderrLine)
			}
		})
	}
}

// TestMultiCallThroughLink runs this binary through a link named
// kafka-storage.sh, as install-links would create it.
func TestMultiCallThroughLink(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "kafka-storage.sh")
	if err := os.Symlink(exe, link); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, link, "random-uuid")
	cmd.Env = append(os.Environ(), "SAMSA_TEST_MAIN=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("run %s: %v", link, err)
	}
	if id := strings.TrimSpace(string(out)); len(id) != 22 {
		t.Fatalf("kafka-storage.sh random-uuid printed %q", out)
	}
	cmd = exec.CommandContext(ctx, link, "format")
	cmd.Env = append(os.Environ(), "SAMSA_TEST_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || strings.Count(stderr.String(), "\n") != 1 {
		t.Fatalf("format without flags: %v, stderr %q", err, stderr.String())
	}
}
