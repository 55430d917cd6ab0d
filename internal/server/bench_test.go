package server

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// BenchmarkProduce1KiB measures produce throughput of 1 KiB records through
// a real in-process broker and franz-go (acks=all, idempotent, 3
// partitions). Run: go test -run=^$ -bench=Produce -benchtime=200000x ./internal/server
func BenchmarkProduce1KiB(b *testing.B) {
	s := startTestServer(&testing.T{}, b.TempDir())
	defer s.Close()
	addr := s.Addrs()[0].String()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("bench"),
		kgo.ProducerBatchMaxBytes(1<<20), kgo.MaxBufferedRecords(1<<20), kgo.ProducerLinger(0),
		kgo.ProducerBatchCompression(kgo.NoCompression()))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 3, 1, nil, "bench"); err != nil {
		b.Fatal(err)
	}
	value := make([]byte, 1024)
	rand.Read(value) // incompressible, like real payloads after compression
	b.SetBytes(int64(len(value)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cl.Produce(ctx, &kgo.Record{Value: value}, func(_ *kgo.Record, err error) {
			if err != nil {
				b.Error(err)
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		b.Fatal(err)
	}
}
