package records

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// HeaderSize is the size of the fixed RecordBatch v2 header.
const HeaderSize = 61

// Byte positions of the header fields.
const (
	posBaseOffset      = 0
	posBatchLength     = 8
	posLeaderEpoch     = 12
	posMagic           = 16
	posCRC             = 17
	posAttributes      = 21
	posLastOffsetDelta = 23
	posBaseTimestamp   = 27
	posMaxTimestamp    = 35
	posProducerID      = 43
	posProducerEpoch   = 51
	posBaseSequence    = 53
	posNumRecords      = 57

	// lengthPrefix is the number of bytes not counted by batchLength.
	lengthPrefix = 12
	// minBatchLength is the smallest valid batchLength (a header, no records).
	minBatchLength = HeaderSize - lengthPrefix
)

// Attribute bits.
const (
	attrCodecMask     = 0x07
	attrLogAppendTime = 0x08
	attrTransactional = 0x10
	attrControl       = 0x20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Header holds the decoded fixed fields of a batch.
type Header struct {
	BaseOffset           int64
	BatchLength          int32
	PartitionLeaderEpoch int32
	Magic                int8
	CRC                  uint32
	Attributes           int16
	LastOffsetDelta      int32
	BaseTimestamp        int64
	MaxTimestamp         int64
	ProducerID           int64
	ProducerEpoch        int16
	BaseSequence         int32
	NumRecords           int32
}

// ParseHeader decodes the fixed header at the start of b. It checks only
// that b is long enough; it does not verify the CRC or the magic byte.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, fmt.Errorf("parse header: %d bytes, need %d: %w", len(b), HeaderSize, ErrCorrupt)
	}
	return Header{
		BaseOffset:           int64(be.Uint64(b[posBaseOffset:])),
		BatchLength:          int32(be.Uint32(b[posBatchLength:])),
		PartitionLeaderEpoch: int32(be.Uint32(b[posLeaderEpoch:])),
		Magic:                int8(b[posMagic]),
		CRC:                  be.Uint32(b[posCRC:]),
		Attributes:           int16(be.Uint16(b[posAttributes:])),
		LastOffsetDelta:      int32(be.Uint32(b[posLastOffsetDelta:])),
		BaseTimestamp:        int64(be.Uint64(b[posBaseTimestamp:])),
		MaxTimestamp:         int64(be.Uint64(b[posMaxTimestamp:])),
		ProducerID:           int64(be.Uint64(b[posProducerID:])),
		ProducerEpoch:        int16(be.Uint16(b[posProducerEpoch:])),
		BaseSequence:         int32(be.Uint32(b[posBaseSequence:])),
		NumRecords:           int32(be.Uint32(b[posNumRecords:])),
	}, nil
}

var be = binary.BigEndian

// Compression returns the batch's codec.
func (h Header) Compression() Codec { return Codec(h.Attributes & attrCodecMask) }

// IsTransactional reports whether the batch belongs to a transaction.
func (h Header) IsTransactional() bool { return h.Attributes&attrTransactional != 0 }

// IsControl reports whether the batch is a control batch (commit/abort marker).
func (h Header) IsControl() bool { return h.Attributes&attrControl != 0 }

// LogAppendTime reports whether the timestamp type is LogAppendTime.
func (h Header) LogAppendTime() bool { return h.Attributes&attrLogAppendTime != 0 }

// Size is the total size of the batch in bytes, header included.
func (h Header) Size() int { return lengthPrefix + int(h.BatchLength) }

// LastOffset is the offset of the batch's last record.
func (h Header) LastOffset() int64 { return h.BaseOffset + int64(h.LastOffsetDelta) }

// SetBaseOffset writes the base offset in place. The CRC stays valid.
func SetBaseOffset(batch []byte, off int64) { be.PutUint64(batch[posBaseOffset:], uint64(off)) }

// SetLeaderEpoch writes the partition leader epoch in place. The CRC stays valid.
func SetLeaderEpoch(batch []byte, epoch int32) { be.PutUint32(batch[posLeaderEpoch:], uint32(epoch)) }

// SetLogAppendTime marks the batch as LogAppendTime with timestamp ts and
// recomputes the CRC. As in Kafka, the broker's time replaces the batch's max
// timestamp (which consumers use for every record of such a batch); the base
// timestamp and record deltas are left as the producer wrote them.
// batch must be a single whole batch.
func SetLogAppendTime(batch []byte, ts int64) {
	attrs := be.Uint16(batch[posAttributes:]) | attrLogAppendTime
	be.PutUint16(batch[posAttributes:], attrs)
	be.PutUint64(batch[posMaxTimestamp:], uint64(ts))
	be.PutUint32(batch[posCRC:], Checksum(batch))
}

// Checksum computes the CRC-32C a whole batch should carry.
func Checksum(batch []byte) uint32 { return crc32.Checksum(batch[posAttributes:], castagnoli) }
