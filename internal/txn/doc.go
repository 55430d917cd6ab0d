// Package txn holds the producer-id manager and the transaction
// coordinator over the compacted internal topic __transaction_state.
//
// A transactional id belongs to partition abs(javaHash(id)) %
// transaction.state.log.num.partitions of __transaction_state, and the
// leader of that partition is its coordinator. The coordinator keeps each
// id's metadata (producer id and epoch, timeout, state, partitions of the
// ongoing transaction) in memory and writes every change to its partition
// (Kafka's TxnMetadataKey/Value records, protocol/txnstate) before
// answering. A node that becomes leader of a partition replays it to its
// log end (its high watermark can lag the records it holds) and then
// finishes every transaction it finds half-way (PrepareCommit or
// PrepareAbort): the markers are written again, which is harmless for
// partitions that already have them, because the producer cannot have
// begun its next transaction (AddPartitions answers
// CONCURRENT_TRANSACTIONS until the completion is durable). Only
// transactions the log shows prepared are finished: the markers of a
// completed transaction, sent again, would end the producer's next one,
// which a partition cannot tell apart by epoch. Ongoing transactions are
// left to the timeout, which aborts them with a bumped epoch so that the
// producer is fenced.
//
// Threading: every operation on one transactional id holds that id's mutex
// for its whole duration, log writes and marker writes included, so the
// operations of an id are serialized; different ids proceed in parallel.
// An id's entry belongs to one load of its partition: once the partition
// is lost or reloaded, an operation or background completion still
// holding the old entry writes neither markers nor state
// (Coordinator.coordinatorEpoch).
// Lock order: Coordinator.mu before meta.mu is never needed (the map lock
// is released before an id's lock is taken).
package txn
