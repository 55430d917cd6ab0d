package config

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Dynamic broker configs (KIP-226): keys changed at runtime through
// IncrementalAlterConfigs or AlterConfigs on a BROKER resource, stored in
// the metadata log, for one broker or as the cluster-wide default.
//
// Samsa accepts only the keys whose new value it honours at once, on
// every node, when the metadata image changes: the broker keys that are
// topic defaults and land in TopicConfig (ResolveTopicConfig, applied to
// every hosted partition without an override of its own), and
// log.cleaner.threads (the partition manager's cleaner workers). Kafka
// accepts more (thread pools, listeners, SSL stores, quotas, ...); those
// are refused as Kafka refuses a static key.
var dynamicBrokerKeys = []string{
	"compression.type",
	"log.cleaner.delete.retention.ms",
	"log.cleaner.max.compaction.lag.ms",
	"log.cleaner.min.cleanable.ratio",
	"log.cleaner.min.compaction.lag.ms",
	"log.cleaner.threads",
	"log.cleanup.policy",
	"log.flush.interval.messages",
	"log.flush.interval.ms",
	"log.index.interval.bytes",
	"log.message.timestamp.type",
	"log.retention.bytes",
	"log.retention.ms",
	"log.roll.ms",
	"log.segment.bytes",
	"log.segment.delete.delay.ms",
	"message.max.bytes",
	"min.insync.replicas",
}

// IsDynamicBrokerKey reports whether key can be changed dynamically.
func IsDynamicBrokerKey(key string) bool {
	_, ok := slices.BinarySearch(dynamicBrokerKeys, key)
	return ok
}

// DynamicBrokerKeys lists the keys that can be changed dynamically, sorted.
func DynamicBrokerKeys() []string { return slices.Clone(dynamicBrokerKeys) }

// ErrNotDynamic is wrapped by CheckDynamic's refusal of a key that cannot
// be changed at runtime.
var ErrNotDynamic = errors.New("not a dynamic broker config")

// CheckDynamic checks a resource's complete new set of dynamic configs as
// Kafka's DynamicBrokerConfig does: first that every key can be changed
// dynamically ("Cannot update these configs dynamically: [k1, k2]", the
// keys sorted), then each value's type and range, as the broker would
// parse it over its static config. The error's message is Kafka's.
func (b *Broker) CheckDynamic(dyn map[string]string) error {
	var refused []string
	for _, k := range slices.Sorted(maps.Keys(dyn)) {
		if !IsDynamicBrokerKey(k) {
			refused = append(refused, k)
		}
	}
	if len(refused) > 0 {
		return fmt.Errorf("%w: Cannot update these configs dynamically: [%s]", ErrNotDynamic, strings.Join(refused, ", "))
	}
	_, err := b.WithDynamic(dyn)
	return err
}

// WithDynamicIfValid is WithDynamic, or b itself when dyn is empty or does
// not apply (the controller validated it; a config this binary refuses is
// left out rather than stop the node).
func (b *Broker) WithDynamicIfValid(dyn map[string]string) *Broker {
	if len(dyn) == 0 {
		return b
	}
	nb, err := b.WithDynamic(dyn)
	if err != nil {
		return b
	}
	return nb
}

// WithDynamic returns the broker config that runs with the dynamic
// configs dyn: b's keys overlaid with dyn's, parsed and validated again,
// so a dynamic log.retention.ms wins over a static log.retention.hours as
// it does in Kafka. b is not changed; the result's Raw holds both.
func (b *Broker) WithDynamic(dyn map[string]string) (*Broker, error) {
	raw := maps.Clone(b.Raw)
	origin := maps.Clone(b.origin)
	if raw == nil {
		raw = map[string]string{}
	}
	if origin == nil {
		origin = map[string]string{}
	}
	for k, v := range dyn {
		raw[k] = v
		delete(origin, k)
	}
	next, _, errs := fromRaw(raw, origin)
	errs = append(errs, next.problems(failedKeys(errs))...)
	if len(errs) > 0 {
		return nil, dynamicValueError(errs[0])
	}
	return next, nil
}

// dynamicValueError words a bad value as Kafka's ConfigException does.
func dynamicValueError(err error) error {
	if ve, ok := errors.AsType[*ValueError](err); ok {
		return fmt.Errorf("%w: Invalid value %s for configuration %s: %s", ErrInvalidConfigValue, ve.Value, ve.Key, ve.Allowed)
	}
	return fmt.Errorf("%w: %w", ErrInvalidConfigValue, err)
}
