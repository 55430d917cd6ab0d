package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// binEnv names the environment variable holding the path of the binary under
// test. Main sets it after building; a caller may set it to skip the build.
const binEnv = "SAMSA_TEST_BIN"

// buildTimeout bounds `go build` of the broker.
const buildTimeout = 5 * time.Minute

// Main builds the samsa binary into a temporary directory, runs the tests
// and removes the directory. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }
func Main(m *testing.M) int {
	if os.Getenv(binEnv) != "" {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "samsa-e2e-bin-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "harness: temp dir: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin, err := build(dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "harness: %v\n", err)
		return 1
	}
	if err := os.Setenv(binEnv, bin); err != nil {
		fmt.Fprintf(os.Stderr, "harness: set %s: %v\n", binEnv, err)
		return 1
	}
	return m.Run()
}

// build compiles ./cmd/samsa of the module containing the working directory.
func build(dir string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "samsa")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/samsa")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/samsa: %w\n%s", err, out)
	}
	return bin, nil
}

// RepoRoot returns the directory of the go.mod governing the working
// directory, as reported by `go env GOMOD`.
func RepoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("go env GOMOD: not inside a module")
	}
	return filepath.Dir(mod), nil
}

// Binary returns the path of the samsa binary under test, failing the test
// when neither Main nor the environment provided one.
func Binary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv(binEnv)
	if bin == "" {
		t.Fatalf("harness: %s not set; call harness.Main from TestMain", binEnv)
	}
	return bin
}
