package controller

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/samsa-io/samsa/internal/metadata"
)

const testTimeout = 200 * time.Millisecond

func testLogger(id int32) *slog.Logger {
	var w io.Writer = io.Discard
	if testing.Verbose() {
		w = os.Stderr
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn})).With("test_node", id)
}

func testConfig(id int32, dir string) Config {
	return Config{
		NodeID:           id,
		DataDir:          dir,
		Logger:           testLogger(id),
		HeartbeatTimeout: testTimeout,
		ElectionTimeout:  testTimeout,
	}
}

// startController starts a controller, waits until it is ready and closes
// it at the end of the test.
func startController(t *testing.T, cfg Config) *Controller {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	waitReady(t, c)
	return c
}

func waitReady(t *testing.T, c *Controller) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady node %d: %v", c.cfg.NodeID, err)
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func registerBrokers(t *testing.T, c *Controller, ids ...int32) {
	t.Helper()
	for _, id := range ids {
		b := metadata.Broker{ID: id, Host: "127.0.0.1", Port: 9000 + id, ListenerName: "PLAINTEXT"}
		if err := c.RegisterBroker(ctxT(t), b); err != nil {
			t.Fatalf("RegisterBroker %d: %v", id, err)
		}
	}
}

// freeAddrs returns n distinct 127.0.0.1 addresses with free ports.
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var addrs []string
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		addrs = append(addrs, l.Addr().String())
	}
	for _, l := range ls {
		_ = l.Close()
	}
	return addrs
}

// eventually polls cond every 10ms until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func must(t *testing.T, err error, what string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(what, args...), err)
	}
}
