package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// started with too few file descriptors to serve, the
// broker used to open its port and then fail every Accept (EMFILE),
// answering nothing. It must refuse to start and say why. `ulimit -n`
// lowers the soft and hard limits together, so Go's start-up raise of
// the soft limit to the hard one cannot help.
func TestStartWithTooFewDescriptorsFailsClearly(t *testing.T) {
	dir := t.TempDir()
	props := filepath.Join(dir, "server.properties")
	conf := "node.id=1\nlisteners=PLAINTEXT://127.0.0.1:0\nlog.dirs=" + filepath.Join(dir, "data") + "\n"
	if err := os.WriteFile(props, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	r := harness.Run(30*time.Second, "", "sh", "-c", `ulimit -n 40 && exec "$0" server "$1"`, harness.Binary(t), props)
	if r.Err == nil || strings.Contains(r.Err.Error(), "timed out") {
		t.Fatalf("the broker did not refuse to start with 40 descriptors:\n%s", r)
	}
	if !strings.Contains(r.Stderr+r.Stdout, "too few file descriptors") {
		t.Fatalf("the start-up error does not name the cause:\n%s", r)
	}
}
