package partition

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"testing"
)

// sampleSnapshot has a producer with a full, wrapped cache, one with none
// (only a marker seen), an open transaction of a producer with no entry,
// and aborted transactions.
func sampleSnapshot() *producerSnapshot {
	ps := make(producers)
	for i := int32(0); i < 8; i++ {
		ps.record(hdr(7, 2, i*3, 3), int64(i)*10, int64(i)-1)
	}
	ps.record(hdr(math.MaxInt64, 0, math.MaxInt32-1, 2), 200, -1)
	ctl := hdr(9, 4, -1, 1)
	ctl.Attributes = 0x30 // transactional control batch
	ps.record(ctl, 150, -1)
	return &producerSnapshot{offset: 300, producers: ps,
		ongoing: map[int64]int64{7: 70, 42: 5},
		aborted: []AbortedTxn{{ProducerID: 9, FirstOffset: 3, LastOffset: 150}, {ProducerID: 7, FirstOffset: 100, LastOffset: 201}}}
}

func TestSnapshotRoundTrip(t *testing.T) {
	s := sampleSnapshot()
	enc := encodeProducerSnapshot(s)
	got, err := decodeProducerSnapshot(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(encodeProducerSnapshot(got), enc) {
		t.Fatal("re-encoding a decoded snapshot changed it")
	}
	if got.offset != 300 || len(got.producers) != 3 || len(got.ongoing) != 2 || len(got.aborted) != 2 {
		t.Fatalf("decoded %+v", got)
	}
	st := got.producers[7]
	if st.epoch != 2 || st.n != cachedBatches || st.lastOffset != 72 {
		t.Fatalf("producer 7: %+v", st)
	}
	// The decoded cache answers like the original: the newest five batches
	// are duplicates with their offsets and append times, the next
	// sequence is accepted, an older batch is out of order.
	if b, dup, err := got.producers.dupOrCheck(hdr(7, 2, 21, 3)); err != nil || !dup || b.baseOffset != 70 || b.appendTime != 6 {
		t.Fatalf("newest batch: %+v dup=%v err=%v", b, dup, err)
	}
	if _, dup, err := got.producers.dupOrCheck(hdr(7, 2, 9, 3)); err != nil || !dup {
		t.Fatalf("oldest cached batch: dup=%v err=%v", dup, err)
	}
	if _, _, err := got.producers.dupOrCheck(hdr(7, 2, 6, 3)); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("evicted batch: %v", err)
	}
	if _, _, err := got.producers.dupOrCheck(hdr(7, 2, 24, 1)); err != nil {
		t.Fatalf("next sequence: %v", err)
	}
	if _, _, err := got.producers.dupOrCheck(hdr(9, 3, 0, 1)); !errors.Is(err, ErrInvalidProducerEpoch) {
		t.Fatalf("producer fenced by a marker: %v", err)
	}
}

// reCRC recomputes the checksum after a test edits a field.
func reCRC(b []byte) []byte {
	binary.BigEndian.PutUint32(b[2:], crc32.Checksum(b[6:], castagnoli))
	return b
}

func TestSnapshotDecodeRejects(t *testing.T) {
	good := encodeProducerSnapshot(sampleSnapshot())
	cases := map[string]func([]byte) []byte{
		"short":          func(b []byte) []byte { return b[:10] },
		"crc":            func(b []byte) []byte { b[20] ^= 1; return b },
		"version":        func(b []byte) []byte { b[1] = 2; return reCRC(b) },
		"trailing":       func(b []byte) []byte { return reCRC(append(b, 0)) },
		"truncated":      func(b []byte) []byte { return reCRC(b[:len(b)-1]) },
		"offset too low": func(b []byte) []byte { binary.BigEndian.PutUint64(b[6:], 100); return reCRC(b) },
		"negative":       func(b []byte) []byte { binary.BigEndian.PutUint64(b[6:], math.MaxUint64); return reCRC(b) },
		"huge count":     func(b []byte) []byte { binary.BigEndian.PutUint32(b[14:], math.MaxUint32); return reCRC(b) },
		"six batches":    func(b []byte) []byte { b[14+4+producerFixedSize-1] = 6; return reCRC(b) },
	}
	for name, damage := range cases {
		t.Run(name, func(t *testing.T) {
			b := damage(bytes.Clone(good))
			if s, err := decodeProducerSnapshot(b); !errors.Is(err, errBadSnapshot) {
				t.Fatalf("accepted (%v): %+v", err, s)
			}
		})
	}
}

// FuzzDecodeProducerSnapshot: the decoder never panics on any input, and
// what it accepts re-encodes to the same bytes (it accepts only the
// canonical form the encoder writes).
func FuzzDecodeProducerSnapshot(f *testing.F) {
	f.Add(encodeProducerSnapshot(sampleSnapshot()))
	f.Add(encodeProducerSnapshot(&producerSnapshot{producers: make(producers)}))
	f.Add([]byte{0, 1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeProducerSnapshot(b)
		if err != nil {
			if !errors.Is(err, errBadSnapshot) {
				t.Fatalf("error not marked errBadSnapshot: %v", err)
			}
			// Most mutations die at the CRC; check the structure too.
			if len(b) >= snapshotHeaderSize {
				b = reCRC(bytes.Clone(b))
				if s, err = decodeProducerSnapshot(b); err != nil {
					return
				}
			} else {
				return
			}
		}
		if !bytes.Equal(encodeProducerSnapshot(s), b) {
			t.Fatalf("accepted a non-canonical snapshot")
		}
		s.retain(s.offset / 2) // must not panic on any accepted state
	})
}
