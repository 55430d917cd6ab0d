// Package storage is Samsa's segmented partition log, laid out on disk as
// Kafka lays it out so that operators and tools find familiar files.
//
// # Directory
//
// The caller passes the partition directory, <log.dir>/<topic>-<partition>.
// It holds:
//
//	00000000000000000000.log        segment data, named by base offset (20 digits)
//	00000000000000000000.index      sparse offset index of that segment
//	00000000000000000000.timeindex  sparse time index of that segment
//	leader-epoch-checkpoint         leader epoch -> start offset (Kafka format)
//	samsa-log-state                 recovery point, log start offset, clean flag
//	cleaner-offset-checkpoint       compaction: cleaned-to offset, tombstone horizon (compact_checkpoint.go)
//	*.cleaned                       compaction output not yet committed (removed at open)
//	*.swap                          committed compaction output (installed at open, see compact.go)
//	*.deleted                       segment files awaiting file.delete.delay.ms
//	*.tmp                           checkpoint being written (removed at open)
//	00000000000000000000.snapshot   producer state up to that offset, written by
//	                                internal/partition (snapshot.go) at segment roll
//	                                and clean close; it also stands in for Kafka's
//	                                .txnindex (aborted transactions)
//
// # .log
//
// The concatenation of RecordBatch v2 batches (see protocol/records) exactly
// as stored and served: base offsets and leader epochs stamped at append.
// Offsets increase strictly from batch to batch; the segment's base offset
// is at or below its first batch's base offset. A segment holds at most
// 2^31 offsets (relative offsets fit an index entry).
//
// # .index (8-byte entries, big-endian)
//
//	relative offset uint32   (offset - segment base)
//	position        uint32   (byte position in the .log file)
//
// One entry per append after at least index.interval.bytes were written
// since the previous entry. An entry (r, p) means the batch holding offset
// base+r starts at or after p, and every batch before p ends below it, so
// a lookup takes the last entry with relative offset <= target and scans
// batch headers from its position. Entries increase strictly in both fields.
//
// # .timeindex (12-byte entries, big-endian)
//
//	timestamp       int64    (largest batch max timestamp so far)
//	relative offset uint32   (last offset of the batch that carried it)
//
// Appended alongside offset entries when the segment's max timestamp grew,
// plus a final entry when the segment is sealed (roll, close), so the last
// entry holds the segment's largest timestamp (used by retention.ms).
//
// Index files are written from memory at flush, roll and close, not on
// every append. Below the recovery point they are complete; elsewhere they
// are rebuilt by recovery.
//
// # leader-epoch-checkpoint
//
// Kafka's text format: a line "0" (version), a line with the entry count,
// then one "epoch startOffset" line per entry, epochs and offsets strictly
// increasing. Rewritten (temp file, fsync, rename, fsync dir) whenever an
// epoch is added or the log is truncated at either end.
//
// # samsa-log-state
//
//	version 1
//	recovery-point <offset>     every batch below it is fsynced, with index files
//	log-start-offset <offset>   DeleteRecords / retention floor
//	clean-shutdown <true|false> set by Close, cleared by Open
//
// Written the same atomic way on flush, log start changes, truncation,
// open and close.
//
// # Recovery
//
// After a clean shutdown Open loads the index files and validates only the
// active segment's bytes after its last index entry. Otherwise every
// segment from the one holding the recovery point is scanned batch by
// batch (bounds, magic, CRC-32C) and its indexes rebuilt; at the first torn
// or corrupt batch the segment is truncated there and any later segments
// are deleted, so the log is always a prefix of what was written and a
// corrupt batch is never served. Missing or inconsistent index files are
// rebuilt the same way.
//
// # Flushing
//
// Appends go to the page cache with one pwrite each. The Log's flusher
// goroutine (started when there is work, gone when the log is idle)
// fsyncs a rolled segment soon after the roll (advancing the
// recovery point, as Kafka does) and applies flush.messages / flush.ms,
// grouping every append since the previous fsync into one. Append does not
// wait for these fsyncs; call Flush to make data durable synchronously.
package storage
