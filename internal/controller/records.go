package controller

import (
	"encoding/json"
	"fmt"

	"github.com/samsa-io/samsa/internal/metadata"
)

// RecordType identifies a metadata record. Values are part of the on-disk
// log format: never renumber or reuse one.
type RecordType uint8

// Record types.
const (
	RecordRegisterBroker   RecordType = 1
	RecordFenceBroker      RecordType = 2
	RecordUnfenceBroker    RecordType = 3
	RecordCreateTopic      RecordType = 4
	RecordRemoveTopic      RecordType = 5
	RecordCreatePartitions RecordType = 6
	RecordConfigChange     RecordType = 7
	RecordPartitionChange  RecordType = 8
	RecordClusterID        RecordType = 9
	RecordCreateACLs       RecordType = 10 // ACLsRecord (acl.go)
	RecordRemoveACLs       RecordType = 11 // ACLsRecord (acl.go)
	RecordQuotas           RecordType = 12 // QuotasRecord (quota.go)
	RecordScram            RecordType = 13 // ScramRecord (scram.go)
	RecordBrokerConfig     RecordType = 14 // BrokerConfigRecord (broker_configs.go)
	RecordUnregisterBroker RecordType = 15 // UnregisterBrokerRecord (unregister.go)
)

// Record payloads. Each is JSON-encoded after the two header bytes.
type (
	// RegisterBrokerRecord inserts or replaces a broker registration.
	RegisterBrokerRecord struct {
		Broker metadata.Broker `json:"broker"`
	}
	// FenceBrokerRecord fences (or, as UnfenceBroker, unfences) a broker.
	FenceBrokerRecord struct {
		ID int32 `json:"id"`
	}
	// CreateTopicRecord creates a topic with all its partitions.
	CreateTopicRecord struct {
		Name       string            `json:"name"`
		ID         [16]byte          `json:"id"`
		Partitions []PartitionAssign `json:"partitions"`
		Configs    map[string]string `json:"configs,omitempty"`
	}
	// PartitionAssign is the replica list of one new partition; the first
	// replica becomes leader and all replicas form the ISR.
	PartitionAssign struct {
		Index    int32   `json:"index"`
		Replicas []int32 `json:"replicas"`
	}
	// RemoveTopicRecord deletes a topic.
	RemoveTopicRecord struct {
		ID   [16]byte `json:"id"`
		Name string   `json:"name"`
	}
	// CreatePartitionsRecord appends partitions to a topic.
	CreatePartitionsRecord struct {
		TopicID    [16]byte          `json:"topic_id"`
		Partitions []PartitionAssign `json:"partitions"`
	}
	// ConfigChangeRecord sets and deletes topic config overrides. With
	// ReplaceAll every override not in Set is removed.
	ConfigChangeRecord struct {
		Topic      string            `json:"topic"`
		Set        map[string]string `json:"set,omitempty"`
		Delete     []string          `json:"delete,omitempty"`
		ReplaceAll bool              `json:"replace_all,omitempty"`
	}
	// PartitionChangeRecord changes a partition's leader, ISR or replicas.
	// Nil fields stay as they are. A leader change bumps the leader epoch;
	// every change bumps the partition epoch.
	PartitionChangeRecord struct {
		TopicID   [16]byte `json:"topic_id"`
		Partition int32    `json:"partition"`
		Leader    *int32   `json:"leader,omitempty"`
		ISR       []int32  `json:"isr,omitempty"`
		Replicas  []int32  `json:"replicas,omitempty"`
		// Reassignment, when set, replaces the partition's adding and
		// removing replicas; an empty one ends the reassignment. Older
		// logs lack the field, which leaves them as they are.
		Reassignment *ReassignmentState `json:"reassignment,omitempty"`
		// EmptyISR sets the ISR to empty, which eligible leader replicas
		// (KIP-966) allow and which a nil ISR cannot say.
		EmptyISR bool `json:"empty_isr,omitempty"`
		// ELR and LastKnownELR, when set, replace the partition's eligible
		// leader replicas and last known ELR (an empty list clears them).
		// Older logs lack them, which leaves both as they are.
		ELR          *[]int32 `json:"elr,omitempty"`
		LastKnownELR *[]int32 `json:"last_known_elr,omitempty"`
	}
	// ReassignmentState is a reassignment in progress (KIP-455).
	ReassignmentState struct {
		Adding   []int32 `json:"adding,omitempty"`
		Removing []int32 `json:"removing,omitempty"`
	}
	// ClusterIDRecord sets the cluster ID once; later ones are ignored.
	ClusterIDRecord struct {
		ClusterID string `json:"cluster_id"`
	}
)

// applyFunc applies a decoded payload to next, a private clone of the
// current image. A returned error rejects the record deterministically
// (every node rejects it the same way) and leaves the image unchanged.
type applyFunc func(next *metadata.Image, payload []byte) error

// handler is one registered record type at one version.
type handler struct {
	name  string
	apply applyFunc
}

type recordKey struct {
	typ     RecordType
	version uint8
}

// handlers is the one place where record types are registered. To change
// a payload incompatibly, add a new version and keep the old one.
var handlers = map[recordKey]handler{
	{RecordRegisterBroker, 1}:   {"RegisterBroker", decoded(applyRegisterBroker)},
	{RecordFenceBroker, 1}:      {"FenceBroker", decoded(applyFence(true))},
	{RecordUnfenceBroker, 1}:    {"UnfenceBroker", decoded(applyFence(false))},
	{RecordCreateTopic, 1}:      {"CreateTopic", decoded(applyCreateTopic)},
	{RecordRemoveTopic, 1}:      {"RemoveTopic", decoded(applyRemoveTopic)},
	{RecordCreatePartitions, 1}: {"CreatePartitions", decoded(applyCreatePartitions)},
	{RecordConfigChange, 1}:     {"ConfigChange", decoded(applyConfigChange)},
	{RecordPartitionChange, 1}:  {"PartitionChange", decoded(applyPartitionChange)},
	{RecordClusterID, 1}:        {"ClusterID", decoded(applyClusterID)},
	{RecordCreateACLs, 1}:       {"CreateACLs", decoded(applyCreateACLs)},
	{RecordRemoveACLs, 1}:       {"RemoveACLs", decoded(applyRemoveACLs)},
	{RecordQuotas, 1}:           {"Quotas", decoded(applyQuotas)},
	{RecordScram, 1}:            {"Scram", decoded(applyScram)},
	{RecordBrokerConfig, 1}:     {"BrokerConfig", decoded(applyBrokerConfig)},
	{RecordUnregisterBroker, 1}: {"UnregisterBroker", decoded(applyUnregisterBroker)},
}

// recordVersions gives the version that encodeRecord writes for each type.
var recordVersions = map[RecordType]uint8{
	RecordRegisterBroker: 1, RecordFenceBroker: 1, RecordUnfenceBroker: 1,
	RecordCreateTopic: 1, RecordRemoveTopic: 1, RecordCreatePartitions: 1,
	RecordConfigChange: 1, RecordPartitionChange: 1, RecordClusterID: 1,
	RecordCreateACLs: 1, RecordRemoveACLs: 1, RecordQuotas: 1,
	RecordScram: 1, RecordBrokerConfig: 1, RecordUnregisterBroker: 1,
}

// decodeError marks a payload that does not parse: fatal, like an unknown
// type, because applying nothing where others applied something diverges.
type decodeError struct{ err error }

func (e *decodeError) Error() string { return "decode record payload: " + e.err.Error() }
func (e *decodeError) Unwrap() error { return e.err }

// decoded adapts a typed apply function to applyFunc.
func decoded[T any](fn func(*metadata.Image, *T) error) applyFunc {
	return func(next *metadata.Image, payload []byte) error {
		var rec T
		if err := json.Unmarshal(payload, &rec); err != nil {
			return &decodeError{err}
		}
		return fn(next, &rec)
	}
}

// encodeRecord returns the log entry for a record of type typ.
func encodeRecord(typ RecordType, payload any) ([]byte, error) {
	version, ok := recordVersions[typ]
	if !ok {
		return nil, fmt.Errorf("encode record type %d: %w", typ, ErrUnknownRecord)
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encode record type %d: %w", typ, err)
	}
	return append([]byte{byte(typ), version}, body...), nil
}

// lookupHandler splits a log entry into its handler and payload.
func lookupHandler(data []byte) (handler, []byte, error) {
	if len(data) < 2 {
		return handler{}, nil, fmt.Errorf("%w: entry of %d bytes", ErrUnknownRecord, len(data))
	}
	h, ok := handlers[recordKey{RecordType(data[0]), data[1]}]
	if !ok {
		return handler{}, nil, fmt.Errorf("%w: type %d version %d", ErrUnknownRecord, data[0], data[1])
	}
	return h, data[2:], nil
}
