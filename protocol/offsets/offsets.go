// Package offsets encodes and decodes the records of Kafka's internal
// __consumer_offsets topic, so that Samsa's group coordinator stores them in
// exactly Kafka's on-disk format (kmsg's OffsetCommitKey/Value and
// GroupMetadataKey/Value schemas).
//
// Keys start with an int16 version: 0 and 1 are offset-commit keys
// (group, topic, partition), 2 is a group-metadata key (group). A record with
// a null value is a tombstone that deletes the key.
//
// The package imports nothing of Samsa's.
package offsets

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// ErrUnknownKey is returned for a key version this package does not know.
var ErrUnknownKey = errors.New("offsets: unknown key version")

// KeyKind says what a record key names.
type KeyKind int8

const (
	KindOffset KeyKind = iota + 1 // an offset commit (group, topic, partition)
	KindGroup                     // a group's metadata (group)
)

// Key is a decoded record key.
type Key struct {
	Kind      KeyKind
	Group     string
	Topic     string // KindOffset only
	Partition int32  // KindOffset only
}

// OffsetValue is a committed offset.
type OffsetValue struct {
	Offset          int64
	LeaderEpoch     int32
	Metadata        string
	CommitTimestamp int64
	ExpireTimestamp int64 // -1: none (only version 1 stores it)
}

// GroupValue is a group's metadata after a rebalance (or when it empties).
type GroupValue struct {
	ProtocolType          string
	Generation            int32
	Protocol              string // "" encodes as null
	Leader                string // "" encodes as null
	CurrentStateTimestamp int64
	Members               []MemberValue
}

// MemberValue is one member as stored in a GroupValue.
type MemberValue struct {
	MemberID           string
	InstanceID         string // "" encodes as null
	ClientID           string
	ClientHost         string
	RebalanceTimeoutMs int32
	SessionTimeoutMs   int32
	Subscription       []byte
	Assignment         []byte
}

// OffsetKey encodes the key of an offset commit (version 1, as Kafka writes).
func OffsetKey(group, topic string, partition int32) []byte {
	k := kmsg.NewOffsetCommitKey()
	k.Version, k.Group, k.Topic, k.Partition = 1, group, topic, partition
	return k.AppendTo(nil)
}

// GroupKey encodes the key of a group's metadata.
func GroupKey(group string) []byte {
	k := kmsg.NewGroupMetadataKey()
	k.Version, k.Group = 2, group
	return k.AppendTo(nil)
}

// DecodeKey decodes any __consumer_offsets key.
func DecodeKey(b []byte) (Key, error) {
	if len(b) < 2 {
		return Key{}, fmt.Errorf("offsets: key of %d bytes", len(b))
	}
	switch v := int16(binary.BigEndian.Uint16(b)); v {
	case 0, 1:
		k := kmsg.NewOffsetCommitKey()
		if err := k.ReadFrom(b); err != nil {
			return Key{}, fmt.Errorf("offsets: decode offset key: %w", err)
		}
		return Key{Kind: KindOffset, Group: k.Group, Topic: k.Topic, Partition: k.Partition}, nil
	case 2:
		k := kmsg.NewGroupMetadataKey()
		if err := k.ReadFrom(b); err != nil {
			return Key{}, fmt.Errorf("offsets: decode group key: %w", err)
		}
		return Key{Kind: KindGroup, Group: k.Group}, nil
	default:
		return Key{}, fmt.Errorf("%w %d", ErrUnknownKey, v)
	}
}

// EncodeOffset encodes an offset commit value: version 3 (leader epoch,
// no expire timestamp), or version 1 when an explicit expire time is set.
func EncodeOffset(o OffsetValue) []byte {
	v := kmsg.NewOffsetCommitValue()
	v.Version, v.Offset, v.LeaderEpoch = 3, o.Offset, o.LeaderEpoch
	v.Metadata, v.CommitTimestamp = o.Metadata, o.CommitTimestamp
	if o.ExpireTimestamp >= 0 {
		v.Version, v.ExpireTimestamp = 1, o.ExpireTimestamp
	}
	return v.AppendTo(nil)
}

// DecodeOffset decodes an offset commit value of any version.
func DecodeOffset(b []byte) (OffsetValue, error) {
	v := kmsg.NewOffsetCommitValue()
	if err := v.ReadFrom(b); err != nil {
		return OffsetValue{}, fmt.Errorf("offsets: decode offset value: %w", err)
	}
	o := OffsetValue{Offset: v.Offset, LeaderEpoch: -1, Metadata: v.Metadata,
		CommitTimestamp: v.CommitTimestamp, ExpireTimestamp: -1}
	if v.Version >= 3 {
		o.LeaderEpoch = v.LeaderEpoch
	}
	if v.Version == 1 {
		o.ExpireTimestamp = v.ExpireTimestamp
	}
	return o, nil
}

// EncodeGroup encodes a group metadata value (version 3: instance ids).
func EncodeGroup(g GroupValue) []byte {
	v := kmsg.NewGroupMetadataValue()
	v.Version, v.ProtocolType, v.Generation = 3, g.ProtocolType, g.Generation
	v.Protocol, v.Leader = nullable(g.Protocol), nullable(g.Leader)
	v.CurrentStateTimestamp = g.CurrentStateTimestamp
	for _, m := range g.Members {
		mv := kmsg.NewGroupMetadataValueMember()
		mv.MemberID, mv.InstanceID, mv.ClientID, mv.ClientHost = m.MemberID, nullable(m.InstanceID), m.ClientID, m.ClientHost
		mv.RebalanceTimeoutMillis, mv.SessionTimeoutMillis = m.RebalanceTimeoutMs, m.SessionTimeoutMs
		mv.Subscription, mv.Assignment = m.Subscription, m.Assignment
		v.Members = append(v.Members, mv)
	}
	return v.AppendTo(nil)
}

// DecodeGroup decodes a group metadata value of any version. The returned
// byte slices are copies.
func DecodeGroup(b []byte) (GroupValue, error) {
	v := kmsg.NewGroupMetadataValue()
	if err := v.ReadFrom(b); err != nil {
		return GroupValue{}, fmt.Errorf("offsets: decode group value: %w", err)
	}
	g := GroupValue{ProtocolType: v.ProtocolType, Generation: v.Generation, Protocol: deref(v.Protocol),
		Leader: deref(v.Leader), CurrentStateTimestamp: v.CurrentStateTimestamp}
	for _, mv := range v.Members {
		g.Members = append(g.Members, MemberValue{
			MemberID: mv.MemberID, InstanceID: deref(mv.InstanceID), ClientID: mv.ClientID,
			ClientHost: mv.ClientHost, RebalanceTimeoutMs: mv.RebalanceTimeoutMillis,
			SessionTimeoutMs: mv.SessionTimeoutMillis,
			Subscription:     append([]byte(nil), mv.Subscription...),
			Assignment:       append([]byte(nil), mv.Assignment...),
		})
	}
	return g, nil
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
