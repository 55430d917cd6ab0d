package handler

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/config"
)

func describeReq(typ kmsg.ConfigResourceType, name string, names []string) *kmsg.DescribeConfigsRequest {
	req := kmsg.NewPtrDescribeConfigsRequest()
	req.Version = 4
	r := kmsg.NewDescribeConfigsRequestResource()
	r.ResourceType, r.ResourceName, r.ConfigNames = typ, name, names
	req.Resources = append(req.Resources, r)
	return req
}

func describeOne(t *testing.T, h *Handler, req *kmsg.DescribeConfigsRequest) kmsg.DescribeConfigsResponseResource {
	t.Helper()
	resp := h.describeConfigs(context.Background(), req).(*kmsg.DescribeConfigsResponse)
	if len(resp.Resources) != 1 {
		t.Fatalf("got %d resources", len(resp.Resources))
	}
	r := resp.Resources[0]
	if r.ResourceType != req.Resources[0].ResourceType || r.ResourceName != req.Resources[0].ResourceName {
		t.Fatalf("resource %v %q echoed as %v %q", req.Resources[0].ResourceType, req.Resources[0].ResourceName, r.ResourceType, r.ResourceName)
	}
	return r
}

func configsByName(cs []kmsg.DescribeConfigsResponseResourceConfig) map[string]kmsg.DescribeConfigsResponseResourceConfig {
	out := map[string]kmsg.DescribeConfigsResponseResourceConfig{}
	for _, c := range cs {
		out[c.Name] = c
	}
	return out
}

func TestDescribeTopicConfigs(t *testing.T) {
	h, _ := newAdminHandler()
	r := describeOne(t, h, describeReq(kmsg.ConfigResourceTypeTopic, "orders", nil))
	if r.ErrorCode != 0 {
		t.Fatalf("code %d: %s", r.ErrorCode, msgOf(r.ErrorMessage))
	}
	if len(r.Configs) != len(config.TopicConfigDefs()) {
		t.Fatalf("got %d configs, want every topic config (%d)", len(r.Configs), len(config.TopicConfigDefs()))
	}
	byName := configsByName(r.Configs)
	checks := []struct {
		name   string
		value  string
		source kmsg.ConfigSource
		typ    kmsg.ConfigType
	}{
		{"retention.ms", "1000", kmsg.ConfigSourceDynamicTopicConfig, kmsg.ConfigTypeLong},
		{"segment.bytes", "1048576", kmsg.ConfigSourceStaticBrokerConfig, kmsg.ConfigTypeInt},
		{"cleanup.policy", "delete", kmsg.ConfigSourceDefaultConfig, kmsg.ConfigTypeList},
		{"min.insync.replicas", "1", kmsg.ConfigSourceDefaultConfig, kmsg.ConfigTypeInt},
	}
	for _, c := range checks {
		got := byName[c.name]
		if msgOf(got.Value) != c.value || got.Source != c.source || got.ConfigType != c.typ || got.ReadOnly || got.IsSensitive {
			t.Errorf("%s: %q source %d type %d read-only %v, want %q %d %d", c.name, msgOf(got.Value), got.Source, got.ConfigType, got.ReadOnly, c.value, c.source, c.typ)
		}
		if got.ConfigSynonyms != nil || got.Documentation != nil {
			t.Errorf("%s: synonyms or documentation not asked for", c.name)
		}
	}
}

func TestDescribeTopicConfigsFilterSynonymsDocs(t *testing.T) {
	h, _ := newAdminHandler()
	h.Config.Raw["log.retention.hours"] = "24"
	req := describeReq(kmsg.ConfigResourceTypeTopic, "orders", []string{"retention.ms", "segment.bytes", "no.such"})
	req.IncludeSynonyms, req.IncludeDocumentation = true, true
	r := describeOne(t, h, req)
	if len(r.Configs) != 2 || r.Configs[0].Name != "retention.ms" || r.Configs[1].Name != "segment.bytes" {
		t.Fatalf("got configs %v, want retention.ms and segment.bytes", configsByName(r.Configs))
	}
	type syn struct {
		name, value string
		source      kmsg.ConfigSource
	}
	want := map[string][]syn{
		// As Kafka: the broker list starts at log.retention.ms, which is
		// unset and has no default, so log.retention.hours is not listed.
		"retention.ms": {
			{"retention.ms", "1000", kmsg.ConfigSourceDynamicTopicConfig},
		},
		"segment.bytes": {
			{"log.segment.bytes", "1048576", kmsg.ConfigSourceStaticBrokerConfig},
			{"log.segment.bytes", "1073741824", kmsg.ConfigSourceDefaultConfig},
		},
	}
	for _, c := range r.Configs {
		var got []syn
		for _, s := range c.ConfigSynonyms {
			got = append(got, syn{s.Name, msgOf(s.Value), s.Source})
		}
		if len(got) != len(want[c.Name]) {
			t.Errorf("%s synonyms %v, want %v", c.Name, got, want[c.Name])
			continue
		}
		for i := range got {
			if got[i] != want[c.Name][i] {
				t.Errorf("%s synonym %d = %v, want %v", c.Name, i, got[i], want[c.Name][i])
			}
		}
		if c.Documentation == nil || *c.Documentation == "" {
			t.Errorf("%s: no documentation", c.Name)
		}
	}
}

func TestDescribeConfigsErrors(t *testing.T) {
	tests := []struct {
		name  string
		typ   kmsg.ConfigResourceType
		rname string
		code  int16
		msg   string
	}{
		{"unknown topic", kmsg.ConfigResourceTypeTopic, "nope", 3, "The topic 'nope' does not exist."},
		{"bad topic name", kmsg.ConfigResourceTypeTopic, "..", 17, `Topic name cannot be "." or ".."`},
		{"other broker", kmsg.ConfigResourceTypeBroker, "2", 42, "Unexpected broker id, expected 1 or empty string, but received 2"},
		{"non-numeric broker", kmsg.ConfigResourceTypeBroker, "x", 42, "Broker id must be an integer, but it is: x"},
		{"group configs", kmsg.ConfigResourceTypeGroupConfig, "g", 42, "Unsupported resource type GROUP_CONFIG."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := newAdminHandler()
			r := describeOne(t, h, describeReq(tt.typ, tt.rname, nil))
			if r.ErrorCode != tt.code || msgOf(r.ErrorMessage) != tt.msg || r.Configs != nil {
				t.Fatalf("got %d %q (%d configs), want %d %q", r.ErrorCode, msgOf(r.ErrorMessage), len(r.Configs), tt.code, tt.msg)
			}
		})
	}
}

func TestDescribeBrokerConfigs(t *testing.T) {
	for _, name := range []string{"1"} {
		h, _ := newAdminHandler()
		h.Config.Raw["sasl.jaas.config"] = "secret stuff"
		h.Config.Raw["zookeeper.connect"] = "zk:2181"
		req := describeReq(kmsg.ConfigResourceTypeBroker, name, nil)
		req.IncludeSynonyms = true
		r := describeOne(t, h, req)
		if r.ErrorCode != 0 {
			t.Fatalf("broker %q: code %d %s", name, r.ErrorCode, msgOf(r.ErrorMessage))
		}
		byName := configsByName(r.Configs)
		checks := []struct {
			key, value string
			source     kmsg.ConfigSource
		}{
			{"num.partitions", "6", kmsg.ConfigSourceStaticBrokerConfig},
			{"zookeeper.connect", "zk:2181", kmsg.ConfigSourceStaticBrokerConfig},
			{"node.id", "1", kmsg.ConfigSourceDefaultConfig},
			{"auto.create.topics.enable", "true", kmsg.ConfigSourceDefaultConfig},
			{"listeners", "PLAINTEXT://:9092", kmsg.ConfigSourceDefaultConfig},
			{"log.dirs", "/tmp/kafka-logs", kmsg.ConfigSourceDefaultConfig},
		}
		for _, c := range checks {
			got, ok := byName[c.key]
			if !ok || msgOf(got.Value) != c.value || got.Source != c.source || !got.ReadOnly {
				t.Errorf("broker %q: %s = %q source %d read-only %v (listed %v), want %q %d", name, c.key, msgOf(got.Value), got.Source, got.ReadOnly, ok, c.value, c.source)
			}
			if len(got.ConfigSynonyms) == 0 || got.ConfigSynonyms[0].Name != c.key || got.ConfigSynonyms[0].Source != c.source {
				t.Errorf("broker %q: %s synonyms %+v", name, c.key, got.ConfigSynonyms)
			}
		}
		if s := byName["sasl.jaas.config"]; s.Value != nil || !s.IsSensitive {
			t.Errorf("secret shown: %q sensitive %v", msgOf(s.Value), s.IsSensitive)
		}
		for i := 1; i < len(r.Configs); i++ {
			if r.Configs[i-1].Name >= r.Configs[i].Name {
				t.Fatalf("configs not sorted: %s before %s", r.Configs[i-1].Name, r.Configs[i].Name)
			}
		}
	}
}

func TestDescribeBrokerConfigsFilterAndLogger(t *testing.T) {
	h, _ := newAdminHandler()
	r := describeOne(t, h, describeReq(kmsg.ConfigResourceTypeBroker, "1", []string{"message.max.bytes"}))
	if len(r.Configs) != 1 || msgOf(r.Configs[0].Value) != "1048588" || r.Configs[0].ConfigType != kmsg.ConfigTypeInt {
		t.Errorf("filtered broker configs: %+v", r.Configs)
	}
	r = describeOne(t, h, describeReq(kmsg.ConfigResourceTypeBrokerLogger, "1", nil))
	if r.ErrorCode != 0 || len(r.Configs) != 0 {
		t.Errorf("broker logger: code %d, %d configs", r.ErrorCode, len(r.Configs))
	}
}

// Kafka's ConfigHelper lists a topic config's broker synonyms from the
// first entry that names its own broker key: which entries that leaves
// depends on which keys server.properties sets.
func TestTopicBrokerSynonymsFollowKafka(t *testing.T) {
	type syn struct {
		name, value string
		source      kmsg.ConfigSource
	}
	static, def := kmsg.ConfigSourceStaticBrokerConfig, kmsg.ConfigSourceDefaultConfig
	tests := []struct {
		name   string
		raw    map[string]string
		config string
		want   []syn
		source kmsg.ConfigSource
	}{
		{"retention unset", nil, "retention.ms", nil, def},
		{"retention in hours only", map[string]string{"log.retention.hours": "24"}, "retention.ms", nil, def},
		{"retention in ms", map[string]string{"log.retention.ms": "1000", "log.retention.hours": "24"}, "retention.ms",
			[]syn{{"log.retention.ms", "1000", static}, {"log.retention.hours", "24", static}, {"log.retention.hours", "168", def}}, static},
		{"roll unset", nil, "segment.ms", nil, def},
		{"flush unset", nil, "flush.ms", nil, def},
		{"one key, set (the test config sets log.segment.bytes)", nil, "segment.bytes",
			[]syn{{"log.segment.bytes", "1048576", static}, {"log.segment.bytes", "1073741824", def}}, static},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := newAdminHandler()
			maps.Copy(h.Config.Raw, tt.raw)
			req := describeReq(kmsg.ConfigResourceTypeTopic, "orders", []string{tt.config})
			req.IncludeSynonyms = true
			r := describeOne(t, h, req)
			if len(r.Configs) != 1 {
				t.Fatalf("configs %v", configsByName(r.Configs))
			}
			c := r.Configs[0]
			var got []syn
			overridden := false // the test topic overrides retention.ms
			for _, s := range c.ConfigSynonyms {
				if s.Source == kmsg.ConfigSourceDynamicTopicConfig {
					overridden = true
					continue
				}
				got = append(got, syn{s.Name, msgOf(s.Value), s.Source})
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("synonyms %v, want %v", got, tt.want)
			}
			if !overridden && c.Source != tt.source {
				t.Errorf("source %v, want %v", c.Source, tt.source)
			}
		})
	}
}
