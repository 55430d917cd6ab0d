package harness

import (
	"context"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeNode records what RunWithNodeControl asked of it.
type fakeNode struct {
	id    int
	calls *[]string
}

func (n fakeNode) Kill()         { *n.calls = append(*n.calls, "kill "+strconv.Itoa(n.id)) }
func (n fakeNode) Launch()       { *n.calls = append(*n.calls, "launch "+strconv.Itoa(n.id)) }
func (n fakeNode) Running() bool { return true }

// requestScript writes each request as NodeControl.java does (a temporary
// file renamed into place) and waits, bounded, for its done file.
const requestScript = `
set -e
k=0
for req in "$@"; do
  k=$((k+1))
  printf '%s\n' "$req" > "$DIR/request-$k.tmp"
  mv "$DIR/request-$k.tmp" "$DIR/request-$k"
  i=0
  until [ -e "$DIR/done-$k" ]; do
    i=$((i+1)); [ $i -lt 200 ] || { echo "no done-$k"; exit 3; }
    sleep 0.05
  done
  echo "served $req"
done
`

func runScript(t *testing.T, requests ...string) ([]string, string, error) {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", append([]string{"-c", requestScript, "sh"}, requests...)...)
	cmd.Env = append(cmd.Environ(), "DIR="+dir)
	var calls []string
	out, err := RunWithNodeControl(t, ctx, cmd, dir, func(id int) Node { return fakeNode{id: id, calls: &calls} })
	return calls, out, err
}

func TestRunWithNodeControlServesRequestsInOrder(t *testing.T) {
	calls, out, err := runScript(t, "kill 2", "launch 2", "kill 3")
	if err != nil {
		t.Fatalf("script: %v\n%s", err, out)
	}
	if want := []string{"kill 2", "launch 2", "kill 3"}; !slices.Equal(calls, want) {
		t.Errorf("calls %q, want %q", calls, want)
	}
	if !strings.Contains(out, "served kill 3") {
		t.Errorf("output %q: want the script to see its last request served", out)
	}
}

func TestRunWithNodeControlRejectsBadRequest(t *testing.T) {
	calls, out, err := runScript(t, "kill 2", "reboot 2")
	if err == nil || !strings.Contains(err.Error(), "node request 2") {
		t.Errorf("error %v, want one naming request 2\n%s", err, out)
	}
	if want := []string{"kill 2"}; !slices.Equal(calls, want) {
		t.Errorf("calls %q, want %q", calls, want)
	}
}
