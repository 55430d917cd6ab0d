package config

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ConfigType is a configuration's type, numbered as in Kafka's
// DescribeConfigs response (ConfigType field, v3+).
type ConfigType int

// Configuration types.
const (
	Boolean  ConfigType = 1
	String   ConfigType = 2
	Int      ConfigType = 3
	Short    ConfigType = 4
	Long     ConfigType = 5
	Double   ConfigType = 6
	List     ConfigType = 7
	Class    ConfigType = 8
	Password ConfigType = 9
)

// TopicConfigDef describes one topic-level configuration.
type TopicConfigDef struct {
	Name      string
	Type      ConfigType
	BrokerKey string // the broker key that supplies the default, e.g. "log.retention.ms"; "" when none
	Doc       string

	check      func(string) string  // returns what is allowed when the value is bad, else ""
	kafkaValue string               // default when the broker key is unset and no Broker field holds it
	fromBroker func(*Broker) string // the default taken from a Broker field, when one holds it
}

// Validate checks value against the definition; see ValidateTopicConfig.
func (d TopicConfigDef) Validate(value string) error {
	if allowed := d.check(value); allowed != "" {
		return invalid(d.Name, value, allowed)
	}
	return nil
}

// TopicConfigDefs returns the table of topic configurations, sorted by name.
func TopicConfigDefs() []TopicConfigDef { return slices.Clone(topicDefs) }

// LookupTopicConfig returns the definition of a topic configuration.
func LookupTopicConfig(name string) (TopicConfigDef, bool) {
	i, ok := slices.BinarySearchFunc(topicDefs, name, func(d TopicConfigDef, n string) int {
		return strings.Compare(d.Name, n)
	})
	if !ok {
		return TopicConfigDef{}, false
	}
	return topicDefs[i], true
}

// ValidateTopicConfig checks one topic configuration. The error wraps
// ErrUnknownTopicConfig for an unknown name, or is a *ValueError (wrapping
// ErrInvalidConfigValue) naming the key, the value and what is allowed.
func ValidateTopicConfig(name, value string) error {
	d, ok := LookupTopicConfig(name)
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownTopicConfig, name)
	}
	return d.Validate(value)
}

// TopicDefault returns the broker-level default of a topic configuration as
// a string, as DescribeConfigs shows it; "" for an unknown name.
func (b *Broker) TopicDefault(name string) string {
	d, ok := LookupTopicConfig(name)
	switch {
	case !ok:
		return ""
	case d.fromBroker != nil:
		return d.fromBroker(b)
	}
	if v, ok := b.extra[d.BrokerKey]; ok {
		return v
	}
	return d.kafkaValue
}

// IsSet reports whether a broker key was given in the file or an override.
func (b *Broker) IsSet(key string) bool {
	_, ok := b.Raw[key]
	return ok
}

func itoa[T ~int16 | ~int32 | ~int64](n T) string { return strconv.FormatInt(int64(n), 10) }

// flushMs is flush.ms as Kafka reports it: "never" is math.MaxInt64.
func (b *Broker) flushMs() int64 {
	if b.LogFlushIntervalMs < 0 {
		return math.MaxInt64
	}
	return b.LogFlushIntervalMs
}
