package share

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

var t0 = time.Unix(1_700_000_000, 0)

func testPartition(start int64) *Partition {
	return NewPartition(PartitionConfig{LockDuration: 10 * time.Second, DeliveryLimit: 3, MaxInFlight: 100}, start)
}

func oneType(first, last int64, t AckType) AckBatch {
	return AckBatch{First: first, Last: last, Types: []AckType{t}}
}

func TestAcquireWholeBatchesAndAccept(t *testing.T) {
	p := testPartition(10)
	got := p.Acquire("m1", t0, []Batch{{First: 10, Last: 14}, {First: 15, Last: 19}}, 3, false)
	// Batch-optimized: the first batch is acquired whole though 3 were asked.
	if want := []AcquiredRange{{First: 10, Last: 14, DeliveryCount: 1}}; !slices.Equal(got, want) {
		t.Fatalf("acquired %v, want %v", got, want)
	}
	if off, ok := p.FetchOffset(t0); off != 15 || !ok {
		t.Fatalf("FetchOffset = %d %v, want 15 true", off, ok)
	}
	if err := p.Acknowledge("m1", t0, []AckBatch{oneType(10, 14, AckAccept)}); err != nil {
		t.Fatal(err)
	}
	if p.StartOffset() != 15 || p.EndOffset() != 15 {
		t.Fatalf("SPSO %d SPEO %d, want 15 15", p.StartOffset(), p.EndOffset())
	}
}

func TestAcquireStrictRecordLimit(t *testing.T) {
	p := testPartition(0)
	got := p.Acquire("m1", t0, []Batch{{First: 0, Last: 9}}, 4, true)
	if want := []AcquiredRange{{First: 0, Last: 3, DeliveryCount: 1}}; !slices.Equal(got, want) {
		t.Fatalf("acquired %v, want %v", got, want)
	}
	got = p.Acquire("m2", t0, []Batch{{First: 0, Last: 9}}, 4, true)
	if want := []AcquiredRange{{First: 4, Last: 7, DeliveryCount: 1}}; !slices.Equal(got, want) {
		t.Fatalf("second member acquired %v, want %v", got, want)
	}
}

func TestAcknowledgeOtherMembersRecordIsInvalidState(t *testing.T) {
	p := testPartition(0)
	p.Acquire("m1", t0, []Batch{{First: 0, Last: 4}}, 10, false)
	err := p.Acknowledge("m2", t0, []AckBatch{oneType(0, 0, AckAccept)})
	if !errors.Is(err, ErrInvalidRecordState) {
		t.Fatalf("err = %v, want ErrInvalidRecordState", err)
	}
	// All or nothing: a valid batch before an invalid one changes nothing.
	err = p.Acknowledge("m1", t0, []AckBatch{oneType(0, 1, AckAccept), oneType(3, 7, AckAccept)})
	if !errors.Is(err, ErrInvalidRecordState) {
		t.Fatalf("err = %v, want ErrInvalidRecordState for offsets past the SPEO", err)
	}
	if s, _ := p.State(0, t0); s != Acquired {
		t.Fatalf("offset 0 is %v after a refused acknowledgement, want Acquired", s)
	}
}

func TestReleaseRedeliversAndRejectArchives(t *testing.T) {
	p := testPartition(0)
	p.Acquire("m1", t0, []Batch{{First: 0, Last: 2}}, 10, false)
	types := []AckType{AckRelease, AckReject, AckAccept}
	if err := p.Acknowledge("m1", t0, []AckBatch{{First: 0, Last: 2, Types: types}}); err != nil {
		t.Fatal(err)
	}
	if s, d := p.State(0, t0); s != Available || d != 1 {
		t.Fatalf("released offset 0: %v delivered %d, want Available 1", s, d)
	}
	if s, _ := p.State(1, t0); s != Archived {
		t.Fatalf("rejected offset 1: %v, want Archived", s)
	}
	got := p.Acquire("m2", t0, []Batch{{First: 0, Last: 2}}, 10, false)
	if want := []AcquiredRange{{First: 0, Last: 0, DeliveryCount: 2}}; !slices.Equal(got, want) {
		t.Fatalf("redelivery %v, want %v", got, want)
	}
	if c := p.Counters(); c.Redeliveries != 1 || c.Archived != 1 {
		t.Fatalf("counters %+v, want 1 redelivery 1 archived", c)
	}
}

func TestLockTimeoutRedeliversUntilDeliveryLimit(t *testing.T) {
	p := testPartition(0)
	now := t0
	for delivery := int16(1); delivery <= 3; delivery++ {
		got := p.Acquire("m1", now, []Batch{{First: 0, Last: 0}}, 10, false)
		if want := []AcquiredRange{{First: 0, Last: 0, DeliveryCount: delivery}}; !slices.Equal(got, want) {
			t.Fatalf("delivery %d: acquired %v, want %v", delivery, got, want)
		}
		if d, ok := p.NextLockDeadline(); !ok || !d.Equal(now.Add(10*time.Second)) {
			t.Fatalf("lock deadline %v %v", d, ok)
		}
		// Still locked just before the deadline.
		if got := p.Acquire("m2", now.Add(10*time.Second-time.Millisecond), []Batch{{First: 0, Last: 0}}, 10, false); got != nil {
			t.Fatalf("acquired a locked record: %v", got)
		}
		now = now.Add(10 * time.Second)
	}
	// The third lock expired at the delivery limit (3): archived, SPSO moves.
	if off, ok := p.FetchOffset(now); off != 1 || !ok {
		t.Fatalf("FetchOffset %d %v, want 1 true", off, ok)
	}
	if p.StartOffset() != 1 {
		t.Fatalf("SPSO %d, want 1", p.StartOffset())
	}
	if c := p.Counters(); c.LockTimeouts != 3 || c.Archived != 1 || c.Acquisitions != 3 {
		t.Fatalf("counters %+v", c)
	}
}

func TestRenewExtendsTheLock(t *testing.T) {
	p := testPartition(0)
	p.Acquire("m1", t0, []Batch{{First: 0, Last: 0}}, 10, false)
	if err := p.Acknowledge("m1", t0.Add(9*time.Second), []AckBatch{oneType(0, 0, AckRenew)}); err != nil {
		t.Fatal(err)
	}
	if s, _ := p.State(0, t0.Add(15*time.Second)); s != Acquired {
		t.Fatalf("renewed record is %v after the first lock's expiry, want Acquired", s)
	}
	if s, _ := p.State(0, t0.Add(19*time.Second)); s != Available {
		t.Fatalf("renewed record is %v after the renewed lock's expiry, want Available", s)
	}
}

func TestExpiredLockCannotBeAcknowledged(t *testing.T) {
	p := testPartition(0)
	p.Acquire("m1", t0, []Batch{{First: 0, Last: 0}}, 10, false)
	err := p.Acknowledge("m1", t0.Add(10*time.Second), []AckBatch{oneType(0, 0, AckAccept)})
	if !errors.Is(err, ErrInvalidRecordState) {
		t.Fatalf("err = %v, want ErrInvalidRecordState", err)
	}
}

func TestGapsAndSkippedBatchesAreArchived(t *testing.T) {
	p := testPartition(0)
	// Offsets 3-4 are not in the log (compacted); 5-5 is a control batch.
	got := p.Acquire("m1", t0, []Batch{{First: 0, Last: 2}, {First: 5, Last: 5, Skip: true}, {First: 6, Last: 7}}, 100, false)
	want := []AcquiredRange{{First: 0, Last: 2, DeliveryCount: 1}, {First: 6, Last: 7, DeliveryCount: 1}}
	if !slices.Equal(got, want) {
		t.Fatalf("acquired %v, want %v", got, want)
	}
	if err := p.Acknowledge("m1", t0, []AckBatch{oneType(0, 2, AckAccept)}); err != nil {
		t.Fatal(err)
	}
	if p.StartOffset() != 6 {
		t.Fatalf("SPSO %d, want 6 (past the gap and the control batch)", p.StartOffset())
	}
}

func TestInFlightLimit(t *testing.T) {
	p := NewPartition(PartitionConfig{LockDuration: time.Second, DeliveryLimit: 5, MaxInFlight: 4}, 0)
	got := p.Acquire("m1", t0, []Batch{{First: 0, Last: 9}}, 100, false)
	if want := []AcquiredRange{{First: 0, Last: 3, DeliveryCount: 1}}; !slices.Equal(got, want) {
		t.Fatalf("acquired %v, want %v", got, want)
	}
	if _, ok := p.FetchOffset(t0); ok {
		t.Fatal("FetchOffset ok with the in-flight records at the limit")
	}
	if err := p.Acknowledge("m1", t0, []AckBatch{oneType(0, 0, AckAccept)}); err != nil {
		t.Fatal(err)
	}
	if off, ok := p.FetchOffset(t0); !ok || off != 4 {
		t.Fatalf("FetchOffset %d %v after one accept, want 4 true", off, ok)
	}
}

func TestReleaseMemberAndAdvanceStart(t *testing.T) {
	p := testPartition(0)
	p.Acquire("m1", t0, []Batch{{First: 0, Last: 4}}, 100, false)
	if n := p.ReleaseMember("m1", t0); n != 5 {
		t.Fatalf("released %d, want 5", n)
	}
	if off, _ := p.FetchOffset(t0); off != 0 {
		t.Fatalf("FetchOffset %d, want 0", off)
	}
	p.AdvanceStart(3)
	if p.StartOffset() != 3 || p.EndOffset() != 5 {
		t.Fatalf("SPSO %d SPEO %d, want 3 5", p.StartOffset(), p.EndOffset())
	}
	p.AdvanceStart(50)
	if p.StartOffset() != 50 || p.EndOffset() != 50 {
		t.Fatalf("SPSO %d SPEO %d, want 50 50", p.StartOffset(), p.EndOffset())
	}
}

func TestValidateAcks(t *testing.T) {
	for _, c := range []struct {
		name    string
		batches []AckBatch
		renew   bool
	}{
		{"first after last", []AckBatch{oneType(5, 4, AckAccept)}, true},
		{"overlap", []AckBatch{oneType(0, 4, AckAccept), oneType(4, 6, AckAccept)}, true},
		{"type count", []AckBatch{{First: 0, Last: 3, Types: []AckType{1, 1}}}, true},
		{"unknown type", []AckBatch{oneType(0, 0, 5)}, true},
		{"renew not allowed", []AckBatch{oneType(0, 0, AckRenew)}, false},
	} {
		if err := ValidateAcks(c.batches, c.renew); !errors.Is(err, ErrInvalidAck) {
			t.Errorf("%s: err = %v, want ErrInvalidAck", c.name, err)
		}
	}
}

// Concurrent members never acquire the same record twice, and every record
// is accepted exactly once.
func TestConcurrentMembersSplitRecords(t *testing.T) {
	const records = 1000
	p := NewPartition(PartitionConfig{LockDuration: time.Hour, DeliveryLimit: 5, MaxInFlight: 64}, 0)
	var (
		mu   sync.Mutex
		seen = make(map[int64]string)
		wg   sync.WaitGroup
	)
	for m := range 4 {
		member := string(rune('a' + m))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 * records {
				if p.StartOffset() >= records {
					return
				}
				off, ok := p.FetchOffset(t0)
				if !ok || off >= records {
					continue
				}
				for _, a := range p.Acquire(member, t0, []Batch{{First: off, Last: min(off+7, records-1)}}, 5, true) {
					mu.Lock()
					for o := a.First; o <= a.Last; o++ {
						if prev, dup := seen[o]; dup {
							t.Errorf("offset %d acquired by %s and %s", o, prev, member)
						}
						seen[o] = member
					}
					mu.Unlock()
					if err := p.Acknowledge(member, t0, []AckBatch{oneType(a.First, a.Last, AckAccept)}); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if len(seen) != records || p.StartOffset() != records {
		t.Fatalf("%d records acquired, SPSO %d; want %d", len(seen), p.StartOffset(), records)
	}
}
