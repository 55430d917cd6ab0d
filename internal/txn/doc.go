// Package txn holds the producer-id manager and the transaction
// coordinator over the compacted internal topic __transaction_state.
//
// A transactional id belongs to partition abs(javaHash(id)) %
// transaction.state.log.num.partitions of __transaction_state, and the
// leader of that partition is its coordinator. The coordinator keeps each
// id's metadata (producer id and epoch, timeout, state, partitions of the
// ongoing transaction) in memory and writes every change to its partition
// (Kafka's TxnMetadataKey/Value records, protocol/txnstate) before
// answering. A node that becomes leader of a partition replays it and then
// finishes every transaction it finds half-way (PrepareCommit or
// PrepareAbort): the markers are written again, which is harmless for
// partitions that already have them. Ongoing transactions are left to the
// timeout, which aborts them with a bumped epoch so that the producer is
// fenced.
//
// Threading: every operation on one transactional id holds that id's mutex
// for its whole duration, log writes and marker writes included, so the
// operations of an id are serialized; different ids proceed in parallel.
// Lock order: Coordinator.mu before meta.mu is never needed (the map lock
// is released before an id's lock is taken).
package txn
