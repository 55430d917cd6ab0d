package cli

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// result is what one command line printed and returned.
type result struct {
	out, err string
	e        error
}

// execute runs the samsa command tree with args and stdin, bounded by a
// 30-second deadline.
func execute(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	root := NewRootCommand("test")
	root.SetArgs(args)
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errb)
	e := root.ExecuteContext(ctx)
	return result{out: out.String(), err: errb.String(), e: e}
}

// mustRun is execute that fails the test on an error.
func mustRun(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	r := execute(t, stdin, args...)
	if r.e != nil {
		t.Fatalf("samsa %s: %v (stderr %q)", strings.Join(args, " "), r.e, r.err)
	}
	return r
}

// fakeCluster starts kfake (a franz-go test double of a Kafka cluster) on
// 127.0.0.1 with free ports, and returns its bootstrap address.
func fakeCluster(t *testing.T, opts ...kfake.Opt) string {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		t.Fatalf("start fake cluster: %v", err)
	}
	t.Cleanup(c.Close)
	return strings.Join(c.ListenAddrs(), ",")
}

var _ io.Writer = (*bytes.Buffer)(nil)
