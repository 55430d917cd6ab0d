package partition

import (
	"context"
	"time"
)

// OnISRChange sets where hosted leaders send the ISR changes they propose
// (the server forwards them to the controller as AlterPartition). Call it
// before the first ApplyImage; nil stops proposals.
func (m *Manager) OnISRChange(fn ISRChangeFunc) {
	var ptr *ISRChangeFunc
	if fn != nil {
		ptr = &fn
	}
	m.onISRChange.Store(ptr)
	for _, p := range m.Partitions() {
		p.onISRChange.Store(ptr)
	}
}

// ReplicaLagTimeMax is replica.lag.time.max.ms as a duration.
func (m *Manager) ReplicaLagTimeMax() time.Duration {
	if m.broker.ReplicaLagTimeMaxMs <= 0 {
		return 30 * time.Second
	}
	return time.Duration(m.broker.ReplicaLagTimeMaxMs) * time.Millisecond
}

// CheckISR runs one ISR expiration pass: every hosted leader proposes
// dropping followers not caught up within replica.lag.time.max.ms.
func (m *Manager) CheckISR(now time.Time) {
	lag := m.ReplicaLagTimeMax()
	for _, p := range m.Partitions() {
		p.MaybeShrinkISR(now, lag)
	}
}

// RunISRChecks calls CheckISR every half replica.lag.time.max.ms (Kafka's
// isr-expiration schedule) until ctx is done. The caller owns the
// goroutine that runs it.
func (m *Manager) RunISRChecks(ctx context.Context) {
	t := time.NewTicker(m.ReplicaLagTimeMax() / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			m.CheckISR(now)
		}
	}
}
