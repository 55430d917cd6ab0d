package txn

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/samsa-io/samsa/protocol/txnstate"
)

// tombstones lists the transactional ids with a tombstone in p.
func (l *memLog) tombstones(t *testing.T, p int32) map[string]bool {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]bool)
	for _, r := range l.recs[p] {
		if r.Value != nil {
			continue
		}
		id, err := txnstate.DecodeKey(r.Key)
		if err != nil {
			t.Fatal(err)
		}
		out[id] = true
	}
	return out
}

func TestTransactionalIDExpiry(t *testing.T) {
	ctx := context.Background()
	log, mk := &memLog{recs: map[int32][]Record{}}, &memMarkers{}
	c := newTestCoordinator(t, log, mk) // IDExpiration defaults to 7 days
	tp := []TopicPartition{{"t", 0}}
	oldPID, oldEpoch, err := c.InitProducerID(ctx, "done", 60000, -1, -1)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddPartitions(ctx, "done", oldPID, oldEpoch, tp); err != nil {
		t.Fatal(err)
	}
	if err := c.EndTxn(ctx, "done", oldPID, oldEpoch, true); err != nil {
		t.Fatal(err)
	}
	openPID, openEpoch, err := c.InitProducerID(ctx, "open", 60000, -1, -1)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddPartitions(ctx, "open", openPID, openEpoch, tp); err != nil {
		t.Fatal(err)
	}

	week := 7 * 24 * time.Hour
	if n := c.expireIDs(time.Now().Add(week - time.Minute)); n != 0 {
		t.Fatalf("expired %d ids before their time", n)
	}
	if n := c.expireIDs(time.Now().Add(week + time.Minute)); n != 1 {
		t.Fatalf("expired %d ids, want 1 (the ongoing one stays)", n)
	}
	if ts := log.tombstones(t, 0); !ts["done"] || ts["open"] {
		t.Fatalf("tombstones %v, want done only", ts)
	}
	if _, err := c.Describe("done"); !errors.Is(err, ErrUnknownTransactionalID) {
		t.Fatalf("describe an expired id: %v", err)
	}
	if _, err := c.Describe("open"); err != nil {
		t.Fatalf("describe the ongoing id: %v", err)
	}
	// The expired producer's writes no longer map to the id; its next
	// InitProducerId (KIP-360, with its old id and epoch) gets a new id.
	if err := c.AddPartitions(ctx, "done", oldPID, oldEpoch, tp); !errors.Is(err, ErrInvalidProducerIDMapping) {
		t.Fatalf("add partitions after expiry: %v", err)
	}
	newPID, newEpoch, err := c.InitProducerID(ctx, "done", 60000, oldPID, oldEpoch)
	if err != nil || newPID == oldPID || newEpoch != 0 {
		t.Fatalf("re-init after expiry: %d/%d %v (old id %d)", newPID, newEpoch, err, oldPID)
	}

	// A coordinator loading the log replays the tombstone and then the
	// re-init: it knows the id by its new producer id.
	if err := c.EndTxn(ctx, "open", openPID, openEpoch, false); err != nil {
		t.Fatal(err)
	}
	c.Close()
	c2 := newTestCoordinator(t, log, mk)
	in, err := c2.Describe("done")
	if err != nil || in.ProducerID != newPID {
		t.Fatalf("after reload: %+v %v, want producer id %d", in, err, newPID)
	}
}

func TestTransactionalIDExpiryLoop(t *testing.T) {
	ctx := context.Background()
	log, mk := &memLog{recs: map[int32][]Record{}}, &memMarkers{}
	next := int64(0)
	c := New(Config{NumPartitions: 1, IDExpiration: time.Millisecond, ExpireInterval: 10 * time.Millisecond,
		NextProducerID: func() (int64, error) { next++; return next, nil }}, log, mk)
	t.Cleanup(func() { c.Close() })
	c.SetLeaders(map[int32]int32{0: 1})
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, _, err := c.InitProducerID(ctx, "idle", 60000, -1, -1); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("coordinator not ready")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for !log.tombstones(t, 0)["idle"] {
		if time.Now().After(deadline) {
			t.Fatal("idle transactional id not expired within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
