// Package records is a zero-copy view of Kafka RecordBatch v2 (magic 2), the
// unit in which Samsa receives, stores and serves data.
//
// A batch starts with a fixed 61-byte header (big-endian):
//
//	offset  size  field
//	 0      8     baseOffset
//	 8      4     batchLength (bytes after this field)
//	12      4     partitionLeaderEpoch
//	16      1     magic (= 2)
//	17      4     crc (CRC-32C over bytes 21..end)
//	21      2     attributes (bits 0-2 codec, 3 timestamp type, 4 transactional, 5 control)
//	23      4     lastOffsetDelta
//	27      8     baseTimestamp
//	35      8     maxTimestamp
//	43      8     producerId
//	51      2     producerEpoch
//	53      4     baseSequence
//	57      4     recordCount
//	61      ...   records (compressed as a whole when the codec is not none)
//
// Because the CRC covers only bytes 21 onwards, the broker stamps the base
// offset and the leader epoch in place without recomputing it
// (SetBaseOffset, SetLeaderEpoch). Validate checks a produce payload on the
// hot path without decompressing; Records decodes the individual records
// for the few features that need them (timestamp lookups, compaction, tools).
//
// The package imports nothing else of Samsa's.
package records
