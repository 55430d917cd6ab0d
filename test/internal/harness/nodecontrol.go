package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Node is one node of a cluster target that a check may kill -9 and start
// again on the same ports and data: a samsa *Broker or a reference *Kafka.
type Node interface {
	Kill()
	Launch()
	Running() bool
}

// ClusterTarget is a cluster Target together with its nodes.
type ClusterTarget struct {
	Target
	// Node returns the node with the given node.id (1..Nodes).
	Node func(id int) Node
}

// ForEachClusterNodes is ForEachCluster for checks that also kill and
// restart nodes: the check gets each node by id.
func ForEachClusterNodes(t *testing.T, n int, kafkaProps, samsaProps map[string]string, check func(t *testing.T, tg ClusterTarget)) {
	t.Helper()
	runTarget(t, "kafka", func(t *testing.T) {
		c := StartKafkaCluster(t, n, kafkaProps)
		check(t, ClusterTarget{
			Target: Target{Name: "kafka", Bootstrap: c.Bootstrap(), Nodes: n},
			Node:   func(id int) Node { return c.Nodes[id-1] },
		})
	})
	runTarget(t, "samsa", func(t *testing.T) {
		c := StartCluster(t, n, samsaProps)
		check(t, ClusterTarget{
			Target: Target{Name: "samsa", Bootstrap: c.Bootstrap(), Nodes: n},
			Node:   func(id int) Node { return c.Node(int32(id)) },
		})
	})
}

// nodeControlPoll is how often RunWithNodeControl looks for a new request.
const nodeControlPoll = 50 * time.Millisecond

// RunWithNodeControl runs cmd (not yet started) until it exits or ctx ends,
// and meanwhile serves the node requests that the command writes into dir,
// so that a Java check can have the Go side kill -9 a node while its client
// keeps working. Request k (from 1) is a file named request-<k> holding
// "kill <id>" or "launch <id>", written whole (create, then rename into
// place); once it is carried out the file done-<k> appears. Requests are
// served in order on the calling (test) goroutine, since Kill and Launch
// may fail the test. It returns the command's combined output and its
// error (ctx's error when the context ended it; a malformed request ends
// the command and is returned too) and logs each request served.
func RunWithNodeControl(t *testing.T, ctx context.Context, cmd *exec.Cmd, dir string, node func(id int) Node) (string, error) {
	t.Helper()
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // owned by cmd: ends when it exits
	tick := time.NewTicker(nodeControlPoll)
	defer tick.Stop()
	next := 1
	for {
		select {
		case err := <-exited:
			if ctx.Err() != nil {
				err = errors.Join(err, ctx.Err())
			}
			return out.String(), err
		case <-tick.C:
		}
		for {
			req, ok, err := readRequest(dir, next)
			if err != nil {
				err = fmt.Errorf("harness: node request %d: %w", next, err)
				return out.String(), errors.Join(err, killAndWait(cmd, exited))
			}
			if !ok {
				break
			}
			serveNodeRequest(t, req, node)
			if err := writeWhole(filepath.Join(dir, "done-"+strconv.Itoa(next)), "done\n"); err != nil {
				t.Fatalf("harness: node request %d: %v", next, err)
			}
			next++
		}
	}
}

// nodeRequest is one parsed request file.
type nodeRequest struct {
	action string // "kill" or "launch"
	id     int
}

// readRequest reads request-<k> from dir; ok is false while it is absent.
func readRequest(dir string, k int) (nodeRequest, bool, error) {
	data, err := os.ReadFile(filepath.Join(dir, "request-"+strconv.Itoa(k)))
	if errors.Is(err, os.ErrNotExist) {
		return nodeRequest{}, false, nil
	}
	if err != nil {
		return nodeRequest{}, false, err
	}
	fields := strings.Fields(string(data))
	if len(fields) != 2 || (fields[0] != "kill" && fields[0] != "launch") {
		return nodeRequest{}, false, fmt.Errorf("want \"kill <id>\" or \"launch <id>\", got %q", data)
	}
	id, err := strconv.Atoi(fields[1])
	if err != nil {
		return nodeRequest{}, false, fmt.Errorf("node id in %q: %w", data, err)
	}
	return nodeRequest{action: fields[0], id: id}, true, nil
}

func serveNodeRequest(t *testing.T, req nodeRequest, node func(id int) Node) {
	t.Helper()
	start := time.Now()
	n := node(req.id)
	switch req.action {
	case "kill":
		n.Kill()
	case "launch":
		n.Launch()
	}
	t.Logf("harness: %s node %d took %v", req.action, req.id, time.Since(start).Round(time.Millisecond))
}

// writeWhole writes data to path through a temporary file and a rename, so
// that a reader polling for path never sees it half written.
func writeWhole(path, data string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(data), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// killAndWait ends a command that RunWithNodeControl gave up on.
func killAndWait(cmd *exec.Cmd, exited <-chan error) error {
	_ = cmd.Process.Kill()
	return <-exited
}

// syncBuffer is a bytes.Buffer safe for the exec package's copy goroutines
// and a reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
