package partition

import (
	"errors"
	"math"
	"testing"

	"github.com/samsa-io/samsa/protocol/records"
)

func hdr(pid int64, epoch int16, seq, n int32) records.Header {
	return records.Header{ProducerID: pid, ProducerEpoch: epoch, BaseSequence: seq, LastOffsetDelta: n - 1, NumRecords: n}
}

func TestProducerSequenceRules(t *testing.T) {
	ps := make(producers)
	ps.record(hdr(7, 0, 0, 5), 100, -1) // seq 0..4 at offsets 100..104

	if _, dup, err := ps.dupOrCheck(hdr(7, 0, 5, 3)); err != nil || dup {
		t.Fatalf("next in order: dup=%v err=%v", dup, err)
	}
	if b, dup, err := ps.dupOrCheck(hdr(7, 0, 0, 5)); err != nil || !dup || b.baseOffset != 100 || b.lastOffset != 104 {
		t.Fatalf("retry of written batch: %+v dup=%v err=%v", b, dup, err)
	}
	if _, _, err := ps.dupOrCheck(hdr(7, 0, 6, 1)); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("gap: got %v", err)
	}
	if _, _, err := ps.dupOrCheck(hdr(7, 1, 3, 1)); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("new epoch not at 0: got %v", err)
	}
	if _, _, err := ps.dupOrCheck(hdr(7, 1, 0, 1)); err != nil {
		t.Fatalf("new epoch at 0: %v", err)
	}
	ps.record(hdr(7, 1, 0, 1), 200, -1)
	if _, _, err := ps.dupOrCheck(hdr(7, 0, 5, 1)); !errors.Is(err, ErrInvalidProducerEpoch) {
		t.Fatalf("old epoch: got %v", err)
	}
	if _, dup, err := ps.dupOrCheck(hdr(8, 0, 42, 1)); err != nil || dup {
		t.Fatalf("unknown producer at any sequence: dup=%v err=%v", dup, err)
	}
	if _, dup, err := ps.dupOrCheck(hdr(-1, -1, -1, 3)); err != nil || dup {
		t.Fatalf("non-idempotent batch: dup=%v err=%v", dup, err)
	}
}

func TestProducerCacheKeepsFiveBatches(t *testing.T) {
	ps := make(producers)
	for i := int32(0); i < 8; i++ {
		ps.record(hdr(1, 0, i*2, 2), int64(i)*2, -1)
	}
	for i := int32(3); i < 8; i++ {
		if _, dup, _ := ps.dupOrCheck(hdr(1, 0, i*2, 2)); !dup {
			t.Fatalf("batch %d should still be cached", i)
		}
	}
	if _, dup, err := ps.dupOrCheck(hdr(1, 0, 0, 2)); dup || !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("evicted batch: dup=%v err=%v", dup, err)
	}
}

func TestSequenceWraps(t *testing.T) {
	if got := seqAdd(math.MaxInt32, 1); got != 0 {
		t.Fatalf("seqAdd(max,1)=%d", got)
	}
	ps := make(producers)
	ps.record(hdr(1, 0, math.MaxInt32-1, 2), 0, -1)
	if _, _, err := ps.dupOrCheck(hdr(1, 0, 0, 1)); err != nil {
		t.Fatalf("wrapped sequence: %v", err)
	}
}
