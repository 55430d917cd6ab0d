package partition

import (
	"fmt"
	"log/slog"
	"testing"

	"github.com/samsa-io/samsa/internal/config"
)

// BenchmarkApplyImageManyPartitions measures opening every partition of a
// new topic, what one CreateTopics of many partitions costs a broker, by
// number of partitions opened at once (defaultOpenWorkers), and the
// 10,000 partitions with the default.
func BenchmarkApplyImageManyPartitions(b *testing.B) {
	cases := []struct{ partitions, workers int }{{2000, 1}, {2000, 2}, {2000, 4}, {2000, 8}, {10_000, defaultOpenWorkers}}
	for _, c := range cases {
		b.Run(fmt.Sprintf("partitions=%d/workers=%d", c.partitions, c.workers), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				cfg := config.Default()
				cfg.NodeID = 1
				cfg.LogDirs = []string{b.TempDir()}
				m := NewManager(cfg, slog.New(slog.DiscardHandler))
				m.openWorkers = c.workers
				im := testImage("wide", c.partitions, nil)
				b.StartTimer()
				if err := m.ApplyImage(im); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := m.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
