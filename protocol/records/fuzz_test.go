package records

import (
	"errors"
	"testing"
)

func seedBatches(f *testing.F) {
	for _, c := range []Codec{None, Gzip, Snappy, LZ4, Zstd} {
		raw, err := AppendBatch(nil, Header{}, sampleRecords(4), c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add(kmsgBatch(f, 5, 2))
	f.Add([]byte{})
}

func FuzzValidate(f *testing.F) {
	seedBatches(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Validate(b, 1<<20)
		if err == nil && (s.Batches == 0 || s.Bytes != len(b)) {
			t.Fatalf("accepted with summary %+v", s)
		}
		if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupportedMagic) &&
			!errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrInvalidRecord) {
			t.Fatalf("untyped error %v", err)
		}
	})
}

func FuzzRecords(f *testing.F) {
	seedBatches(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := Records(b)
		if err != nil {
			return
		}
		h, _ := ParseHeader(b)
		if len(recs) != int(h.NumRecords) {
			t.Fatalf("%d records, header says %d", len(recs), h.NumRecords)
		}
	})
}
