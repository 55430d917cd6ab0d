package cli

import (
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// This file maps Kafka's Java client property names (as given in
// --producer-property, --producer.config, --producer-props, and the consumer
// equivalents) to franz-go options. Properties Samsa's tools do not use are
// ignored, as the Java clients ignore unknown ones.

// defaultDeliveryTimeout is Kafka's delivery.timeout.ms default.
const defaultDeliveryTimeout = 2 * time.Minute

// deliveryTimeout is delivery.timeout.ms from props (validated by
// producerOpts), else Kafka's default.
func deliveryTimeout(props map[string]string) time.Duration {
	if v, ok, err := intProp(props, "delivery.timeout.ms"); ok && err == nil && v > 0 {
		return time.Duration(v) * time.Millisecond
	}
	return defaultDeliveryTimeout
}

// producerOpts maps Kafka producer properties to kgo options. Where kgo's
// defaults differ from Kafka's, Kafka's win: no compression unless
// compression.type asks for it (kgo prefers snappy), and a record that
// cannot be delivered fails after delivery.timeout.ms (120 s) instead of
// being retried forever (kgo has no delivery timeout by default), so a
// tool reports NOT_ENOUGH_REPLICAS and the like rather than hanging.
func producerOpts(props map[string]string) ([]kgo.Opt, error) {
	opts := []kgo.Opt{kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.RecordDeliveryTimeout(defaultDeliveryTimeout)}
	acks, err := parseAcks(props["acks"])
	if err != nil {
		return nil, err
	}
	opts = append(opts, acks)
	idem, err := idempotenceOpts(props)
	if err != nil {
		return nil, err
	}
	opts = append(opts, idem...)
	if codec, ok := props["compression.type"]; ok {
		c, err := parseCompression(codec)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.ProducerBatchCompression(c))
	}
	ints := []struct {
		key string
		opt func(int64) kgo.Opt
	}{
		{"linger.ms", func(v int64) kgo.Opt { return kgo.ProducerLinger(time.Duration(v) * time.Millisecond) }},
		{"batch.size", func(v int64) kgo.Opt { return kgo.ProducerBatchMaxBytes(int32(max(v, 512))) }},
		{"buffer.memory", func(v int64) kgo.Opt { return kgo.MaxBufferedBytes(int(v)) }},
		{"max.in.flight.requests.per.connection", func(v int64) kgo.Opt { return kgo.MaxProduceRequestsInflightPerBroker(int(v)) }},
		{"request.timeout.ms", func(v int64) kgo.Opt { return kgo.ProduceRequestTimeout(time.Duration(v) * time.Millisecond) }},
		{"delivery.timeout.ms", func(v int64) kgo.Opt { return kgo.RecordDeliveryTimeout(time.Duration(v) * time.Millisecond) }},
		{"retries", func(v int64) kgo.Opt { return kgo.RecordRetries(int(v)) }},
	}
	for _, p := range ints {
		v, ok, err := intProp(props, p.key)
		if err != nil {
			return nil, err
		}
		if ok {
			opts = append(opts, p.opt(v))
		}
	}
	return opts, nil
}

// parseAcks maps acks (0, 1, all, -1; default all as in Kafka 3+).
func parseAcks(v string) (kgo.Opt, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "all", "-1":
		return kgo.RequiredAcks(kgo.AllISRAcks()), nil
	case "1":
		return kgo.RequiredAcks(kgo.LeaderAck()), nil
	case "0":
		return kgo.RequiredAcks(kgo.NoAck()), nil
	}
	return nil, usageErrorf("invalid acks %q: want 0, 1, all or -1", v)
}

// idempotenceOpts follows Kafka 3+: idempotence is on by default, turned off
// silently when acks is not all, and an explicit enable.idempotence=true with
// acks other than all is an error.
func idempotenceOpts(props map[string]string) ([]kgo.Opt, error) {
	acks := strings.ToLower(strings.TrimSpace(props["acks"]))
	allAcks := acks == "" || acks == "all" || acks == "-1"
	switch strings.ToLower(strings.TrimSpace(props["enable.idempotence"])) {
	case "", "true":
		if !allAcks {
			if props["enable.idempotence"] != "" {
				return nil, usageErrorf("enable.idempotence=true needs acks=all (got acks=%s)", acks)
			}
			return []kgo.Opt{kgo.DisableIdempotentWrite()}, nil
		}
		return nil, nil
	case "false":
		return []kgo.Opt{kgo.DisableIdempotentWrite()}, nil
	}
	return nil, usageErrorf("invalid enable.idempotence %q: want true or false", props["enable.idempotence"])
}

// parseCompression maps Kafka's compression names to a kgo codec.
func parseCompression(name string) (kgo.CompressionCodec, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "none":
		return kgo.NoCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	}
	return kgo.CompressionCodec{}, usageErrorf("invalid compression %q: want none, gzip, snappy, lz4 or zstd", name)
}

// consumerOpts maps Kafka consumer properties to kgo options. group.id is
// not mapped here: the tools decide between a group and direct assignment.
func consumerOpts(props map[string]string) ([]kgo.Opt, error) {
	var opts []kgo.Opt
	if lvl, ok := props["isolation.level"]; ok {
		o, err := parseIsolation(lvl)
		if err != nil {
			return nil, err
		}
		opts = append(opts, o)
	}
	if v, ok := props["enable.auto.commit"]; ok && strings.EqualFold(v, "false") {
		opts = append(opts, kgo.DisableAutoCommit())
	}
	ms := func(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
	ints := []struct {
		key string
		opt func(int64) kgo.Opt
	}{
		{"fetch.max.bytes", func(v int64) kgo.Opt { return kgo.FetchMaxBytes(int32(v)) }},
		{"max.partition.fetch.bytes", func(v int64) kgo.Opt { return kgo.FetchMaxPartitionBytes(int32(v)) }},
		{"fetch.min.bytes", func(v int64) kgo.Opt { return kgo.FetchMinBytes(int32(v)) }},
		{"fetch.max.wait.ms", func(v int64) kgo.Opt { return kgo.FetchMaxWait(ms(v)) }},
		{"session.timeout.ms", func(v int64) kgo.Opt { return kgo.SessionTimeout(ms(v)) }},
		{"heartbeat.interval.ms", func(v int64) kgo.Opt { return kgo.HeartbeatInterval(ms(v)) }},
		{"auto.commit.interval.ms", func(v int64) kgo.Opt { return kgo.AutoCommitInterval(ms(v)) }},
	}
	for _, p := range ints {
		v, ok, err := intProp(props, p.key)
		if err != nil {
			return nil, err
		}
		if ok {
			opts = append(opts, p.opt(v))
		}
	}
	return opts, nil
}

// parseIsolation maps read_committed / read_uncommitted.
func parseIsolation(v string) (kgo.Opt, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "read_uncommitted", "":
		return kgo.FetchIsolationLevel(kgo.ReadUncommitted()), nil
	case "read_committed":
		return kgo.FetchIsolationLevel(kgo.ReadCommitted()), nil
	}
	return nil, usageErrorf("invalid isolation level %q: want read_committed or read_uncommitted", v)
}

// intProp reads an integer property; ok is false when the key is absent.
func intProp(props map[string]string, key string) (int64, bool, error) {
	s, ok := props[key]
	if !ok {
		return 0, false, nil
	}
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || v < 0 {
		return 0, false, usageErrorf("invalid %s %q: want a non-negative integer", key, s)
	}
	return v, true, nil
}
