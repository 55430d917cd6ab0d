package metrics

import (
	"runtime"
	"sync"
	"time"
)

// idleMeter measures how much of the process's CPU capacity went unused
// between two scrapes: 1 - CPU time used / (wall time x GOMAXPROCS).
//
// It stands in for Kafka's RequestHandlerAvgIdlePercent and
// NetworkProcessorAvgIdlePercent. Kafka has fixed thread pools for network
// and request work, and a pool near 0 idle means requests queue for a
// thread. Samsa runs both kinds of work on goroutines that Go's scheduler
// spreads over GOMAXPROCS threads, so the honest equivalent of "no idle
// handler left" is "no idle CPU left": both metrics report this one ratio.
// A value near 0 means the broker is CPU-bound and requests wait for it.
//
// The first sample covers the time since the process started. Concurrent
// scrapes share one window: each sees the CPU used since the last one.
type idleMeter struct {
	mu       sync.Mutex
	prevWall time.Time
	prevCPU  time.Duration
}

// processStart is when the package was initialised, the start of the first
// window (the process CPU time also counts from about then).
var processStart = time.Now()

// sample returns the idle ratio since the previous call; ok is false when
// the process CPU time cannot be read on this platform.
func (m *idleMeter) sample(now time.Time) (float64, bool) {
	cpu, ok := processCPUTime()
	if !ok {
		return 0, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	prevWall, prevCPU := m.prevWall, m.prevCPU
	if prevWall.IsZero() {
		prevWall = processStart
	}
	m.prevWall, m.prevCPU = now, cpu
	wall := now.Sub(prevWall)
	if wall <= 0 {
		return 0, false
	}
	capacity := float64(wall) * float64(runtime.GOMAXPROCS(0))
	return min(max(1-float64(cpu-prevCPU)/capacity, 0), 1), true
}
