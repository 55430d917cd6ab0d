// Package txnstate encodes and decodes what transactions leave in logs, in
// exactly Kafka's formats: the records of the internal __transaction_state
// topic (kmsg's TxnMetadataKey/Value schemas, key version 0 with the
// transactional id) and the control batches (commit and abort markers)
// written to data partitions when a transaction ends.
//
// The package imports nothing of Samsa's but protocol/records.
package txnstate

import (
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/protocol/records"
)

// ErrUnknownKey is returned for a key version this package does not know.
var ErrUnknownKey = errors.New("txnstate: unknown key version")

// State is a transaction's state as stored (Kafka's TransactionState).
type State int8

// The states, numbered as Kafka stores them.
const (
	Empty State = iota
	Ongoing
	PrepareCommit
	PrepareAbort
	CompleteCommit
	CompleteAbort
	Dead
	PrepareEpochFence
)

var stateNames = [...]string{"Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit",
	"CompleteAbort", "Dead", "PrepareEpochFence"}

func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", int8(s))
}

// TopicPartitions is one topic's partitions in a transaction.
type TopicPartitions struct {
	Topic      string
	Partitions []int32
}

// Value is one transactional id's metadata.
type Value struct {
	ProducerID    int64
	ProducerEpoch int16
	TimeoutMs     int32
	State         State
	Topics        []TopicPartitions
	LastUpdateMs  int64
	StartMs       int64
}

// Key encodes the key of a transactional id's record (version 0).
func Key(transactionalID string) []byte {
	k := kmsg.NewTxnMetadataKey()
	k.TransactionalID = transactionalID
	return k.AppendTo(nil)
}

// DecodeKey returns the transactional id of a key.
func DecodeKey(b []byte) (string, error) {
	k := kmsg.NewTxnMetadataKey()
	if err := k.ReadFrom(b); err != nil {
		return "", fmt.Errorf("txnstate: decode key: %w", err)
	}
	if k.Version != 0 {
		return "", fmt.Errorf("%w %d", ErrUnknownKey, k.Version)
	}
	return k.TransactionalID, nil
}

// Encode encodes a value (version 0, as Kafka writes without KIP-890).
func Encode(v Value) []byte {
	m := kmsg.NewTxnMetadataValue()
	m.ProducerID, m.ProducerEpoch, m.TimeoutMillis = v.ProducerID, v.ProducerEpoch, v.TimeoutMs
	m.State = kmsg.TransactionState(v.State)
	m.LastUpdateTimestamp, m.StartTimestamp = v.LastUpdateMs, v.StartMs
	for _, t := range v.Topics {
		mt := kmsg.NewTxnMetadataValueTopic()
		mt.Topic, mt.Partitions = t.Topic, t.Partitions
		m.Topics = append(m.Topics, mt)
	}
	return m.AppendTo(nil)
}

// Decode decodes a value of any version kmsg knows.
func Decode(b []byte) (Value, error) {
	m := kmsg.NewTxnMetadataValue()
	if err := m.ReadFrom(b); err != nil {
		return Value{}, fmt.Errorf("txnstate: decode value: %w", err)
	}
	v := Value{ProducerID: m.ProducerID, ProducerEpoch: m.ProducerEpoch, TimeoutMs: m.TimeoutMillis,
		State: State(m.State), LastUpdateMs: m.LastUpdateTimestamp, StartMs: m.StartTimestamp}
	for _, t := range m.Topics {
		v.Topics = append(v.Topics, TopicPartitions{Topic: t.Topic, Partitions: t.Partitions})
	}
	return v, nil
}

// MarkerBatch builds a control batch ending producerID's transaction:
// transactional and control attributes, sequence -1, one record whose key
// is the control type (commit or abort) and whose value is the
// coordinator epoch.
func MarkerBatch(producerID int64, epoch int16, commit bool, coordinatorEpoch int32, nowMs int64) ([]byte, error) {
	k := kmsg.NewControlRecordKey()
	k.Type = kmsg.ControlRecordKeyTypeAbort
	if commit {
		k.Type = kmsg.ControlRecordKeyTypeCommit
	}
	v := kmsg.NewEndTxnMarker()
	v.CoordinatorEpoch = coordinatorEpoch
	h := records.Header{Attributes: attrTransactional | attrControl, ProducerID: producerID, ProducerEpoch: epoch,
		BaseSequence: -1, BaseTimestamp: nowMs, PartitionLeaderEpoch: -1}
	return records.AppendBatch(nil, h, []records.Record{{Key: k.AppendTo(nil), Value: v.AppendTo(nil)}}, records.None)
}

const (
	attrTransactional = 0x10
	attrControl       = 0x20
)

// MarkerType reads a control batch's marker: commit true for a commit,
// false for an abort. ok is false for other control records (or garbage).
func MarkerType(batch []byte) (commit, ok bool) {
	m, ok := ReadMarker(batch)
	return m.Commit, ok
}

// Marker is a transaction marker's content.
type Marker struct {
	Commit           bool
	CoordinatorEpoch int32 // -1 when the value cannot be read
}

// ReadMarker reads a control batch's commit or abort marker; ok is false
// for other control records (or garbage).
func ReadMarker(batch []byte) (m Marker, ok bool) {
	recs, err := records.Records(batch)
	if err != nil || len(recs) == 0 {
		return Marker{}, false
	}
	k := kmsg.NewControlRecordKey()
	if err := k.ReadFrom(recs[0].Key); err != nil {
		return Marker{}, false
	}
	switch k.Type {
	case kmsg.ControlRecordKeyTypeCommit:
		m.Commit = true
	case kmsg.ControlRecordKeyTypeAbort:
	default:
		return Marker{}, false
	}
	m.CoordinatorEpoch = -1
	v := kmsg.NewEndTxnMarker()
	if err := v.ReadFrom(recs[0].Value); err == nil {
		m.CoordinatorEpoch = v.CoordinatorEpoch
	}
	return m, true
}
