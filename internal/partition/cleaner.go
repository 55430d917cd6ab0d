package partition

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/samsa-io/samsa/internal/storage"
)

// DefaultCleanerBackoff is how long the cleaner sleeps when no log needs
// cleaning (Kafka's log.cleaner.backoff.ms).
const DefaultCleanerBackoff = 15 * time.Second

// maxPassesPerWake bounds the passes run back to back before a backoff.
const maxPassesPerWake = 100

// cleanerSettings configure the Manager's log cleaner; set them before Start.
type cleanerSettings struct {
	backoff time.Duration
	maxKeys int
	off     bool
}

// SetCleaner configures the log cleaner before Start: backoff is the pause
// when no log needs cleaning (0 means DefaultCleanerBackoff), maxKeys the
// offset map capacity per pass (0 means storage.DefaultCompactMaxKeys), and
// enabled false turns it off (log.cleaner.enable=false).
func (m *Manager) SetCleaner(backoff time.Duration, maxKeys int, enabled bool) {
	m.cleaner = cleanerSettings{backoff: backoff, maxKeys: maxKeys, off: !enabled}
}

// startCleaner runs the log cleaner: a goroutine that, each time it wakes,
// runs log.cleaner.threads workers (read at each wake, so a dynamic change
// applies from the next one), each repeatedly compacting the eligible log
// with the highest dirty ratio that no other worker is cleaning, then
// sleeps the backoff once none is eligible. It never runs on the produce
// or fetch path. It stops when ctx ends (Close waits).
func (m *Manager) startCleaner(ctx context.Context) {
	if m.cleaner.off {
		return
	}
	backoff := m.cleaner.backoff
	if backoff <= 0 {
		backoff = DefaultCleanerBackoff
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTimer(backoff)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			m.runCleanerWorkers(ctx, int(max(1, m.cleanerThreads.Load())))
			t.Reset(backoff)
		}
	}()
}

// runCleanerWorkers runs n cleaner workers until none finds a log to clean
// (or each has run maxPassesPerWake passes) and waits for them.
func (m *Manager) runCleanerWorkers(ctx context.Context, n int) {
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for i := 0; i < maxPassesPerWake && ctx.Err() == nil; i++ {
				if !m.CleanOnce(ctx, time.Now()) {
					return
				}
			}
		})
	}
	wg.Wait()
}

// CleanOnce compacts the hosted log that most needs it, if any is
// eligible (cleanup.policy with compact and min.cleanable.dirty.ratio
// reached, max.compaction.lag.ms passed or tombstones due), and reports
// whether it cleaned one. Only records below the high watermark are
// touched. Errors are logged: one broken log must not stop the cleaner.
func (m *Manager) CleanOnce(ctx context.Context, now time.Time) bool {
	p := m.claimDirtiest(now)
	if p == nil {
		return false
	}
	defer m.releaseCleaning(p)
	res, err := p.log.Compact(ctx, now, p.HighWatermark(), storage.CompactOptions{MaxKeys: m.cleaner.maxKeys})
	switch {
	case errors.Is(err, context.Canceled):
		return false
	case err != nil:
		m.logger.Error("log cleaner", "topic", p.Topic, "partition", p.Index, "err", err)
		return false
	}
	m.logger.Debug("cleaned log", "topic", p.Topic, "partition", p.Index, "cleaned_to", res.CleanedTo,
		"records_removed", res.Removed, "bytes_before", res.BytesBefore, "bytes_after", res.BytesAfter)
	return res.Swapped > 0 || res.Removed > 0
}

// claimDirtiest returns the dirtiest log no worker is cleaning, marked as
// being cleaned until releaseCleaning, or nil.
func (m *Manager) claimDirtiest(now time.Time) *Partition {
	m.cleaningMu.Lock()
	defer m.cleaningMu.Unlock()
	p := m.dirtiest(now)
	if p != nil {
		if m.cleaning == nil {
			m.cleaning = map[*Partition]bool{}
		}
		m.cleaning[p] = true
	}
	return p
}

func (m *Manager) releaseCleaning(p *Partition) {
	m.cleaningMu.Lock()
	defer m.cleaningMu.Unlock()
	delete(m.cleaning, p)
}

// dirtiest returns the eligible compacted partition with the highest dirty
// ratio (a log that must be cleaned by max.compaction.lag.ms or whose
// tombstones are due comes first) that no worker is cleaning, or nil.
// The caller holds cleaningMu.
func (m *Manager) dirtiest(now time.Time) *Partition {
	var best *Partition
	bestScore := -1.0
	for _, p := range m.Partitions() {
		if m.cleaning[p] || p.closed.Load() || !strings.Contains(p.Config().CleanupPolicy, "compact") {
			continue
		}
		st, err := p.log.CleanStats(now, p.HighWatermark())
		if err != nil || !st.Eligible {
			continue
		}
		score := st.DirtyRatio()
		if st.MustClean || st.TombstonesDue {
			score += 1
		}
		if score > bestScore {
			best, bestScore = p, score
		}
	}
	return best
}
