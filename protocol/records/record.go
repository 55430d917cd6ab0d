package records

import (
	"encoding/binary"
	"fmt"
)

// Record is one decoded record of a batch. Key, Value and header values
// alias the batch (or its decompressed copy); copy them to keep them.
type Record struct {
	Attributes     int8
	OffsetDelta    int32
	TimestampDelta int64
	Key, Value     []byte
	Headers        []RecordHeader
	KeyNull        bool
	ValueNull      bool
}

// RecordHeader is a record-level key/value header.
type RecordHeader struct {
	Key       string
	Value     []byte
	ValueNull bool
}

// Offset is the record's absolute offset within the batch described by h.
func (r Record) Offset(h Header) int64 { return h.BaseOffset + int64(r.OffsetDelta) }

// Timestamp is the record's timestamp: the batch's max timestamp for
// LogAppendTime batches, else base timestamp plus delta.
func (r Record) Timestamp(h Header) int64 {
	if h.LogAppendTime() {
		return h.MaxTimestamp
	}
	return h.BaseTimestamp + r.TimestampDelta
}

// Records decodes every record of one whole batch, decompressing as needed.
// It checks bounds but not the CRC (use Check for that).
func Records(batch []byte) ([]Record, error) {
	var out []Record
	err := ForEachRecord(batch, func(r Record) bool {
		out = append(out, r)
		return true
	})
	return out, err
}

// ForEachRecord calls fn for each record of one whole batch in order until
// fn returns false. The decoded record count must match the header.
func ForEachRecord(batch []byte, fn func(Record) bool) error {
	h, err := ParseHeader(batch)
	if err != nil {
		return err
	}
	if h.Magic != 2 {
		return fmt.Errorf("records: magic %d: %w", h.Magic, ErrUnsupportedMagic)
	}
	if h.Size() != len(batch) {
		return fmt.Errorf("records: length %d for %d bytes: %w", h.BatchLength, len(batch), ErrCorrupt)
	}
	data, err := Decompress(h.Compression(), batch[HeaderSize:])
	if err != nil {
		return fmt.Errorf("records of batch at offset %d: %w", h.BaseOffset, err)
	}
	d := decoder{b: data}
	for i := int32(0); i < h.NumRecords && len(d.b) > 0; i++ {
		r, err := d.record()
		if err != nil {
			return fmt.Errorf("record %d of batch at offset %d: %w", i, h.BaseOffset, err)
		}
		if !fn(r) {
			return nil
		}
		d.n++
	}
	if d.n != int(h.NumRecords) || len(d.b) != 0 {
		return fmt.Errorf("batch at offset %d: %d records decoded, header says %d, %d bytes left: %w",
			h.BaseOffset, d.n, h.NumRecords, len(d.b), ErrInvalidRecord)
	}
	return nil
}

// decoder reads records from a decompressed records section.
type decoder struct {
	b   []byte
	n   int
	err error
}

func (d *decoder) record() (Record, error) {
	var r Record
	length := d.varint()
	if d.err != nil || length < 0 || length > int64(len(d.b)) {
		return r, fmt.Errorf("length %d: %w", length, ErrInvalidRecord)
	}
	body := decoder{b: d.b[:length]}
	d.b = d.b[length:]
	r.Attributes = int8(body.byte())
	r.TimestampDelta = body.varint()
	r.OffsetDelta = int32(body.varint())
	r.Key, r.KeyNull = body.bytes()
	r.Value, r.ValueNull = body.bytes()
	nh := body.varint()
	if body.err == nil && (nh < 0 || nh > int64(len(body.b))) {
		body.err = fmt.Errorf("header count %d", nh)
	}
	if body.err == nil && nh > 0 {
		r.Headers = make([]RecordHeader, nh)
		for i := range r.Headers {
			k, _ := body.bytes()
			v, null := body.bytes()
			r.Headers[i] = RecordHeader{Key: string(k), Value: v, ValueNull: null}
		}
	}
	if body.err == nil && len(body.b) != 0 {
		body.err = fmt.Errorf("%d trailing bytes", len(body.b))
	}
	if body.err != nil {
		return r, fmt.Errorf("%w: %w", ErrInvalidRecord, body.err)
	}
	return r, nil
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = fmt.Errorf("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b) == 0 {
		d.fail("missing attributes")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

// bytes reads a varint-length-prefixed byte string; -1 means null.
func (d *decoder) bytes() ([]byte, bool) {
	n := d.varint()
	if d.err != nil {
		return nil, false
	}
	if n == -1 {
		return nil, true
	}
	if n < 0 || n > int64(len(d.b)) {
		d.fail(fmt.Sprintf("byte string of %d, %d left", n, len(d.b)))
		return nil, false
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v, false
}

func (d *decoder) fail(msg string) {
	if d.err == nil {
		d.err = fmt.Errorf("%s", msg)
	}
}
