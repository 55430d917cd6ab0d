package cli

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// latencyBuckets bounds the per-millisecond latency histogram: latencies of
// a minute or more share the last bucket. Percentiles are exact to the
// millisecond, which is the resolution Kafka's tool reports.
const latencyBuckets = 60_001

// perfStats accumulates producer-perf-test results as Kafka's Stats class
// does: totals, a reporting window printed every interval, and percentiles.
// record is called from the producer's promise goroutine; report and final
// may run concurrently with it, so every field is guarded by mu.
type perfStats struct {
	mu       sync.Mutex
	out      io.Writer
	interval time.Duration
	now      func() time.Time

	start                  time.Time
	count, bytes           int64
	totalLat, maxLat       time.Duration
	hist                   []int64
	winStart               time.Time
	winCount, winBytes     int64
	winTotalLat, winMaxLat time.Duration
}

func newPerfStats(out io.Writer, interval time.Duration, now func() time.Time) *perfStats {
	t := now()
	return &perfStats{out: out, interval: interval, now: now, start: t, winStart: t, hist: make([]int64, latencyBuckets)}
}

// record adds one acknowledged record and prints the window line when the
// reporting interval has passed.
func (s *perfStats) record(latency time.Duration, bytes int, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count++
	s.bytes += int64(bytes)
	s.totalLat += latency
	s.maxLat = max(s.maxLat, latency)
	s.hist[min(int(latency/time.Millisecond), latencyBuckets-1)]++
	s.winCount++
	s.winBytes += int64(bytes)
	s.winTotalLat += latency
	s.winMaxLat = max(s.winMaxLat, latency)
	if now.Sub(s.winStart) >= s.interval {
		s.printWindow(now)
	}
}

// printWindow prints and resets the reporting window. Caller holds mu.
func (s *perfStats) printWindow(now time.Time) {
	secs := now.Sub(s.winStart).Seconds()
	fmt.Fprintf(s.out, "%d records sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, %.1f ms max latency.\n",
		s.winCount, float64(s.winCount)/secs, float64(s.winBytes)/(1<<20)/secs,
		avgMs(s.winTotalLat, s.winCount), ms(s.winMaxLat))
	s.winStart, s.winCount, s.winBytes, s.winTotalLat, s.winMaxLat = now, 0, 0, 0, 0
}

// final prints Kafka's summary line with percentiles.
func (s *perfStats) final() {
	s.mu.Lock()
	defer s.mu.Unlock()
	secs := s.now().Sub(s.start).Seconds()
	p := s.percentiles(0.5, 0.95, 0.99, 0.999)
	fmt.Fprintf(s.out, "%d records sent, %f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency, %d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th.\n",
		s.count, float64(s.count)/secs, float64(s.bytes)/(1<<20)/secs,
		avgMs(s.totalLat, s.count), ms(s.maxLat), p[0], p[1], p[2], p[3])
}

// percentiles returns the latency in ms at each quantile. Caller holds mu.
func (s *perfStats) percentiles(qs ...float64) []int {
	out := make([]int, len(qs))
	if s.count == 0 {
		return out
	}
	for i, q := range qs {
		rank := int64(q * float64(s.count))
		seen := int64(0)
		for b, n := range s.hist {
			seen += n
			if seen > rank {
				out[i] = b
				break
			}
		}
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func avgMs(total time.Duration, n int64) float64 {
	if n == 0 {
		return 0
	}
	return ms(total) / float64(n)
}
