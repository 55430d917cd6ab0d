package handler

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
// Samsa: TOPIC as Kafka, dynamic broker configs among the synonyms. BROKER
// "<id>" lists every key given in server.properties or an override, set
// dynamically, or among the defaults of the keys that matter most, with
// Kafka's synonym chain (dynamic for this broker, dynamic default, static,
// default); read-only unless config.IsDynamicBrokerKey. BROKER "" lists
// the cluster-wide dynamic defaults only, as Kafka does. Another broker's
// id is INVALID_REQUEST, with Kafka's message. BROKER_LOGGER answers an
// empty list. Any other resource type is INVALID_REQUEST.

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/controller"
	"github.com/samsa-io/samsa/internal/metadata"
)

var describeConfigsAPI = api{key: kmsg.DescribeConfigs, min: 1, max: 4, serve: (*Handler).describeConfigs,
	authz: authzDescribeConfigs}

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
	dyn := h.dynamicSources()
	var out []kmsg.DescribeConfigsResponseResourceConfig
	for _, def := range config.TopicConfigDefs() {
		if !wantConfig(r.ConfigNames, def.Name) {
			continue
		}
		value, source := h.topicConfigValue(def, t.Configs)
		c := describedConfig(def.Name, value, source)
		c.ConfigType = kmsg.ConfigType(def.Type)
		if req.IncludeSynonyms {
			c.ConfigSynonyms = h.topicSynonyms(def, t.Configs, builtin, dyn)
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
	dyn := h.dynamicSources()
	value := h.effectiveConfig(dyn).TopicDefault(def.Name)
	if broker := h.brokerSynonyms(def, config.Default(), dyn); len(broker) > 0 {
		return value, broker[0].Source
	}
	return value, kmsg.ConfigSourceDefaultConfig
}

// topicSynonyms lists what Kafka lists for a topic config, highest
// priority first: the topic's override, then brokerSynonyms.
func (h *Handler) topicSynonyms(def config.TopicConfigDef, overrides map[string]string, builtin *config.Broker, dyn dynamicSources) []kmsg.DescribeConfigsResponseResourceConfigConfigSynonym {
	var out []kmsg.DescribeConfigsResponseResourceConfigConfigSynonym
	if v, ok := overrides[def.Name]; ok {
		out = append(out, configSynonym(def.Name, v, kmsg.ConfigSourceDynamicTopicConfig))
	}
	return append(out, h.brokerSynonyms(def, builtin, dyn)...)
}

// brokerSynonyms is Kafka's broker-side synonym list of a topic config:
// each of its broker keys set dynamically for this broker
// (DYNAMIC_BROKER_CONFIG), then set as the cluster-wide dynamic default
// (DYNAMIC_DEFAULT_BROKER_CONFIG), then set in server.properties
// (STATIC_BROKER_CONFIG), then each that has a built-in default
// (DEFAULT_CONFIG), each group in key order, with the entries before the
// first that names the config's own broker key dropped. So retention.ms
// lists nothing while log.retention.ms is unset, even with
// log.retention.hours set: only log.retention.hours has a default, and it
// is not log.retention.ms (Kafka's ConfigHelper drops it the same way).
func (h *Handler) brokerSynonyms(def config.TopicConfigDef, builtin *config.Broker, dyn dynamicSources) []kmsg.DescribeConfigsResponseResourceConfigConfigSynonym {
	keys := brokerKeySynonyms(def.BrokerKey)
	if len(keys) == 0 {
		return nil
	}
	return h.brokerKeyChain(keys, dyn, func(i int, key string) (string, bool) {
		if i == 0 && len(keys) == 1 {
			return builtin.TopicDefault(def.Name), true
		}
		return kafkaBrokerDefault(key)
	})
}

// brokerKeyChain lists the synonyms of broker keys (highest priority
// first) grouped by source as Kafka's ConfigHelper does, then drops the
// entries before the first that names keys[0]. builtin gives a key's
// built-in default (DEFAULT_CONFIG), if it has one.
func (h *Handler) brokerKeyChain(keys []string, dyn dynamicSources, builtin func(i int, key string) (string, bool)) []kmsg.DescribeConfigsResponseResourceConfigConfigSynonym {
	var out []kmsg.DescribeConfigsResponseResourceConfigConfigSynonym
	for _, src := range []struct {
		values map[string]string
		source kmsg.ConfigSource
	}{
		{dyn.broker, kmsg.ConfigSourceDynamicBrokerConfig},
		{dyn.clusterDefault, kmsg.ConfigSourceDynamicDefaultBrokerConfig},
		{h.Config.Raw, kmsg.ConfigSourceStaticBrokerConfig},
	} {
		for _, key := range keys {
			if v, ok := src.values[key]; ok {
				out = append(out, configSynonym(key, v, src.source))
			}
		}
	}
	for i, key := range keys {
		if v, ok := builtin(i, key); ok {
			out = append(out, configSynonym(key, v, kmsg.ConfigSourceDefaultConfig))
		}
	}
	for len(out) > 0 && out[0].Name != keys[0] {
		out = out[1:]
	}
	return out
}

// dynamicSources are the dynamic broker configs (KIP-226) of the current
// image that apply to this broker: its own and the cluster-wide default.
type dynamicSources struct {
	broker, clusterDefault map[string]string
}

func (h *Handler) dynamicSources() dynamicSources {
	im := h.Image()
	return dynamicSources{
		broker:         im.BrokerConfig(metadata.BrokerConfigResource(h.NodeID)),
		clusterDefault: im.BrokerConfig(metadata.DefaultBrokerConfigResource),
	}
}

// merged is what this broker runs with: the default overlaid with its own.
func (d dynamicSources) merged() map[string]string {
	out := maps.Clone(d.clusterDefault)
	maps.Copy(out, d.broker)
	return out
}

// effectiveConfig is the broker config with the dynamic configs applied,
// as the partition manager applies them; the static config if they do not
// parse (they were checked when stored).
func (h *Handler) effectiveConfig(dyn dynamicSources) *config.Broker {
	merged := dyn.merged()
	if len(merged) == 0 {
		return h.Config
	}
	b, err := h.Config.WithDynamic(merged)
	if err != nil {
		return h.Config
	}
	return b
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

// describeBrokerConfigs lists this broker's configs in name order, or,
// for the resource "", the cluster-wide dynamic defaults.
func (h *Handler) describeBrokerConfigs(req *kmsg.DescribeConfigsRequest, r *kmsg.DescribeConfigsRequestResource) ([]kmsg.DescribeConfigsResponseResourceConfig, error) {
	if err := h.checkBrokerResource(r.ResourceName); err != nil {
		return nil, err
	}
	dyn := h.dynamicSources()
	entries := h.brokerConfigs()
	perBroker := r.ResourceName != ""
	if !perBroker {
		// Kafka lists only the keys set as dynamic defaults, with only
		// their DYNAMIC_DEFAULT_BROKER_CONFIG synonyms.
		dyn.broker = nil
		entries = map[string]brokerConfig{}
	}
	for _, m := range []map[string]string{dyn.broker, dyn.clusterDefault} {
		for key := range m {
			if _, ok := entries[key]; !ok {
				entries[key] = brokerConfig{typ: brokerConfigType(key)}
			}
		}
	}
	var out []kmsg.DescribeConfigsResponseResourceConfig
	for _, name := range slices.Sorted(maps.Keys(entries)) {
		if !wantConfig(r.ConfigNames, name) {
			continue
		}
		e := entries[name]
		chain := h.brokerConfigChain(name, dyn)
		if !perBroker {
			chain = slices.DeleteFunc(chain, func(s kmsg.DescribeConfigsResponseResourceConfigConfigSynonym) bool {
				return s.Source != kmsg.ConfigSourceDynamicDefaultBrokerConfig
			})
		}
		if len(chain) > 0 {
			e.value, e.source = *chain[0].Value, chain[0].Source
		} else {
			chain = []kmsg.DescribeConfigsResponseResourceConfigConfigSynonym{configSynonym(name, e.value, e.source)}
		}
		c := describedConfig(name, e.value, e.source)
		c.ReadOnly = !config.IsDynamicBrokerKey(name)
		c.ConfigType = e.typ
		if sensitiveConfig(name) {
			c.Value, c.IsSensitive = nil, true
			for i := range chain {
				chain[i].Value = nil
			}
		}
		if req.IncludeSynonyms {
			c.ConfigSynonyms = chain
		}
		out = append(out, c)
	}
	return out, nil
}

// brokerConfigChain is Kafka's synonym list of a broker key: dynamic for
// this broker, dynamic default, static, built-in default.
func (h *Handler) brokerConfigChain(name string, dyn dynamicSources) []kmsg.DescribeConfigsResponseResourceConfigConfigSynonym {
	keys := brokerKeySynonyms(name)
	builtin := config.Default()
	return h.brokerKeyChain(keys, dyn, func(_ int, key string) (string, bool) {
		if v, ok := kafkaBrokerDefault(key); ok || len(keys) > 1 {
			return v, ok
		}
		for _, d := range brokerDefaults() {
			if d.key != key {
				continue
			}
			if _, static := h.Config.Raw[key]; static {
				return d.value(builtin), true
			}
			// Unset: the value the broker derived, such as
			// advertised.listeners from listeners.
			return d.value(h.Config), true
		}
		for _, def := range config.TopicConfigDefs() {
			if def.BrokerKey == key {
				return builtin.TopicDefault(def.Name), true
			}
		}
		return "", false
	})
}

// brokerConfigType is a broker key's type in DescribeConfigs.
func brokerConfigType(key string) kmsg.ConfigType {
	for _, d := range brokerDefaults() {
		if d.key == key {
			return d.typ
		}
	}
	for _, def := range config.TopicConfigDefs() {
		if def.BrokerKey == key {
			return kmsg.ConfigType(def.Type)
		}
	}
	return kmsg.ConfigTypeString
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
			typ = brokerConfigType(key)
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
		{"log.cleaner.threads", kmsg.ConfigTypeInt, num(func(b *config.Broker) int64 { return int64(b.LogCleanerThreads) })},
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
