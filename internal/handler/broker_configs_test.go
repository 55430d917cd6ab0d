package handler

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/controller"
	"github.com/samsa-io/samsa/internal/metadata"
)

// AlterBrokerConfig stores what edit returns, as the controller does.
func (c *adminController) AlterBrokerConfig(_ context.Context, resource string, edit controller.BrokerConfigEdit, validateOnly bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := maps.Clone(c.brokerCfgs[resource])
	if cur == nil {
		cur = map[string]string{}
	}
	final, err := edit(cur)
	if err != nil || validateOnly {
		return err
	}
	if c.brokerCfgs == nil {
		c.brokerCfgs = map[string]map[string]string{}
	}
	c.brokerCfgs[resource] = final
	return nil
}

func TestIncrementalAlterBrokerConfigs(t *testing.T) {
	set, app := kmsg.IncrementalAlterConfigOpSet, kmsg.IncrementalAlterConfigOpAppend
	tests := []struct {
		name     string
		resource string
		ops      []incOp
		validate bool
		code     int16
		msg      string // prefix of the message
		stored   map[string]string
	}{
		{"per broker", "1", []incOp{{"log.cleaner.threads", set, strp("2")}}, false, 0, "", map[string]string{"log.cleaner.threads": "2"}},
		{"cluster default", "", []incOp{{"log.retention.ms", set, strp("604800000")}}, false, 0, "", map[string]string{"log.retention.ms": "604800000"}},
		{"validate only", "", []incOp{{"log.retention.ms", set, strp("604800000")}}, true, 0, "", nil},
		{"append to list", "", []incOp{{"log.cleanup.policy", app, strp("compact")}}, false, 0, "", map[string]string{"log.cleanup.policy": "delete,compact"}},
		{"unknown broker", "7", []incOp{{"log.cleaner.threads", set, strp("2")}}, false, 42, "Unexpected broker id, expected 1, but received 7", nil},
		{"forwarded for broker 2", "2", []incOp{{"log.cleaner.threads", set, strp("2")}}, false, 0, "", map[string]string{"log.cleaner.threads": "2"}},
		{"non-numeric broker", "x", []incOp{{"log.cleaner.threads", set, strp("2")}}, false, 42, "Node id must be an integer, but it is: x", nil},
		{"static keys", "1", []incOp{{"num.io.threads", set, strp("4")}, {"log.dirs", set, strp("/x")}, {"log.retention.ms", set, strp("1")}}, false, 42,
			"Cannot update these configs dynamically: [log.dirs, num.io.threads]", nil},
		{"not a number", "", []incOp{{"log.retention.ms", set, strp("abc")}}, false, 42, "Invalid value abc for configuration log.retention.ms: ", nil},
		{"out of range", "", []incOp{{"log.cleaner.threads", set, strp("0")}}, false, 42, "Invalid value 0 for configuration log.cleaner.threads: ", nil},
		{"more than double", "1", []incOp{{"log.cleaner.threads", set, strp("3")}}, false, 42,
			"Log cleaner threads cannot be increased to more than double the current value 1", nil},
		{"append to non-list", "", []incOp{{"log.segment.bytes", app, strp("1")}}, false, 40, "Config value append is not allowed for config key: log.segment.bytes", nil},
		{"null value", "", []incOp{{"log.retention.ms", set, nil}}, false, 42, "Null value not supported for : log.retention.ms", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, fc := newAdminHandler()
			req := incReq(kmsg.ConfigResourceTypeBroker, tt.resource, tt.ops...)
			req.ValidateOnly = tt.validate
			r := h.incrementalAlterConfigs(context.Background(), req).(*kmsg.IncrementalAlterConfigsResponse).Resources[0]
			if r.ErrorCode != tt.code || (tt.code != 0 && !strings.HasPrefix(msgOf(r.ErrorMessage), tt.msg)) {
				t.Fatalf("got %d %q, want %d %q", r.ErrorCode, msgOf(r.ErrorMessage), tt.code, tt.msg)
			}
			if got := fc.brokerCfgs[tt.resource]; !maps.Equal(got, tt.stored) || (tt.stored == nil) != (got == nil) {
				t.Errorf("stored %v, want %v", got, tt.stored)
			}
		})
	}
}

// A broker that is not the active controller refuses another broker's
// resource, and forwards only requests naming "" or itself.
func TestBrokerResourceOfAnotherBroker(t *testing.T) {
	h, fc := newAdminHandler()
	im := adminImage()
	im.ControllerID = 2
	h.Image = func() *metadata.Image { return im }
	req := incReq(kmsg.ConfigResourceTypeBroker, "2", incOp{"log.cleaner.threads", kmsg.IncrementalAlterConfigOpSet, strp("2")})
	if h.brokerResourcesForwardable(req) {
		t.Error("a request naming broker 2 is forwarded by broker 1")
	}
	r := h.incrementalAlterConfigs(context.Background(), req).(*kmsg.IncrementalAlterConfigsResponse).Resources[0]
	if r.ErrorCode != 42 || msgOf(r.ErrorMessage) != "Unexpected broker id, expected 1, but received 2" || fc.brokerCfgs != nil {
		t.Errorf("got %d %q, stored %v", r.ErrorCode, msgOf(r.ErrorMessage), fc.brokerCfgs)
	}
	for _, name := range []string{"", "1"} {
		if !h.brokerResourcesForwardable(incReq(kmsg.ConfigResourceTypeBroker, name)) {
			t.Errorf("a request naming %q is not forwarded", name)
		}
	}
}

// log.cleaner.threads moves by at most half or double what the broker
// runs with, its own value winning over the default.
func TestCleanerThreadsLimits(t *testing.T) {
	h, fc := newAdminHandler()
	im := adminImage()
	im.BrokerConfigs = map[string]map[string]string{"": {"log.cleaner.threads": "2"}, "1": {"log.cleaner.threads": "8"}}
	h.Image = func() *metadata.Image { return im }
	tests := []struct {
		resource, value string
		code            int16
		msg             string
	}{
		{"1", "16", 0, ""},
		{"1", "17", 42, "Log cleaner threads cannot be increased to more than double the current value 8"},
		{"1", "3", 42, "Log cleaner threads cannot be reduced to less than half the current value 8"},
		{"1", "4", 0, ""},
		{"", "1", 0, ""}, // broker 1 keeps its own 8
	}
	for _, tt := range tests {
		req := incReq(kmsg.ConfigResourceTypeBroker, tt.resource, incOp{"log.cleaner.threads", kmsg.IncrementalAlterConfigOpSet, &tt.value})
		req.ValidateOnly = true
		r := h.incrementalAlterConfigs(context.Background(), req).(*kmsg.IncrementalAlterConfigsResponse).Resources[0]
		if r.ErrorCode != tt.code || (tt.code != 0 && msgOf(r.ErrorMessage) != tt.msg) {
			t.Errorf("%q=%s: got %d %q, want %d %q", tt.resource, tt.value, r.ErrorCode, msgOf(r.ErrorMessage), tt.code, tt.msg)
		}
	}
	if fc.brokerCfgs != nil {
		t.Errorf("validate-only stored %v", fc.brokerCfgs)
	}
}

// A broker key left unset is described with the value the broker derived
// (advertised.listeners from listeners), not the built-in one.
func TestDescribeDerivedBrokerDefault(t *testing.T) {
	h, _ := newAdminHandler()
	h.Config.AdvertisedListeners = []config.Listener{{Name: "PLAINTEXT", Host: "node1.example", Port: 9092}}
	req := describeReq(kmsg.ConfigResourceTypeBroker, "1", []string{"advertised.listeners"})
	req.IncludeSynonyms = true
	r := describeOne(t, h, req)
	if len(r.Configs) != 1 {
		t.Fatalf("configs %+v", r.Configs)
	}
	c := r.Configs[0]
	want := []synonym{{"advertised.listeners", "PLAINTEXT://node1.example:9092", kmsg.ConfigSourceDefaultConfig}}
	if msgOf(c.Value) != want[0].value || !equalSynonyms(synonymsOf(c), want) {
		t.Errorf("advertised.listeners = %q synonyms %v, want %v", msgOf(c.Value), synonymsOf(c), want)
	}
}

// Legacy AlterConfigs replaces a broker resource's dynamic configs.
func TestAlterBrokerConfigsReplaces(t *testing.T) {
	h, fc := newAdminHandler()
	fc.brokerCfgs = map[string]map[string]string{"": {"log.retention.ms": "1", "log.segment.bytes": "2097152"}}
	req := kmsg.NewPtrAlterConfigsRequest()
	res := kmsg.NewAlterConfigsRequestResource()
	res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeBroker, ""
	c := kmsg.NewAlterConfigsRequestResourceConfig()
	c.Name, c.Value = "log.roll.ms", strp("60000")
	res.Configs = append(res.Configs, c)
	req.Resources = append(req.Resources, res)
	r := h.alterConfigs(context.Background(), req).(*kmsg.AlterConfigsResponse).Resources[0]
	if r.ErrorCode != 0 {
		t.Fatalf("got %d %s", r.ErrorCode, msgOf(r.ErrorMessage))
	}
	if want := map[string]string{"log.roll.ms": "60000"}; !maps.Equal(fc.brokerCfgs[""], want) {
		t.Errorf("stored %v, want %v", fc.brokerCfgs[""], want)
	}
}

type synonym struct {
	name, value string
	source      kmsg.ConfigSource
}

func synonymsOf(c kmsg.DescribeConfigsResponseResourceConfig) []synonym {
	var out []synonym
	for _, s := range c.ConfigSynonyms {
		out = append(out, synonym{s.Name, msgOf(s.Value), s.Source})
	}
	return out
}

// Dynamic broker configs appear with Kafka's sources and synonym chains,
// on the broker resources and among a topic config's synonyms.
func TestDescribeDynamicBrokerConfigs(t *testing.T) {
	h, _ := newAdminHandler()
	im := adminImage()
	im.BrokerConfigs = map[string]map[string]string{
		"":  {"log.retention.ms": "604800000", "log.cleaner.threads": "3", "log.segment.bytes": "2097152"},
		"1": {"log.cleaner.threads": "2"},
		"2": {"log.cleaner.threads": "5"},
	}
	h.Image = func() *metadata.Image { return im }
	dynB, dynD := kmsg.ConfigSourceDynamicBrokerConfig, kmsg.ConfigSourceDynamicDefaultBrokerConfig
	static, def := kmsg.ConfigSourceStaticBrokerConfig, kmsg.ConfigSourceDefaultConfig
	tests := []struct {
		typ      kmsg.ConfigResourceType
		resource string
		key      string
		value    string
		source   kmsg.ConfigSource
		synonyms []synonym
	}{
		{kmsg.ConfigResourceTypeBroker, "1", "log.cleaner.threads", "2", dynB,
			[]synonym{{"log.cleaner.threads", "2", dynB}, {"log.cleaner.threads", "3", dynD}, {"log.cleaner.threads", "1", def}}},
		{kmsg.ConfigResourceTypeBroker, "1", "log.segment.bytes", "2097152", dynD,
			[]synonym{{"log.segment.bytes", "2097152", dynD}, {"log.segment.bytes", "1048576", static}, {"log.segment.bytes", "1073741824", def}}},
		{kmsg.ConfigResourceTypeBroker, "", "log.cleaner.threads", "3", dynD, []synonym{{"log.cleaner.threads", "3", dynD}}},
		{kmsg.ConfigResourceTypeBroker, "", "log.segment.bytes", "2097152", dynD, []synonym{{"log.segment.bytes", "2097152", dynD}}},
		{kmsg.ConfigResourceTypeTopic, "logs", "retention.ms", "604800000", dynD, []synonym{{"log.retention.ms", "604800000", dynD}, {"log.retention.hours", "168", def}}},
		{kmsg.ConfigResourceTypeTopic, "logs", "segment.bytes", "2097152", dynD,
			[]synonym{{"log.segment.bytes", "2097152", dynD}, {"log.segment.bytes", "1048576", static}, {"log.segment.bytes", "1073741824", def}}},
	}
	for _, tt := range tests {
		req := describeReq(tt.typ, tt.resource, nil)
		req.IncludeSynonyms = true
		r := describeOne(t, h, req)
		if r.ErrorCode != 0 {
			t.Fatalf("%s %q: code %d %s", tt.typ, tt.resource, r.ErrorCode, msgOf(r.ErrorMessage))
		}
		got, ok := configsByName(r.Configs)[tt.key]
		if !ok || msgOf(got.Value) != tt.value || got.Source != tt.source {
			t.Errorf("%s %q %s = %q source %v (listed %v), want %q %v", tt.typ, tt.resource, tt.key, msgOf(got.Value), got.Source, ok, tt.value, tt.source)
		}
		if tt.typ == kmsg.ConfigResourceTypeBroker && got.ReadOnly {
			t.Errorf("%s %q %s is read-only", tt.typ, tt.resource, tt.key)
		}
		if s := synonymsOf(got); !equalSynonyms(s, tt.synonyms) {
			t.Errorf("%s %q %s synonyms %v, want %v", tt.typ, tt.resource, tt.key, s, tt.synonyms)
		}
	}
	r := describeOne(t, h, describeReq(kmsg.ConfigResourceTypeBroker, "", nil))
	if len(r.Configs) != 3 {
		t.Errorf("default resource lists %d configs, want the 3 dynamic defaults: %+v", len(r.Configs), r.Configs)
	}
}

func equalSynonyms(a, b []synonym) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
