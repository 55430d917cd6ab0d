package cli

import (
	"context"
	"time"
)

// throttler paces a sender to a target rate, like Kafka's
// ThroughputThrottler: after n sends it waits until n/rate seconds have
// passed since start. It sleeps only once it is at least a millisecond
// ahead, so high rates cost one clock read per send and few wake-ups.
type throttler struct {
	start     time.Time
	perRecord float64 // nanoseconds per record; 0 = unlimited
	timer     *time.Timer
}

func newThrottler(perSec float64, start time.Time) *throttler {
	t := &throttler{start: start}
	if perSec > 0 {
		t.perRecord = float64(time.Second) / perSec
	}
	return t
}

// wait blocks until sending record number sent+1 keeps the rate, or ctx ends.
func (t *throttler) wait(ctx context.Context, sent int64) error {
	if t.perRecord == 0 {
		return nil
	}
	due := t.start.Add(time.Duration(float64(sent) * t.perRecord))
	d := time.Until(due)
	if d < time.Millisecond {
		return nil
	}
	if t.timer == nil {
		t.timer = time.NewTimer(d)
	} else {
		t.timer.Reset(d)
	}
	select {
	case <-t.timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (t *throttler) stop() {
	if t.timer != nil {
		t.timer.Stop()
	}
}
