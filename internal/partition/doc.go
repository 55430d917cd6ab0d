// Package partition is the partition manager: it hosts the replicas the
// metadata image assigns to this node, runs the append path (validation,
// idempotent-producer sequence checks, offset stamping into the log),
// tracks the log end offset and high watermark, and wakes fetches that are
// waiting for data.
//
// Lock order: Manager.mu, then Partition.mu, then Partition.waitMu. A
// Partition never calls back into the Manager while holding its own lock.
package partition
