package partition

import (
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/samsa-io/samsa/internal/config"
)

func producerIDs(p *Partition) map[int64]bool {
	out := make(map[int64]bool)
	for _, pi := range p.Producers() {
		out[pi.ProducerID] = true
	}
	return out
}

// Batches of the test helpers carry timestamp 1000: the expiration is
// measured from there.
func TestExpireProducersKeepsOpenTransactions(t *testing.T) {
	m := newTestManager(t)
	if err := m.ApplyImage(testImage("t", 1, nil)); err != nil {
		t.Fatal(err)
	}
	p := m.Partition("t", 0)
	for _, b := range [][]byte{batch(t, 20, 0, 2), txnBatch(t, 21, 0, 0, 1)} {
		if _, err := p.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	const expiration = 60_000
	if n := p.expireProducers(1000+expiration-1, expiration); n != 0 {
		t.Fatalf("expired %d producers before their time", n)
	}
	if n := p.expireProducers(1000+expiration, expiration); n != 1 {
		t.Fatalf("expired %d producers, want 1", n)
	}
	if ids := producerIDs(p); ids[20] || !ids[21] {
		t.Fatalf("producers after expiry: %v; want 21 (open transaction) only", ids)
	}

	// Kafka accepts the next batch of a producer it holds no state for at
	// any sequence; from there the sequence rules apply again.
	if _, err := p.Append(batch(t, 20, 7, 1)); err != nil {
		t.Fatalf("batch of an expired producer: %v", err)
	}
	if _, err := p.Append(batch(t, 20, 3, 1)); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("out-of-order batch after the fresh start: got %v", err)
	}

	// Once its transaction is closed, the transactional producer expires too.
	if _, err := p.WriteMarker(21, 0, true, 0); err != nil {
		t.Fatal(err)
	}
	// The marker carries the wall clock: it is the producer's newest batch.
	now := time.Now().UnixMilli()
	p.expireProducers(now+expiration, expiration)
	if ids := producerIDs(p); ids[21] {
		t.Fatalf("producer 21 kept after its transaction closed: %v", ids)
	}
}

func TestManagerExpiresProducersPeriodically(t *testing.T) {
	cfg := config.Default()
	cfg.NodeID = 1
	cfg.LogDirs = []string{t.TempDir()}
	cfg.ProducerIDExpirationMs = 1
	cfg.ProducerIDExpirationCheckIntervalMs = 10
	m := NewManager(cfg, slog.New(slog.DiscardHandler))
	defer func() { m.Close() }()
	if err := m.ApplyImage(testImage("t", 1, nil)); err != nil {
		t.Fatal(err)
	}
	m.Start()
	p := m.Partition("t", 0)
	for _, b := range [][]byte{batch(t, 30, 0, 1), txnBatch(t, 31, 0, 0, 1)} {
		if _, err := p.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for producerIDs(p)[30] {
		if time.Now().After(deadline) {
			t.Fatal("idle producer 30 not expired within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !producerIDs(p)[31] {
		t.Fatal("producer 31 with an open transaction was expired")
	}
}
