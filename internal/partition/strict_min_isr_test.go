package partition

import (
	"testing"
)

// Strict min ISR (KIP-966): with the committed ISR below
// min.insync.replicas the leader's high watermark stands still, even for
// records only the leader needs (acks=1), so a replica that left the ISR
// then (an eligible leader replica) holds everything consumers saw. It
// moves again once the ISR is back to min.insync.replicas.
func TestHighWatermarkStandsStillBelowMinISR(t *testing.T) {
	m, p, _ := leaderPartition(t, []int32{1, 2, 3}, "2")
	if _, err := p.Append(batch(t, -1, -1, 2)); err != nil {
		t.Fatal(err)
	}
	for _, f := range []int32{2, 3} {
		if _, err := p.RecordFollowerFetch(f, 2); err != nil {
			t.Fatal(err)
		}
	}
	if hw := p.HighWatermark(); hw != 2 {
		t.Fatalf("hw %d with every replica at 2, want 2", hw)
	}
	if err := m.ApplyImage(replImage(1, 0, 1, []int32{1}, "2")); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Append(batch(t, -1, -1, 3)); err != nil {
		t.Fatal(err)
	}
	if hw := p.HighWatermark(); hw != 2 {
		t.Fatalf("hw %d with the ISR [1] below min.insync.replicas 2, want it to stay at 2", hw)
	}
	if _, err := p.RecordFollowerFetch(2, 5); err != nil {
		t.Fatal(err)
	}
	if err := m.ApplyImage(replImage(1, 0, 2, []int32{1, 2}, "2")); err != nil {
		t.Fatal(err)
	}
	if hw := p.HighWatermark(); hw != 5 {
		t.Fatalf("hw %d with the ISR [1 2] back at min.insync.replicas, want 5", hw)
	}
	// A partition with fewer replicas than min.insync.replicas is not held:
	// the bound is capped at the replica count, as Kafka's effective min ISR.
	_, p2, _ := leaderPartition(t, []int32{1, 2, 3}, "5")
	if _, err := p2.Append(batch(t, -1, -1, 1)); err != nil {
		t.Fatal(err)
	}
	for _, f := range []int32{2, 3} {
		if _, err := p2.RecordFollowerFetch(f, 1); err != nil {
			t.Fatal(err)
		}
	}
	if hw := p2.HighWatermark(); hw != 1 {
		t.Fatalf("hw %d with all 3 replicas in sync and min.insync.replicas 5, want 1", hw)
	}
}
