// DescribeConfigs, versions 1–4.
//
// Kafka: each resource is answered on its own. TOPIC lists every topic
// config with its effective value and where it comes from: the topic's
// override (DYNAMIC_TOPIC_CONFIG), the broker's server.properties
// (STATIC_BROKER_CONFIG) or the built-in default (DEFAULT_CONFIG); an
// unknown topic is UNKNOWN_TOPIC_OR_PARTITION. BROKER ("" or this broker's
// id; the admin client sends it to that broker) lists the broker's configs,
// read-only unless dynamically alterable, secrets hidden. BROKER_LOGGER
// lists log levels. ConfigNames, when not null, restricts the list;
// IncludeSynonyms (v1+) adds the chain of places a value could come from,
// highest priority first; IncludeDocumentation and ConfigType are v3+.
//
// Samsa: TOPIC as Kafka. BROKER lists every key given in server.properties
// or an override, plus the defaults of the keys that matter most, all
// read-only: Samsa has no dynamic broker configs yet. Another broker's id
// is INVALID_REQUEST, with Kafka's message. BROKER_LOGGER answers an empty
// list. Any other resource type is INVALID_REQUEST.
package handler

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/controller"
)

var describeConfigsAPI = api{key: kmsg.DescribeConfigs, min: 1, max: 4, serve: (*Handler).describeConfigs}

func (h *Handler) describeConfigs(_ context.Context, kreq kmsg.Request) kmsg.Response {
	req := kreq.(*kmsg.DescribeConfigsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeConfigsResponse)
	for i := range req.Resources {
		r := &req.Resources[i]
		rr := kmsg.NewDescribeConfigsResponseResource()
		rr.ResourceType = r.ResourceType
		rr.ResourceName = r.ResourceName
		configs, err := h.describeResource(req, r)
		rr.Configs = configs
		rr.ErrorCode = errorCode(err)
		rr.ErrorMessage = errorMessage(err)
		resp.Resources = append(resp.Resources, rr)
	}
	return resp
}

func (h *Handler) describeResource(req *kmsg.DescribeConfigsRequest, r *kmsg.DescribeConfigsRequestResource) ([]kmsg.DescribeConfigsResponseResourceConfig, error) {
	switch r.ResourceType {
	case kmsg.ConfigResourceTypeTopic:
		return h.describeTopicConfigs(req, r)
	case kmsg.ConfigResourceTypeBroker:
		return h.describeBrokerConfigs(req, r)
	case kmsg.ConfigResourceTypeBrokerLogger:
		return nil, nil
	}
	return nil, fmt.Errorf("%w: Unsupported resource type %s.", errInvalidRequest, r.ResourceType)
}

// describeTopicConfigs lists the topic's configs in name order.
func (h *Handler) describeTopicConfigs(req *kmsg.DescribeConfigsRequest, r *kmsg.DescribeConfigsRequestResource) ([]kmsg.DescribeConfigsResponseResourceConfig, error) {
	if err := validateTopicName(r.ResourceName); err != nil {
		return nil, err
	}
	t, ok := h.Image().Topic(r.ResourceName)
	if !ok {
		return nil, fmt.Errorf("%w: The topic '%s' does not exist.", controller.ErrUnknownTopic, r.ResourceName)
	}
	builtin := config.Default()
	var out []kmsg.DescribeConfigsResponseResourceConfig
	for _, def := range config.TopicConfigDefs() {
		if !wantConfig(r.ConfigNames, def.Name) {
			continue
		}
		value, source := h.topicConfigValue(def, t.Configs)
		c := describedConfig(def.Name, value, source)
		c.ConfigType = kmsg.ConfigType(def.Type)
		if req.IncludeSynonyms {
			c.ConfigSynonyms = h.topicSynonyms(def, t.Configs, builtin)
		}
		if req.IncludeDocumentation {
			c.Documentation = kmsg.StringPtr(def.Doc)
		}
		out = append(out, c)
	}
	return out, nil
}

// topicConfigValue is a topic config's effective value and its source:
// the topic's override, else the first synonym Kafka would list (see
// topicSynonyms), else DEFAULT_CONFIG. CreateTopics (v5+) reports the same.
func (h *Handler) topicConfigValue(def config.TopicConfigDef, overrides map[string]string) (string, kmsg.ConfigSource) {
	if v, ok := overrides[def.Name]; ok {
		return v, kmsg.ConfigSourceDynamicTopicConfig
	}
	value := h.Config.TopicDefault(def.Name)
	if broker := h.brokerSynonyms(def, config.Default()); len(broker) > 0 {
		return value, broker[0].Source
	}
	return value, kmsg.ConfigSourceDefaultConfig
}

// topicSynonyms lists what Kafka lists for a topic config, highest
// priority first: the topic's override, then brokerSynonyms.
func (h *Handler) topicSynonyms(def config.TopicConfigDef, overrides map[string]string, builtin *config.Broker) []kmsg.DescribeConfigsResponseResourceConfigConfigSynonym {
	var out []kmsg.DescribeConfigsResponseResourceConfigConfigSynonym
	if v, ok := overrides[def.Name]; ok {
		out = append(out, configSynonym(def.Name, v, kmsg.ConfigSourceDynamicTopicConfig))
	}
	return append(out, h.brokerSynonyms(def, builtin)...)
}

// brokerSynonyms is Kafka's broker-side synonym list of a topic config:
// each of its broker keys set in server.properties (STATIC_BROKER_CONFIG),
// then each that has a built-in default (DEFAULT_CONFIG), both in key
// order, with the entries before the first that names the config's own
// broker key dropped. So retention.ms lists nothing while log.retention.ms
// is unset, even with log.retention.hours set: only log.retention.hours
// has a default, and it is not log.retention.ms (Kafka's ConfigHelper
// drops it the same way).
func (h *Handler) brokerSynonyms(def config.TopicConfigDef, builtin *config.Broker) []kmsg.DescribeConfigsResponseResourceConfigConfigSynonym {
	keys := brokerKeySynonyms(def.BrokerKey)
	var out []kmsg.DescribeConfigsResponseResourceConfigConfigSynonym
	for _, key := range keys {
		if v, ok := h.Config.Raw[key]; ok {
			out = append(out, configSynonym(key, v, kmsg.ConfigSourceStaticBrokerConfig))
		}
	}
	for i, key := range keys {
		v, ok := kafkaBrokerDefault(key)
		if i == 0 && len(keys) == 1 {
			v, ok = builtin.TopicDefault(def.Name), true
		}
		if ok {
			out = append(out, configSynonym(key, v, kmsg.ConfigSourceDefaultConfig))
		}
	}
	for len(out) > 0 && out[0].Name != keys[0] {
		out = out[1:]
	}
	return out
}

// brokerKeySynonyms returns the broker keys that can set a topic config's
// default, highest priority first (Kafka's log.retention.ms > .minutes >
// .hours); nil when there is none.
func brokerKeySynonyms(key string) []string {
	switch key {
	case "":
		return nil
	case "log.retention.ms":
		return []string{"log.retention.ms", "log.retention.minutes", "log.retention.hours"}
	case "log.roll.ms":
		return []string{"log.roll.ms", "log.roll.hours"}
	case "log.roll.jitter.ms":
		return []string{"log.roll.jitter.ms", "log.roll.jitter.hours"}
	case "log.flush.interval.ms":
		return []string{"log.flush.interval.ms", "log.flush.scheduler.interval.ms"}
	}
	return []string{key}
}

// kafkaBrokerDefault is the built-in default, as Kafka writes it, of a
// broker key that shares its topic config with other keys; the first key
// of each group has none in Kafka (null), the last one does.
func kafkaBrokerDefault(key string) (string, bool) {
	switch key {
	case "log.retention.hours", "log.roll.hours":
		return "168", true
	case "log.roll.jitter.hours":
		return "0", true
	case "log.flush.scheduler.interval.ms":
		return "9223372036854775807", true
	}
	return "", false
}

// describeBrokerConfigs lists this broker's configs in name order.
func (h *Handler) describeBrokerConfigs(req *kmsg.DescribeConfigsRequest, r *kmsg.DescribeConfigsRequestResource) ([]kmsg.DescribeConfigsResponseResourceConfig, error) {
	if err := h.checkBrokerResource(r.ResourceName); err != nil {
		return nil, err
	}
	entries := h.brokerConfigs()
	names := make([]string, 0, len(entries))
	for name := range entries {
		names = append(names, name)
	}
	slices.Sort(names)
	var out []kmsg.DescribeConfigsResponseResourceConfig
	for _, name := range names {
		if !wantConfig(r.ConfigNames, name) {
			continue
		}
		e := entries[name]
		c := describedConfig(name, e.value, e.source)
		c.ReadOnly = true
		c.ConfigType = e.typ
		if sensitiveConfig(name) {
			c.Value, c.IsSensitive = nil, true
		}
		if req.IncludeSynonyms {
			c.ConfigSynonyms = []kmsg.DescribeConfigsResponseResourceConfigConfigSynonym{
				{Name: name, Value: c.Value, Source: e.source},
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// checkBrokerResource accepts "" and this broker's id, as Kafka does.
func (h *Handler) checkBrokerResource(name string) error {
	if name == "" {
		return nil
	}
	id, err := strconv.ParseInt(name, 10, 32)
	if err != nil {
		return fmt.Errorf("%w: Broker id must be an integer, but it is: %s", errInvalidRequest, name)
	}
	if int32(id) != h.NodeID {
		return fmt.Errorf("%w: Unexpected broker id, expected %d or empty string, but received %s",
			errInvalidRequest, h.NodeID, name)
	}
	return nil
}

type brokerConfig struct {
	value  string
	source kmsg.ConfigSource
	typ    kmsg.ConfigType
}

// brokerConfigs is every key given to the broker (STATIC_BROKER_CONFIG)
// plus the defaults of the keys in brokerDefaults (DEFAULT_CONFIG).
func (h *Handler) brokerConfigs() map[string]brokerConfig {
	out := make(map[string]brokerConfig, len(h.Config.Raw))
	types := map[string]kmsg.ConfigType{}
	for _, d := range brokerDefaults() {
		types[d.key] = d.typ
		out[d.key] = brokerConfig{value: d.value(h.Config), source: kmsg.ConfigSourceDefaultConfig, typ: d.typ}
	}
	for key, value := range h.Config.Raw {
		typ, ok := types[key]
		if !ok {
			typ = kmsg.ConfigTypeString
		}
		out[key] = brokerConfig{value: value, source: kmsg.ConfigSourceStaticBrokerConfig, typ: typ}
	}
	return out
}

type brokerDefault struct {
	key   string
	typ   kmsg.ConfigType
	value func(*config.Broker) string
}

// brokerDefaults are the broker keys listed even when not set, with the
// value the broker runs with.
func brokerDefaults() []brokerDefault {
	num := func(f func(*config.Broker) int64) func(*config.Broker) string {
		return func(b *config.Broker) string { return strconv.FormatInt(f(b), 10) }
	}
	flag := func(f func(*config.Broker) bool) func(*config.Broker) string {
		return func(b *config.Broker) string { return strconv.FormatBool(f(b)) }
	}
	str := func(f func(*config.Broker) string) func(*config.Broker) string { return f }
	return []brokerDefault{
		{"node.id", kmsg.ConfigTypeInt, num(func(b *config.Broker) int64 { return int64(b.NodeID) })},
		{"broker.id", kmsg.ConfigTypeInt, num(func(b *config.Broker) int64 { return int64(b.NodeID) })},
		{"process.roles", kmsg.ConfigTypeList, str(func(b *config.Broker) string { return strings.Join(b.ProcessRoles, ",") })},
		{"listeners", kmsg.ConfigTypeString, str(func(b *config.Broker) string { return listenersValue(b.Listeners) })},
		{"advertised.listeners", kmsg.ConfigTypeString, str(func(b *config.Broker) string { return listenersValue(b.AdvertisedListeners) })},
		{"inter.broker.listener.name", kmsg.ConfigTypeString, str(func(b *config.Broker) string { return b.InterBrokerListenerName })},
		{"controller.listener.names", kmsg.ConfigTypeString, str(func(b *config.Broker) string { return strings.Join(b.ControllerListenerNames, ",") })},
		{"log.dirs", kmsg.ConfigTypeString, str(func(b *config.Broker) string { return strings.Join(b.LogDirs, ",") })},
		{"num.partitions", kmsg.ConfigTypeInt, num(func(b *config.Broker) int64 { return int64(b.NumPartitions) })},
		{"default.replication.factor", kmsg.ConfigTypeInt, num(func(b *config.Broker) int64 { return int64(b.DefaultReplicationFactor) })},
		{"min.insync.replicas", kmsg.ConfigTypeInt, num(func(b *config.Broker) int64 { return int64(b.MinInsyncReplicas) })},
		{"auto.create.topics.enable", kmsg.ConfigTypeBoolean, flag(func(b *config.Broker) bool { return b.AutoCreateTopicsEnable })},
		{"delete.topic.enable", kmsg.ConfigTypeBoolean, flag(func(b *config.Broker) bool { return b.DeleteTopicEnable })},
		{"message.max.bytes", kmsg.ConfigTypeInt, num(func(b *config.Broker) int64 { return int64(b.MessageMaxBytes) })},
		{"socket.request.max.bytes", kmsg.ConfigTypeInt, num(func(b *config.Broker) int64 { return int64(b.SocketRequestMaxBytes) })},
		{"log.segment.bytes", kmsg.ConfigTypeInt, num(func(b *config.Broker) int64 { return b.LogSegmentBytes })},
		{"log.roll.ms", kmsg.ConfigTypeLong, num(func(b *config.Broker) int64 { return b.LogRollMs })},
		{"log.retention.ms", kmsg.ConfigTypeLong, num(func(b *config.Broker) int64 { return b.LogRetentionMs })},
		{"log.retention.bytes", kmsg.ConfigTypeLong, num(func(b *config.Broker) int64 { return b.LogRetentionBytes })},
		{"log.retention.check.interval.ms", kmsg.ConfigTypeLong, num(func(b *config.Broker) int64 { return b.LogRetentionCheckIntervalMs })},
		{"log.cleanup.policy", kmsg.ConfigTypeList, str(func(b *config.Broker) string { return b.LogCleanupPolicy })},
		{"compression.type", kmsg.ConfigTypeString, str(func(b *config.Broker) string { return b.CompressionType })},
		{"offsets.topic.num.partitions", kmsg.ConfigTypeInt, num(func(b *config.Broker) int64 { return int64(b.OffsetsTopicNumPartitions) })},
		{"offsets.topic.replication.factor", kmsg.ConfigTypeShort, num(func(b *config.Broker) int64 { return int64(b.OffsetsTopicReplicationFactor) })},
		{"replica.lag.time.max.ms", kmsg.ConfigTypeLong, num(func(b *config.Broker) int64 { return b.ReplicaLagTimeMaxMs })},
		{"broker.session.timeout.ms", kmsg.ConfigTypeInt, num(func(b *config.Broker) int64 { return b.BrokerSessionTimeoutMs })},
		{"broker.heartbeat.interval.ms", kmsg.ConfigTypeInt, num(func(b *config.Broker) int64 { return b.BrokerHeartbeatIntervalMs })},
	}
}

func listenersValue(ls []config.Listener) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = l.String()
	}
	return strings.Join(parts, ",")
}

// sensitiveConfig reports keys whose values DescribeConfigs hides, as
// Kafka hides PASSWORD-type configs.
func sensitiveConfig(name string) bool {
	return strings.Contains(name, "password") || strings.Contains(name, "secret") ||
		strings.HasSuffix(name, "sasl.jaas.config")
}

// wantConfig applies a request's ConfigNames filter; nil means all.
func wantConfig(names []string, name string) bool {
	return names == nil || slices.Contains(names, name)
}

func describedConfig(name, value string, source kmsg.ConfigSource) kmsg.DescribeConfigsResponseResourceConfig {
	c := kmsg.NewDescribeConfigsResponseResourceConfig()
	c.Name = name
	c.Value = kmsg.StringPtr(value)
	c.Source = source
	c.IsDefault = source == kmsg.ConfigSourceDefaultConfig
	return c
}

func configSynonym(name, value string, source kmsg.ConfigSource) kmsg.DescribeConfigsResponseResourceConfigConfigSynonym {
	s := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
	s.Name = name
	s.Value = kmsg.StringPtr(value)
	s.Source = source
	return s
}
