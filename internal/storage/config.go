package storage

import (
	"fmt"
	"math"
	"time"
)

// Config holds the per-log settings, named after Kafka's topic configs.
type Config struct {
	SegmentBytes          int64 // segment.bytes: roll when the active segment would exceed it
	SegmentMs             int64 // segment.ms: roll when the active segment is older
	IndexIntervalBytes    int32 // index.interval.bytes: bytes between sparse index entries
	RetentionMs           int64 // retention.ms; -1 keeps forever
	RetentionBytes        int64 // retention.bytes; -1 means unlimited
	FlushIntervalMessages int64 // flush.messages; math.MaxInt64 never forces fsync by count
	FlushIntervalMs       int64 // flush.ms; math.MaxInt64 never forces fsync by time
	FileDeleteDelayMs     int64 // file.delete.delay.ms: wait before removing a .deleted file
	Preallocate           bool  // preallocate: accepted for compatibility, not used on Linux

	// Compaction (see compact.go).
	CleanupPolicy          string  // cleanup.policy: "delete" (or ""), "compact" or "compact,delete"
	DeleteRetentionMs      int64   // delete.retention.ms: tombstone lifetime after its first cleaning
	MinCompactionLagMs     int64   // min.compaction.lag.ms: younger records are not compacted
	MaxCompactionLagMs     int64   // max.compaction.lag.ms: older dirty records force a cleaning; <= 0 never
	MinCleanableDirtyRatio float64 // min.cleanable.dirty.ratio: dirty/total bytes that make a log eligible
}

// DefaultConfig returns Kafka's defaults.
func DefaultConfig() Config {
	return Config{
		SegmentBytes:          1 << 30,
		SegmentMs:             7 * 24 * 3600 * 1000,
		IndexIntervalBytes:    4096,
		RetentionMs:           7 * 24 * 3600 * 1000,
		RetentionBytes:        -1,
		FlushIntervalMessages: math.MaxInt64,
		FlushIntervalMs:       math.MaxInt64,
		FileDeleteDelayMs:     60000,

		CleanupPolicy:          "delete",
		DeleteRetentionMs:      24 * 3600 * 1000,
		MaxCompactionLagMs:     math.MaxInt64,
		MinCleanableDirtyRatio: 0.5,
	}
}

// Validate reports the first setting out of bounds.
func (c Config) Validate() error {
	switch {
	case c.SegmentBytes < 14:
		return fmt.Errorf("segment.bytes %d: must be at least 14", c.SegmentBytes)
	case c.SegmentMs < 1:
		return fmt.Errorf("segment.ms %d: must be at least 1", c.SegmentMs)
	case c.IndexIntervalBytes < 0:
		return fmt.Errorf("index.interval.bytes %d: must not be negative", c.IndexIntervalBytes)
	case c.RetentionMs < -1:
		return fmt.Errorf("retention.ms %d: must be -1 or more", c.RetentionMs)
	case c.FlushIntervalMessages < 1:
		return fmt.Errorf("flush.messages %d: must be at least 1", c.FlushIntervalMessages)
	case c.FlushIntervalMs < 0:
		return fmt.Errorf("flush.ms %d: must not be negative", c.FlushIntervalMs)
	case c.FileDeleteDelayMs < 0:
		return fmt.Errorf("file.delete.delay.ms %d: must not be negative", c.FileDeleteDelayMs)
	case c.CleanupPolicy != "" && c.CleanupPolicy != "delete" && c.CleanupPolicy != "compact" &&
		c.CleanupPolicy != "compact,delete":
		return fmt.Errorf("cleanup.policy %q: must be delete, compact or compact,delete", c.CleanupPolicy)
	case c.DeleteRetentionMs < 0:
		return fmt.Errorf("delete.retention.ms %d: must not be negative", c.DeleteRetentionMs)
	case c.MinCompactionLagMs < 0:
		return fmt.Errorf("min.compaction.lag.ms %d: must not be negative", c.MinCompactionLagMs)
	case c.MinCleanableDirtyRatio < 0 || c.MinCleanableDirtyRatio > 1:
		return fmt.Errorf("min.cleanable.dirty.ratio %g: must be between 0 and 1", c.MinCleanableDirtyRatio)
	}
	return nil
}

// Compacted reports whether cleanup.policy includes compact.
func (c Config) Compacted() bool {
	return c.CleanupPolicy == "compact" || c.CleanupPolicy == "compact,delete"
}

// deletes reports whether cleanup.policy includes delete (the default).
func (c Config) deletes() bool { return c.CleanupPolicy != "compact" }

// flushInterval is the forced-flush period, or 0 for never.
func (c Config) flushInterval() time.Duration {
	if c.FlushIntervalMs >= math.MaxInt64/int64(time.Millisecond) {
		return 0
	}
	return max(time.Duration(c.FlushIntervalMs)*time.Millisecond, time.Millisecond)
}
