// Package partition is the partition manager: it hosts the replicas the
// metadata image assigns to this node, runs the append path (validation,
// idempotent-producer sequence checks, offset stamping into the log),
// tracks the log end offset and high watermark, and wakes fetches that are
// waiting for data.
//
// Each replica is leader or follower as the image says. A leader tracks its
// followers' log end offsets from their fetches, keeps the high watermark
// at the minimum over the ISR, parks acks=all produces until it passes
// them, and proposes ISR changes (replica.go, isr.go); a follower appends
// what the replication package fetched and truncates by leader epoch
// (follower.go).
//
// Lock order: Manager.mu, then Partition.mu, then replicaSet.mu, then
// the waiter sets. A Partition never calls back into the Manager while
// holding its own lock; ISR proposals are handed out with no lock held.
package partition
