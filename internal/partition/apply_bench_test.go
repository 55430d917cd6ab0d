package partition

import (
	"fmt"
	"log/slog"
	"testing"

	"github.com/samsa-io/samsa/internal/config"
)

// BenchmarkApplyImageManyPartitions measures opening every partition of a
// new topic, what one CreateTopics of many partitions costs a broker, by
// partition count and number of partitions opened at once.
func BenchmarkApplyImageManyPartitions(b *testing.B) {
	for _, n := range []int{2000, 10_000} {
		for _, workers := range []int{1, 2, 4, 8} {
			b.Run(fmt.Sprintf("partitions=%d/workers=%d", n, workers), func(b *testing.B) {
				for b.Loop() {
					b.StopTimer()
					cfg := config.Default()
					cfg.NodeID = 1
					cfg.LogDirs = []string{b.TempDir()}
					m := NewManager(cfg, slog.New(slog.DiscardHandler))
					m.openWorkers = workers
					im := testImage("wide", n, nil)
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
}
