package partition

import "errors"

// Errors returned by this package; package handler maps them to Kafka codes.
var (
	ErrNotLeader            = errors.New("partition: not the leader")
	ErrUnknownPartition     = errors.New("partition: unknown partition")
	ErrOutOfOrderSequence   = errors.New("partition: out of order sequence number")
	ErrInvalidProducerEpoch = errors.New("partition: invalid producer epoch")
	// ErrCoordinatorFenced is a transaction marker from an older
	// transaction coordinator than one already seen for the producer.
	ErrCoordinatorFenced  = errors.New("partition: transaction coordinator fenced")
	ErrFencedLeaderEpoch  = errors.New("partition: fenced leader epoch")
	ErrUnknownLeaderEpoch = errors.New("partition: unknown leader epoch")
	ErrClosed             = errors.New("partition: closed")

	ErrNotFollower                  = errors.New("partition: not a follower")
	ErrFollowerAhead                = errors.New("partition: follower fetch offset beyond the log end")
	ErrNotEnoughReplicas            = errors.New("partition: not enough in-sync replicas")
	ErrNotEnoughReplicasAfterAppend = errors.New("partition: not enough in-sync replicas after append")
)
