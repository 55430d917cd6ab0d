package records

import (
	"encoding/binary"
	"fmt"
)

// AppendBatch encodes recs as one batch appended to dst. From h it takes
// BaseOffset, PartitionLeaderEpoch, Attributes (timestamp type,
// transactional, control; the codec bits come from codec), BaseTimestamp,
// ProducerID, ProducerEpoch and BaseSequence. It computes the record count,
// lastOffsetDelta (from the last record), max timestamp, length and CRC.
// Used by tests, tools and the coordinators that write internal topics.
func AppendBatch(dst []byte, h Header, recs []Record, codec Codec) ([]byte, error) {
	var body []byte
	maxDelta := int64(0)
	for i := range recs {
		body = appendRecord(body, &recs[i])
		maxDelta = max(maxDelta, recs[i].TimestampDelta)
	}
	start := len(dst)
	dst = append(dst, make([]byte, HeaderSize)...)
	dst, err := Compress(dst, codec, body)
	if err != nil {
		return nil, fmt.Errorf("append batch: %w", err)
	}
	b := dst[start:]
	if len(recs) > 0 {
		h.LastOffsetDelta = recs[len(recs)-1].OffsetDelta
	}
	if !h.LogAppendTime() || h.MaxTimestamp == 0 {
		h.MaxTimestamp = h.BaseTimestamp + maxDelta
	}
	h.NumRecords = int32(len(recs))
	h.Attributes = h.Attributes&^attrCodecMask | int16(codec)
	h.Magic = 2
	h.BatchLength = int32(len(b) - lengthPrefix)
	putHeader(b, h)
	be.PutUint32(b[posCRC:], Checksum(b))
	return dst, nil
}

func putHeader(b []byte, h Header) {
	be.PutUint64(b[posBaseOffset:], uint64(h.BaseOffset))
	be.PutUint32(b[posBatchLength:], uint32(h.BatchLength))
	be.PutUint32(b[posLeaderEpoch:], uint32(h.PartitionLeaderEpoch))
	b[posMagic] = byte(h.Magic)
	be.PutUint16(b[posAttributes:], uint16(h.Attributes))
	be.PutUint32(b[posLastOffsetDelta:], uint32(h.LastOffsetDelta))
	be.PutUint64(b[posBaseTimestamp:], uint64(h.BaseTimestamp))
	be.PutUint64(b[posMaxTimestamp:], uint64(h.MaxTimestamp))
	be.PutUint64(b[posProducerID:], uint64(h.ProducerID))
	be.PutUint16(b[posProducerEpoch:], uint16(h.ProducerEpoch))
	be.PutUint32(b[posBaseSequence:], uint32(h.BaseSequence))
	be.PutUint32(b[posNumRecords:], uint32(h.NumRecords))
}

// appendRecord appends one record: varint length, then the body.
func appendRecord(dst []byte, r *Record) []byte {
	var scratch [binary.MaxVarintLen64]byte
	body := make([]byte, 0, 32+len(r.Key)+len(r.Value))
	body = append(body, byte(r.Attributes))
	body = binary.AppendVarint(body, r.TimestampDelta)
	body = binary.AppendVarint(body, int64(r.OffsetDelta))
	body = appendBytes(body, r.Key, r.KeyNull)
	body = appendBytes(body, r.Value, r.ValueNull)
	body = binary.AppendVarint(body, int64(len(r.Headers)))
	for _, hd := range r.Headers {
		body = appendBytes(body, []byte(hd.Key), false)
		body = appendBytes(body, hd.Value, hd.ValueNull)
	}
	n := binary.PutVarint(scratch[:], int64(len(body)))
	dst = append(dst, scratch[:n]...)
	return append(dst, body...)
}

func appendBytes(dst, v []byte, null bool) []byte {
	if null {
		return binary.AppendVarint(dst, -1)
	}
	dst = binary.AppendVarint(dst, int64(len(v)))
	return append(dst, v...)
}
