package config

import (
	"strconv"
	"strings"
)

const maxInt64Text = "9223372036854775807"

// topicDefs is sorted by name (a test keeps it so).
var topicDefs = []TopicConfigDef{
	{Name: "cleanup.policy", Type: List, BrokerKey: "log.cleanup.policy",
		Doc:   `"delete" removes old segments by retention; "compact" keeps the latest record per key.`,
		check: checkCleanup, fromBroker: func(b *Broker) string { return b.LogCleanupPolicy }},
	{Name: "compression.type", Type: String, BrokerKey: "compression.type",
		Doc:   `Codec of stored batches; "producer" keeps the producer's codec.`,
		check: checkOneOf(compressionTypes...), fromBroker: func(b *Broker) string { return b.CompressionType }},
	{Name: "delete.retention.ms", Type: Long, BrokerKey: "log.cleaner.delete.retention.ms",
		Doc:   "How long tombstones are kept on compacted topics.",
		check: checkLong(0), kafkaValue: "86400000"},
	{Name: "file.delete.delay.ms", Type: Long, BrokerKey: "log.segment.delete.delay.ms",
		Doc:   "Delay before a deleted segment's files are removed.",
		check: checkLong(0), fromBroker: func(b *Broker) string { return itoa(b.LogSegmentDeleteDelayMs) }},
	{Name: "flush.messages", Type: Long, BrokerKey: "log.flush.interval.messages",
		Doc:   "Fsync after this many messages.",
		check: checkLong(1), fromBroker: func(b *Broker) string { return itoa(b.LogFlushIntervalMessages) }},
	{Name: "flush.ms", Type: Long, BrokerKey: "log.flush.interval.ms",
		Doc:   "Fsync after this much time.",
		check: checkLong(0), fromBroker: func(b *Broker) string { return itoa(b.flushMs()) }},
	{Name: "follower.replication.throttled.replicas", Type: List,
		Doc: "Replicas throttled on the follower side (accepted, not enforced).", check: checkThrottled},
	{Name: "index.interval.bytes", Type: Int, BrokerKey: "log.index.interval.bytes",
		Doc:   "Bytes between offset-index entries.",
		check: checkInt(0), fromBroker: func(b *Broker) string { return itoa(b.LogIndexIntervalBytes) }},
	{Name: "leader.replication.throttled.replicas", Type: List,
		Doc: "Replicas throttled on the leader side (accepted, not enforced).", check: checkThrottled},
	{Name: "local.retention.bytes", Type: Long, BrokerKey: "log.local.retention.bytes",
		Doc: "Tiered storage local retention (accepted, not used).", check: checkLong(-2), kafkaValue: "-2"},
	{Name: "local.retention.ms", Type: Long, BrokerKey: "log.local.retention.ms",
		Doc: "Tiered storage local retention (accepted, not used).", check: checkLong(-2), kafkaValue: "-2"},
	{Name: "max.compaction.lag.ms", Type: Long, BrokerKey: "log.cleaner.max.compaction.lag.ms",
		Doc: "Longest time a record stays uncompacted.", check: checkLong(1), kafkaValue: maxInt64Text},
	{Name: "max.message.bytes", Type: Int, BrokerKey: "message.max.bytes",
		Doc:   "Largest record batch the topic accepts.",
		check: checkInt(0), fromBroker: func(b *Broker) string { return itoa(b.MessageMaxBytes) }},
	{Name: "message.downconversion.enable", Type: Boolean, BrokerKey: "log.message.downconversion.enable",
		Doc: "Down-convert for old consumers (accepted, not used).", check: checkBool, kafkaValue: "true"},
	{Name: "message.format.version", Type: String, BrokerKey: "log.message.format.version",
		Doc: "Deprecated; accepted and ignored.", check: checkAny, kafkaValue: "3.0-IV1"},
	{Name: "message.timestamp.after.max.ms", Type: Long, BrokerKey: "log.message.timestamp.after.max.ms",
		Doc: "Largest allowed lead of a record timestamp over the broker clock.", check: checkLong(0), kafkaValue: maxInt64Text},
	{Name: "message.timestamp.before.max.ms", Type: Long, BrokerKey: "log.message.timestamp.before.max.ms",
		Doc: "Largest allowed lag of a record timestamp behind the broker clock.", check: checkLong(0), kafkaValue: maxInt64Text},
	{Name: "message.timestamp.difference.max.ms", Type: Long, BrokerKey: "log.message.timestamp.difference.max.ms",
		Doc: "Largest allowed difference between a record timestamp and the broker clock.", check: checkLong(0), kafkaValue: maxInt64Text},
	{Name: "message.timestamp.type", Type: String, BrokerKey: "log.message.timestamp.type",
		Doc:   `"CreateTime" keeps the producer's timestamp; "LogAppendTime" stamps the broker's.`,
		check: checkOneOf(timestampTypes...), fromBroker: func(b *Broker) string { return b.LogMessageTimestampType }},
	{Name: "min.cleanable.dirty.ratio", Type: Double, BrokerKey: "log.cleaner.min.cleanable.ratio",
		Doc: "Dirty ratio that makes a log eligible for compaction.", check: checkRatio, kafkaValue: "0.5"},
	{Name: "min.compaction.lag.ms", Type: Long, BrokerKey: "log.cleaner.min.compaction.lag.ms",
		Doc: "Shortest time a record stays uncompacted.", check: checkLong(0), kafkaValue: "0"},
	{Name: "min.insync.replicas", Type: Int, BrokerKey: "min.insync.replicas",
		Doc:   "Replicas that must be in sync for acks=all to succeed.",
		check: checkInt(1), fromBroker: func(b *Broker) string { return itoa(b.MinInsyncReplicas) }},
	{Name: "preallocate", Type: Boolean, BrokerKey: "log.preallocate",
		Doc: "Preallocate segment files.", check: checkBool, kafkaValue: "false"},
	{Name: "remote.storage.enable", Type: Boolean,
		Doc: "Tiered storage (accepted, not supported).", check: checkBool, kafkaValue: "false"},
	{Name: "retention.bytes", Type: Long, BrokerKey: "log.retention.bytes",
		Doc:   "Largest partition size before old segments are deleted; -1 = unlimited.",
		check: checkLong(-1), fromBroker: func(b *Broker) string { return itoa(b.LogRetentionBytes) }},
	{Name: "retention.ms", Type: Long, BrokerKey: "log.retention.ms",
		Doc:   "Age after which segments are deleted; -1 = unlimited.",
		check: checkLong(-1), fromBroker: func(b *Broker) string { return itoa(b.LogRetentionMs) }},
	{Name: "segment.bytes", Type: Int, BrokerKey: "log.segment.bytes",
		Doc:   "Size at which a segment is rolled.",
		check: checkInt(14), fromBroker: func(b *Broker) string { return itoa(b.LogSegmentBytes) }},
	{Name: "segment.index.bytes", Type: Int, BrokerKey: "log.index.size.max.bytes",
		Doc: "Largest size of a segment's offset index.", check: checkInt(4), kafkaValue: "10485760"},
	{Name: "segment.jitter.ms", Type: Long, BrokerKey: "log.roll.jitter.ms",
		Doc: "Random jitter subtracted from segment.ms.", check: checkLong(0), kafkaValue: "0"},
	{Name: "segment.ms", Type: Long, BrokerKey: "log.roll.ms",
		Doc:   "Age at which a segment is rolled.",
		check: checkLong(1), fromBroker: func(b *Broker) string { return itoa(b.LogRollMs) }},
	{Name: "unclean.leader.election.enable", Type: Boolean, BrokerKey: "unclean.leader.election.enable",
		Doc: "Allow an out-of-sync replica to become leader (may lose data).", check: checkBool, kafkaValue: "false"},
}

func checkLong(lo int64) func(string) string {
	return func(v string) string {
		n, bad := parseInt(v, 64)
		if bad != "" {
			return bad
		}
		return atLeast(n, lo)
	}
}

func checkInt(lo int64) func(string) string {
	return func(v string) string {
		n, bad := parseInt(v, 32)
		if bad != "" {
			return bad
		}
		return atLeast(n, lo)
	}
}

func checkBool(v string) string {
	_, bad := parseBool(v)
	return bad
}

func checkAny(string) string { return "" }

func checkOneOf(allowed ...string) func(string) string {
	return func(v string) string { return oneOf(strings.TrimSpace(v), allowed...) }
}

func checkCleanup(v string) string {
	_, bad := normalizeCleanupPolicy(v)
	return bad
}

func checkRatio(v string) string {
	f, bad := parseDouble(v)
	if bad == "" && (f < 0 || f > 1) {
		bad = "must be between 0 and 1"
	}
	return bad
}

// checkThrottled accepts "", "*" or a list of partition:broker pairs.
func checkThrottled(v string) string {
	const allowed = `must be "*" or a list of partition:broker, e.g. "0:1,1:2"`
	items := splitList(v)
	if len(items) == 1 && items[0] == "*" {
		return ""
	}
	for _, it := range items {
		p, b, ok := strings.Cut(it, ":")
		_, errP := strconv.ParseUint(strings.TrimSpace(p), 10, 31)
		_, errB := strconv.ParseUint(strings.TrimSpace(b), 10, 31)
		if !ok || errP != nil || errB != nil {
			return allowed
		}
	}
	return ""
}
