package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// NewFsyncObserver registers samsa_storage_fsync_seconds, a histogram of
// segment fsync durations (flush, roll, close), and returns the function
// that records one. Slow fsyncs are the usual cause of produce latency
// spikes with flush.messages/flush.ms set, and of slow shutdowns.
func NewFsyncObserver(reg prometheus.Registerer) func(time.Duration) {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "samsa_storage_fsync_seconds",
		Help:    "Duration of log segment fsyncs.",
		Buckets: []float64{0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5},
	})
	reg.MustRegister(h)
	return func(d time.Duration) { h.Observe(d.Seconds()) }
}
