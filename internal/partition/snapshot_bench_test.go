package partition

import "testing"

// BenchmarkOpenProducerState opens a partition of 200,000 small
// idempotent batches (100 producers, 1 MiB segments) three ways: with no
// snapshot (every batch header is read), after a crash (the last roll's
// snapshot plus at most a segment of batches) and after a clean close (the
// close snapshot, nothing replayed). Each open ends with the log closed
// but no new snapshot, so every iteration starts alike.
//
//	go test -run '^$' -bench OpenProducerState -benchtime 5x ./internal/partition/
func BenchmarkOpenProducerState(b *testing.B) {
	const batches, nProducers = 200_000, 100
	const segBytes = "1048576"
	src := b.TempDir()
	p := openTestPartition(b, src, segBytes)
	seqs := make([]int32, nProducers)
	for i := 0; i < batches; i++ {
		pid := int64(i % nProducers)
		if _, err := p.Append(idemBatch(b, pid, 0, seqs[pid], 1)); err != nil {
			b.Fatal(err)
		}
		seqs[pid]++
	}
	crashDir, fullDir := crashCopy(b, src, true), crashCopy(b, src, false)
	if err := p.close(); err != nil { // writes the close snapshot in src
		b.Fatal(err)
	}
	for _, c := range []struct{ name, dir string }{{"full-scan", fullDir}, {"crash-roll-snapshot", crashDir}, {"clean-close-snapshot", src}} {
		b.Run(c.name, func(b *testing.B) {
			var replayed int
			for b.Loop() {
				q, err := openPartition("t", 0, [16]byte{1}, c.dir, p.Config(), 0, p.logger)
				if err != nil {
					b.Fatal(err)
				}
				replayed = q.loaded.batches
				q.closed.Store(true)
				if err := q.log.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(replayed), "batches-replayed")
		})
	}
}
