package e2e

import (
	"encoding/binary"
	"hash/crc32"
)

// Offsets of record batch v2 header fields (Kafka's DefaultRecordBatch).
const (
	batchLengthOff = 8
	batchMagicOff  = 16
	batchCRCOff    = 17
	batchAttrOff   = 21 // the CRC covers everything from here to the end
	batchHeaderLen = 61
)

// buildBatch encodes an uncompressed, non-idempotent v2 record batch of
// values without keys or headers, all with timestamp ts, base offset 0.
func buildBatch(ts int64, values ...[]byte) []byte {
	b := make([]byte, batchHeaderLen)
	binary.BigEndian.PutUint32(b[12:], 0xffffffff) // partition leader epoch -1
	b[batchMagicOff] = 2
	binary.BigEndian.PutUint32(b[23:], uint32(len(values)-1)) // last offset delta
	binary.BigEndian.PutUint64(b[27:], uint64(ts))            // first timestamp
	binary.BigEndian.PutUint64(b[35:], uint64(ts))            // max timestamp
	binary.BigEndian.PutUint64(b[43:], ^uint64(0))            // producer id -1
	binary.BigEndian.PutUint16(b[51:], 0xffff)                // producer epoch -1
	binary.BigEndian.PutUint32(b[53:], 0xffffffff)            // base sequence -1
	binary.BigEndian.PutUint32(b[57:], uint32(len(values)))
	for i, v := range values {
		b = appendRecord(b, int64(i), v)
	}
	binary.BigEndian.PutUint32(b[batchLengthOff:], uint32(len(b)-12))
	binary.BigEndian.PutUint32(b[batchCRCOff:], batchCRC(b))
	return b
}

// appendRecord appends one record with no key and no headers.
func appendRecord(dst []byte, offsetDelta int64, value []byte) []byte {
	body := []byte{0}                   // attributes
	body = binary.AppendVarint(body, 0) // timestamp delta
	body = binary.AppendVarint(body, offsetDelta)
	body = binary.AppendVarint(body, -1) // null key
	body = binary.AppendVarint(body, int64(len(value)))
	body = append(body, value...)
	body = binary.AppendVarint(body, 0) // header count
	dst = binary.AppendVarint(dst, int64(len(body)))
	return append(dst, body...)
}

// batchCRC is the CRC-32C of a batch from the attributes to the end.
func batchCRC(batch []byte) uint32 {
	return crc32.Checksum(batch[batchAttrOff:], crc32.MakeTable(crc32.Castagnoli))
}
