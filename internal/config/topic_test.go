package config

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestTopicConfigDefsTable(t *testing.T) {
	defs := TopicConfigDefs()
	if !slices.IsSortedFunc(defs, func(a, b TopicConfigDef) int { return strings.Compare(a.Name, b.Name) }) {
		t.Fatal("TopicConfigDefs not sorted by name")
	}
	required := []string{"cleanup.policy", "compression.type", "delete.retention.ms", "file.delete.delay.ms",
		"flush.messages", "flush.ms", "index.interval.bytes", "max.message.bytes", "message.timestamp.type",
		"min.insync.replicas", "retention.bytes", "retention.ms", "segment.bytes", "segment.ms",
		"segment.index.bytes", "unclean.leader.election.enable", "message.timestamp.difference.max.ms",
		"min.compaction.lag.ms", "max.compaction.lag.ms", "min.cleanable.dirty.ratio", "preallocate",
		"segment.jitter.ms", "local.retention.ms", "local.retention.bytes"}
	for _, name := range required {
		if _, ok := LookupTopicConfig(name); !ok {
			t.Errorf("LookupTopicConfig(%q) missing", name)
		}
	}
	b := Default()
	for i, d := range defs {
		if i > 0 && defs[i-1].Name == d.Name {
			t.Errorf("%s listed twice", d.Name)
		}
		if d.Type < Boolean || d.Type > Password || d.Doc == "" {
			t.Errorf("%s: type %d doc %q", d.Name, d.Type, d.Doc)
		}
		// Every default must pass its own validation.
		if err := ValidateTopicConfig(d.Name, b.TopicDefault(d.Name)); err != nil {
			t.Errorf("default of %s: %v", d.Name, err)
		}
	}
	if _, ok := LookupTopicConfig("no.such"); ok {
		t.Error("LookupTopicConfig(no.such) found")
	}
	defs[0].Name = "changed"
	if TopicConfigDefs()[0].Name == "changed" {
		t.Error("TopicConfigDefs shares its backing array")
	}
}

func TestValidateTopicConfig(t *testing.T) {
	valid := [][2]string{
		{"cleanup.policy", "compact,delete"}, {"cleanup.policy", "delete, compact"}, {"cleanup.policy", "compact"},
		{"retention.ms", "-1"}, {"retention.bytes", "-1"}, {"segment.bytes", "14"}, {"max.message.bytes", "0"},
		{"compression.type", "zstd"}, {"message.timestamp.type", "LogAppendTime"}, {"preallocate", "TRUE"},
		{"min.cleanable.dirty.ratio", "0.9"}, {"local.retention.ms", "-2"}, {"min.insync.replicas", "2"},
		{"leader.replication.throttled.replicas", "*"}, {"follower.replication.throttled.replicas", "0:1,1:2"},
	}
	for _, kv := range valid {
		if err := ValidateTopicConfig(kv[0], kv[1]); err != nil {
			t.Errorf("ValidateTopicConfig(%s, %s) = %v", kv[0], kv[1], err)
		}
	}
	invalid := [][2]string{
		{"segment.bytes", "13"}, {"segment.bytes", "2147483648"}, {"retention.ms", "-2"}, {"retention.ms", "1h"},
		{"max.message.bytes", "-1"}, {"cleanup.policy", "archive"}, {"cleanup.policy", ""},
		{"compression.type", "brotli"}, {"message.timestamp.type", "Now"}, {"min.insync.replicas", "0"},
		{"min.cleanable.dirty.ratio", "1.5"}, {"min.cleanable.dirty.ratio", "NaN"}, {"preallocate", "maybe"},
		{"segment.ms", "0"}, {"flush.messages", "0"}, {"follower.replication.throttled.replicas", "x"},
	}
	for _, kv := range invalid {
		err := ValidateTopicConfig(kv[0], kv[1])
		var ve *ValueError
		if !errors.As(err, &ve) || ve.Key != kv[0] || ve.Value != kv[1] || ve.Allowed == "" {
			t.Errorf("ValidateTopicConfig(%s, %q) = %v, want a ValueError naming it", kv[0], kv[1], err)
			continue
		}
		want := kv[0] + ": invalid value " + strconv.Quote(kv[1]) + ": "
		if !errors.Is(err, ErrInvalidConfigValue) || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error %q, want prefix %q", err, want)
		}
	}
	err := ValidateTopicConfig("retention.hours", "1")
	if !errors.Is(err, ErrUnknownTopicConfig) || !strings.Contains(err.Error(), "retention.hours") {
		t.Errorf("unknown config error = %v", err)
	}
}

func TestTopicDefault(t *testing.T) {
	b := mustParse(t, "log.retention.hours=1\nlog.cleaner.delete.retention.ms=1000\nlog.cleanup.policy=delete,compact\n"+
		"log.flush.interval.ms=500\nunclean.leader.election.enable=true\nmessage.max.bytes=2000000")
	tests := map[string]string{
		"retention.ms": "3600000", "delete.retention.ms": "1000", "cleanup.policy": "compact,delete",
		"flush.ms": "500", "unclean.leader.election.enable": "true", "max.message.bytes": "2000000",
		"segment.bytes": "1073741824", "min.cleanable.dirty.ratio": "0.5", "no.such": "",
	}
	for name, want := range tests {
		if got := b.TopicDefault(name); got != want {
			t.Errorf("TopicDefault(%s) = %q, want %q", name, got, want)
		}
	}
	if got := Default().TopicDefault("flush.ms"); got != strconv.FormatInt(math.MaxInt64, 10) {
		t.Errorf("default flush.ms = %s", got)
	}
	if !b.IsSet("log.retention.hours") || b.IsSet("log.retention.ms") {
		t.Error("IsSet wrong")
	}
	_, ignored, _ := Parse([]byte("log.cleaner.delete.retention.ms=1000\nlog.cleaner.io.buffer.size=2"), "t", nil)
	if !slices.Equal(ignored, []string{"log.cleaner.io.buffer.size"}) {
		t.Errorf("ignored = %q", ignored)
	}
}

func TestResolveTopicConfig(t *testing.T) {
	b := mustParse(t, "log.retention.ms=5000\nlog.segment.bytes=1048576\nmin.insync.replicas=2")
	tc, err := b.ResolveTopicConfig(map[string]string{
		"retention.ms": "1000", "cleanup.policy": "delete,compact", "compression.type": " lz4 ", "flush.messages": "10",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := TopicConfig{
		CleanupPolicy: "compact,delete", CompressionType: "lz4", DeleteRetentionMs: 86400000,
		FileDeleteDelayMs: 60000, FlushMessages: 10, FlushMs: math.MaxInt64, IndexIntervalBytes: 4096,
		MaxMessageBytes: 1048588, MessageTimestampType: "CreateTime", MinInsyncReplicas: 2,
		MaxCompactionLagMs: math.MaxInt64, MinCleanableRatio: 0.5, MinCompactionLagMs: 0,
		RetentionBytes: -1, RetentionMs: 1000, SegmentBytes: 1048576, SegmentMs: 604800000,
	}
	if tc != want {
		t.Errorf("ResolveTopicConfig =\n%+v\nwant\n%+v", tc, want)
	}
	if tc, err = b.ResolveTopicConfig(nil); err != nil || tc.RetentionMs != 5000 || tc.CleanupPolicy != "delete" {
		t.Errorf("no overrides: %+v, %v", tc, err)
	}
	_, err = b.ResolveTopicConfig(map[string]string{"segment.bytes": "1", "bogus": "x", "retention.ms": "7"})
	if !errors.Is(err, ErrUnknownTopicConfig) || !errors.Is(err, ErrInvalidConfigValue) ||
		!strings.Contains(err.Error(), "segment.bytes") || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("bad overrides error = %v", err)
	}
}
