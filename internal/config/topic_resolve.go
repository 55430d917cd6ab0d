package config

import (
	"errors"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// TopicConfig is a topic's effective configuration: broker defaults overlaid
// with the topic's overrides. FlushMs is math.MaxInt64 when time-based
// flushing is off; RetentionMs and RetentionBytes are -1 when unlimited.
type TopicConfig struct {
	CleanupPolicy        string // "delete", "compact" or "compact,delete"
	CompressionType      string
	DeleteRetentionMs    int64
	FileDeleteDelayMs    int64
	FlushMessages        int64
	FlushMs              int64
	IndexIntervalBytes   int32
	MaxCompactionLagMs   int64
	MaxMessageBytes      int32
	MessageTimestampType string
	MinCleanableRatio    float64 // min.cleanable.dirty.ratio
	MinCompactionLagMs   int64
	MinInsyncReplicas    int16
	RetentionBytes       int64
	RetentionMs          int64
	SegmentBytes         int64
	SegmentMs            int64
}

// ResolveTopicConfig overlays a topic's overrides on the broker defaults. It
// checks every override and returns all problems joined (unknown names wrap
// ErrUnknownTopicConfig, bad values ErrInvalidConfigValue).
func (b *Broker) ResolveTopicConfig(overrides map[string]string) (TopicConfig, error) {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(overrides)) {
		errs = append(errs, ValidateTopicConfig(name, overrides[name]))
	}
	if err := errors.Join(errs...); err != nil {
		return TopicConfig{}, err
	}
	get := func(name string) string {
		if v, ok := overrides[name]; ok {
			return strings.TrimSpace(v)
		}
		return b.TopicDefault(name)
	}
	num := func(name string) int64 {
		n, _ := strconv.ParseInt(get(name), 10, 64) // checked above or a typed default
		return n
	}
	policy, _ := normalizeCleanupPolicy(get("cleanup.policy"))
	ratio, _ := strconv.ParseFloat(get("min.cleanable.dirty.ratio"), 64) // checked above or a typed default
	return TopicConfig{
		CleanupPolicy:        policy,
		CompressionType:      get("compression.type"),
		DeleteRetentionMs:    num("delete.retention.ms"),
		FileDeleteDelayMs:    num("file.delete.delay.ms"),
		FlushMessages:        num("flush.messages"),
		FlushMs:              num("flush.ms"),
		IndexIntervalBytes:   int32(num("index.interval.bytes")),
		MaxCompactionLagMs:   num("max.compaction.lag.ms"),
		MaxMessageBytes:      int32(num("max.message.bytes")),
		MessageTimestampType: get("message.timestamp.type"),
		MinCleanableRatio:    ratio,
		MinCompactionLagMs:   num("min.compaction.lag.ms"),
		MinInsyncReplicas:    int16(min(num("min.insync.replicas"), math.MaxInt16)),
		RetentionBytes:       num("retention.bytes"),
		RetentionMs:          num("retention.ms"),
		SegmentBytes:         num("segment.bytes"),
		SegmentMs:            num("segment.ms"),
	}, nil
}
