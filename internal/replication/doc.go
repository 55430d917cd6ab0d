// Package replication copies partitions from their leaders to this node:
// one fetcher goroutine per source broker (Kafka's ReplicaFetcherThread)
// fetches every partition this node follows from that broker with the
// Fetch API carrying this node's replica id, appends what it gets with the
// leader's offsets and epochs, and adopts the leader's high watermark.
// Before fetching from a new leader (or a new leader epoch) a partition is
// truncated by leader epoch with OffsetForLeaderEpoch, never by the high
// watermark alone. The Manager adds and removes partitions as the metadata
// image changes. The fetchers' connections are interbroker.Clients.
package replication
