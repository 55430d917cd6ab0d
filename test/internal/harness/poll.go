package harness

import (
	"net"
	"testing"
	"time"
)

// Eventually calls fn until it returns nil, failing the test with fn's last
// error when timeout passes. The pause between calls grows from 20 ms to
// 500 ms.
func Eventually(t testing.TB, timeout time.Duration, fn func() error) {
	t.Helper()
	if err := Poll(timeout, fn); err != nil {
		t.Fatalf("condition not met within %v: %v", timeout, err)
	}
}

// Poll calls fn until it returns nil or timeout passes, returning fn's last
// error in the latter case. fn is called at least once.
func Poll(timeout time.Duration, fn func() error) error {
	deadline := time.Now().Add(timeout)
	pause := 20 * time.Millisecond
	for {
		err := fn()
		if err == nil {
			return nil
		}
		if time.Now().Add(pause).After(deadline) {
			return err
		}
		time.Sleep(pause)
		pause = min(pause*2, 500*time.Millisecond)
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago: it
// listens on port 0, notes the port and closes the listener.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("harness: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
