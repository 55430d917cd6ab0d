package quota

import "time"

// sample is one window of a rate.
type sample struct {
	start time.Time
	value float64
}

// rate is a windowed rate: the sum of its live samples over the time they
// span, Kafka's SampledStat/Rate.
type rate struct {
	samples []sample
	cur     int
	size    time.Duration
}

func newRate(num int, size time.Duration) *rate {
	return &rate{samples: make([]sample, num), size: size}
}

// record adds v at now, starting a new sample when the current one is
// over.
func (r *rate) record(now time.Time, v float64) {
	s := &r.samples[r.cur]
	if s.start.IsZero() || now.Sub(s.start) >= r.size {
		r.cur = (r.cur + 1) % len(r.samples)
		r.samples[r.cur] = sample{start: now}
		s = &r.samples[r.cur]
	}
	s.value += v
}

// measure returns the rate per second at now and the window it was
// measured over. Samples older than the whole window are ignored; the
// window is at least all but one sample long, so a fresh burst is not
// divided by a tiny span (Kafka's Rate.windowSize).
func (r *rate) measure(now time.Time) (perSec float64, window time.Duration) {
	total := time.Duration(len(r.samples)) * r.size
	var sum float64
	oldest := now
	for _, s := range r.samples {
		if s.start.IsZero() || now.Sub(s.start) >= total {
			continue
		}
		sum += s.value
		if s.start.Before(oldest) {
			oldest = s.start
		}
	}
	window = max(now.Sub(oldest), time.Duration(len(r.samples)-1)*r.size)
	if window <= 0 {
		window = r.size
	}
	return sum / window.Seconds(), window
}

// idle reports whether every sample has expired at now.
func (r *rate) idle(now time.Time) bool {
	s := r.samples[r.cur]
	return s.start.IsZero() || now.Sub(s.start) >= time.Duration(len(r.samples))*r.size
}
