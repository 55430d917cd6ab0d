// Package group is the consumer-group coordinator: the classic group
// membership state machine (JoinGroup, SyncGroup, Heartbeat, LeaveGroup),
// KIP-848 consumer groups with server-side assignment (ConsumerHeartbeat,
// consumer.go, assignor.go) and the committed-offset store. Classic group
// metadata and offsets are persisted as records in the compacted internal
// topic __consumer_offsets, in Kafka's format (protocol/offsets); KIP-848
// membership is kept in memory only.
//
// # Ownership
//
// Group g belongs to partition PartitionFor(g) of __consumer_offsets. This
// node coordinates the groups of the partitions it leads: SetLeaders tells
// the Coordinator which those are, at which leader epochs; a newly led
// partition, or one led again at another epoch, is replayed to its log end
// (Status is Loading, requests get ErrLoadInProgress) before its groups are
// served.
//
// # States
//
//	Empty --join--> PreparingRebalance --all joined / rebalance timeout--> CompletingRebalance
//	CompletingRebalance --leader's SyncGroup--> Stable
//	Stable | CompletingRebalance --join with new metadata / leave / session expiry--> PreparingRebalance
//	PreparingRebalance --no member left--> Empty
//	Empty --DeleteGroups / all offsets expired--> Dead
//
// # Threading and lock order
//
// Every exported method is safe for concurrent use. Coordinator.mu guards the
// group map and the partition states; each Group has its own mu guarding all
// of its fields. Lock order: Coordinator.mu, then Group.mu; code holding a
// Group.mu never takes Coordinator.mu (a group that turns Dead is removed
// from the map after its lock is released). Log.Append is called with the
// group's lock held, so one group's records are written in the order of its
// state changes; other groups are not blocked.
//
// Join and Sync may block until the rebalance completes; the caller's
// goroutine waits on a buffered channel the state machine fills, so there is
// no goroutine per member. Timers (session, rebalance, initial delay, pending
// member) are Clock.AfterFunc callbacks that take the group lock and check a
// sequence number, so a timer that fires after being replaced does nothing.
// Close stops timers, fails waiters with ErrNotCoordinator and waits for the
// loader and expiry goroutines and any running timer callback.
//
// The package never imports kmsg or kerr: the handler converts requests and
// maps the sentinel errors below to Kafka codes.
package group
