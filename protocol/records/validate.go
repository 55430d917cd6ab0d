package records

import (
	"errors"
	"fmt"
	"io"
)

// Errors returned by this package, wrapped with the position of the fault.
var (
	ErrCorrupt          = errors.New("records: corrupt batch")
	ErrUnsupportedMagic = errors.New("records: unsupported magic")
	ErrTooLarge         = errors.New("records: batch too large")
	ErrInvalidRecord    = errors.New("records: invalid record")
)

// Summary describes a validated produce payload.
type Summary struct {
	Batches     int
	Records     int64
	Bytes       int
	FirstHeader Header
	LastHeader  Header
	// MaxTimestamp is the largest batch max timestamp; MaxTimestampBatch is
	// the index of the first batch carrying it.
	MaxTimestamp      int64
	MaxTimestampBatch int
}

// Next splits the first batch off b using only its length field. It returns
// io.EOF when b is empty, io.ErrUnexpectedEOF (wrapped) when b ends inside a
// batch (a torn tail) and ErrCorrupt when the length field is impossible.
func Next(b []byte) (batch []byte, rest []byte, err error) {
	if len(b) == 0 {
		return nil, nil, io.EOF
	}
	if len(b) < lengthPrefix {
		return nil, b, fmt.Errorf("next batch: %d bytes left: %w", len(b), io.ErrUnexpectedEOF)
	}
	n := int32(be.Uint32(b[posBatchLength:]))
	if n < minBatchLength {
		return nil, b, fmt.Errorf("next batch: length %d: %w", n, ErrCorrupt)
	}
	size := lengthPrefix + int(n)
	if size > len(b) {
		return nil, b, fmt.Errorf("next batch: size %d, %d bytes left: %w", size, len(b), io.ErrUnexpectedEOF)
	}
	return b[:size:size], b[size:], nil
}

// Check verifies one whole batch as returned by Next: magic, CRC and the
// record count. A batch with no records passes (compaction leaves such
// batches behind) as long as its lastOffsetDelta is not negative. It does
// not decompress.
func Check(batch []byte) (Header, error) {
	h, err := ParseHeader(batch)
	if err != nil {
		return h, err
	}
	if h.Magic != 2 {
		return h, fmt.Errorf("magic %d: %w", h.Magic, ErrUnsupportedMagic)
	}
	if h.Size() != len(batch) {
		return h, fmt.Errorf("length %d for %d bytes: %w", h.BatchLength, len(batch), ErrCorrupt)
	}
	if got := Checksum(batch); got != h.CRC {
		return h, fmt.Errorf("crc %08x, computed %08x: %w", h.CRC, got, ErrCorrupt)
	}
	if h.NumRecords < 0 || h.LastOffsetDelta < 0 {
		return h, fmt.Errorf("record count %d, last offset delta %d: %w", h.NumRecords, h.LastOffsetDelta, ErrCorrupt)
	}
	// Compaction removes records but keeps the batch's offset span, so a
	// stored batch may span more offsets than it holds records, never fewer.
	if h.NumRecords > 0 && h.LastOffsetDelta < h.NumRecords-1 {
		return h, fmt.Errorf("last offset delta %d with %d records: %w", h.LastOffsetDelta, h.NumRecords, ErrCorrupt)
	}
	return h, nil
}

// Validate checks a produce payload: one or more concatenated v2 batches,
// each with valid bounds, magic, CRC and record count, none larger than
// maxBatchBytes and the whole payload not larger either (maxBatchBytes <= 0
// means no limit). A produced batch must hold at least one record
// (ErrInvalidRecord). It never decompresses.
func Validate(payload []byte, maxBatchBytes int) (Summary, error) {
	var s Summary
	if len(payload) == 0 {
		return s, fmt.Errorf("validate: empty payload: %w", ErrCorrupt)
	}
	if maxBatchBytes > 0 && len(payload) > maxBatchBytes {
		return s, fmt.Errorf("validate: payload %d bytes, max %d: %w", len(payload), maxBatchBytes, ErrTooLarge)
	}
	for pos, rest := 0, payload; len(rest) > 0; s.Batches++ {
		batch, next, err := Next(rest)
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		if err != nil {
			return s, fmt.Errorf("validate batch %d at byte %d: %w", s.Batches, pos, err)
		}
		h, err := Check(batch)
		if err != nil {
			return s, fmt.Errorf("validate batch %d at byte %d: %w", s.Batches, pos, err)
		}
		if h.NumRecords == 0 {
			return s, fmt.Errorf("validate batch %d at byte %d: no records: %w", s.Batches, pos, ErrInvalidRecord)
		}
		if h.LastOffsetDelta != h.NumRecords-1 { // only compaction leaves gaps
			return s, fmt.Errorf("validate batch %d at byte %d: last offset delta %d with %d records: %w",
				s.Batches, pos, h.LastOffsetDelta, h.NumRecords, ErrCorrupt)
		}
		s.add(h)
		pos += len(batch)
		rest = next
	}
	s.Bytes = len(payload)
	return s, nil
}

func (s *Summary) add(h Header) {
	if s.Batches == 0 {
		s.FirstHeader = h
		s.MaxTimestamp = h.MaxTimestamp
	} else if h.MaxTimestamp > s.MaxTimestamp {
		s.MaxTimestamp = h.MaxTimestamp
		s.MaxTimestampBatch = s.Batches
	}
	s.LastHeader = h
	s.Records += int64(h.NumRecords)
}
