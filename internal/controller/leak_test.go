package controller

import (
	"runtime"
	"testing"
	"time"
)

// TestCloseStopsGoroutines checks that Close leaves no goroutine behind,
// for a single node and for a TCP quorum.
func TestCloseStopsGoroutines(t *testing.T) {
	base := runtime.NumGoroutine()
	t.Run("single", func(t *testing.T) {
		c := startController(t, testConfig(1, t.TempDir()))
		registerBrokers(t, c, 1)
	})
	t.Run("cluster", func(t *testing.T) {
		tc := startCluster(t, 3)
		registerBrokers(t, tc.leader(t, nil), 1)
	})
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines left, started with %d:\n%s",
				runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}
