// Package share is the state of KIP-932 share groups: the share-partition
// state machine (partition.go: which records of a topic partition a share
// group has in flight, who holds their acquisition locks, how often each was
// delivered), the share-group coordinator (coordinator.go: membership,
// member epochs and the simple assignor), and share sessions (session.go).
//
// The package is pure: it never reads the log nor speaks the wire format.
// The handler reads record batches from the partition, describes them as
// Batch values, and asks a Partition which of their offsets a member
// acquires; acknowledgements arrive as AckBatch values.
//
// # Time
//
// No goroutine belongs to this package. Every operation takes the current
// time, and acquisition locks and member sessions that have expired by then
// are released first (lazily). A waiting ShareFetch asks NextLockDeadline so
// that it wakes up when a lock it could redeliver expires.
//
// # Durability
//
// Nothing is persisted yet: a restart forgets every share group and every
// share-partition state (docs/share-groups.md describes the record format
// intended for the internal topic __share_group_state).
package share
