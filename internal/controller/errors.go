package controller

import "errors"

// Domain errors. Callers match them with errors.Is; the wrapped message
// carries the Kafka-style detail for the client.
var (
	ErrTopicExists              = errors.New("controller: topic already exists")
	ErrUnknownTopic             = errors.New("controller: unknown topic")
	ErrInvalidPartitions        = errors.New("controller: invalid partitions")
	ErrInvalidReplicationFactor = errors.New("controller: invalid replication factor")
	ErrInvalidReplicaAssignment = errors.New("controller: invalid replica assignment")
	ErrInvalidConfig            = errors.New("controller: invalid config")
	ErrNotController            = errors.New("controller: not the active controller")
	ErrUnknownBroker            = errors.New("controller: unknown broker")
	ErrStaleBrokerEpoch         = errors.New("controller: stale broker epoch")
	ErrUnknownRecord            = errors.New("controller: unknown metadata record")
	ErrClosed                   = errors.New("controller: closed")
	ErrNotLeader                = errors.New("controller: not the partition leader")
	ErrFencedLeaderEpoch        = errors.New("controller: fenced leader epoch")
	ErrInvalidUpdateVersion     = errors.New("controller: invalid partition epoch")
	ErrIneligibleReplica        = errors.New("controller: ineligible replica")
	ErrInvalidRequest           = errors.New("controller: invalid request")
)

// detailError is a domain error with a client-facing message and an
// optional underlying cause.
type detailError struct {
	kind  error
	msg   string
	cause error
}

func (e *detailError) Error() string { return e.msg }

func (e *detailError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

// domainErr returns an error matching kind whose message is msg.
func domainErr(kind error, msg string) error { return &detailError{kind: kind, msg: msg} }

// configErr reports an invalid topic config; it matches ErrInvalidConfig
// and cause, and its message is cause's.
func configErr(cause error) error {
	return &detailError{kind: ErrInvalidConfig, msg: cause.Error(), cause: cause}
}
