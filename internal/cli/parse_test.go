package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestParseKVs(t *testing.T) {
	got, err := parseKVs("--property", []string{"print.key=true", "key.separator==", "a= b "})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"print.key": "true", "key.separator": "=", "a": " b "}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for _, bad := range []string{"novalue", "=x"} {
		if _, err := parseKVs("--config", []string{bad}); err == nil {
			t.Errorf("parseKVs(%q) gave no error", bad)
		}
	}
}

func TestSplitConfigList(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{"", nil, false},
		{"a=1", []string{"a=1"}, false},
		{"a=1,b=2", []string{"a=1", "b=2"}, false},
		{"cleanup.policy=[compact,delete],retention.ms=5", []string{"cleanup.policy=compact,delete", "retention.ms=5"}, false},
		{"a=[1,2", nil, true},
		{"a=1]", nil, true},
	}
	for _, tt := range tests {
		got, err := splitConfigList(tt.in)
		if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitConfigList(%q) = %q, %v; want %q, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseReplicaAssignment(t *testing.T) {
	tests := []struct {
		in      string
		want    [][]int32
		wantErr bool
	}{
		{"", nil, false},
		{"1", [][]int32{{1}}, false},
		{"0:1:2,1:2:0", [][]int32{{0, 1, 2}, {1, 2, 0}}, false},
		{"0:1,2", nil, true},
		{"0:0", nil, true},
		{"a:1", nil, true},
		{"-1", nil, true},
	}
	for _, tt := range tests {
		got, err := parseReplicaAssignment(tt.in)
		if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseReplicaAssignment(%q) = %v, %v; want %v, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestTopicMatcher(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"", "anything", true},
		{"orders", "orders", true},
		{"orders", "orders2", false},
		{"orders.*", "orders-eu", true},
		{"a.b", "aXb", true}, // a regular expression, as in Kafka
		{"ord[", "ord[", true},
		{"ord[", "ord", false},
	}
	for _, tt := range tests {
		if got := topicMatcher(tt.pattern)(tt.name); got != tt.want {
			t.Errorf("topicMatcher(%q)(%q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

func TestValidateTopicName(t *testing.T) {
	for name, ok := range map[string]bool{"orders": true, "a.b_c-D9": true, "": false, ".": false, "..": false, "a b": false, "ä": false} {
		if err := validateTopicName(name); (err == nil) != ok {
			t.Errorf("validateTopicName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

func TestLoadPropertiesAndClientConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "client.properties")
	if err := os.WriteFile(path, []byte("# comment\nbootstrap.servers=h1:9092, h2:9092\nrequest.timeout.ms : 1500\nclient.id=me\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cc, err := newClientConfig("", path, map[string]string{"client.id": "flag"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cc.seeds, []string{"h1:9092", "h2:9092"}) || cc.timeout.Milliseconds() != 1500 || cc.props["client.id"] != "flag" {
		t.Fatalf("got seeds %q timeout %v client.id %q", cc.seeds, cc.timeout, cc.props["client.id"])
	}
	if _, err := newClientConfig("", "", nil); err == nil {
		t.Error("no bootstrap server accepted")
	}
	if _, err := newClientConfig("h:1", "", map[string]string{"request.timeout.ms": "soon"}); err == nil {
		t.Error("bad request.timeout.ms accepted")
	}
	cc, _ = newClientConfig("h:1", "", map[string]string{"security.protocol": "SASL_SSL"})
	if _, err := cc.baseOpts(); err == nil {
		t.Error("security.protocol=SASL_SSL without sasl.jaas.config accepted")
	}
}

func TestProducerOpts(t *testing.T) {
	tests := []struct {
		props   map[string]string
		wantErr bool
	}{
		{map[string]string{}, false},
		{map[string]string{"acks": "all", "linger.ms": "5", "batch.size": "16384", "compression.type": "zstd"}, false},
		{map[string]string{"acks": "1"}, false},
		{map[string]string{"acks": "0", "enable.idempotence": "false"}, false},
		{map[string]string{"acks": "1", "enable.idempotence": "true"}, true},
		{map[string]string{"acks": "2"}, true},
		{map[string]string{"compression.type": "brotli"}, true},
		{map[string]string{"linger.ms": "-3"}, true},
		{map[string]string{"enable.idempotence": "maybe"}, true},
	}
	for _, tt := range tests {
		if _, err := producerOpts(tt.props); (err != nil) != tt.wantErr {
			t.Errorf("producerOpts(%v) err = %v, wantErr %v", tt.props, err, tt.wantErr)
		}
	}
	if _, err := consumerOpts(map[string]string{"isolation.level": "read_committed", "fetch.max.bytes": "1024"}); err != nil {
		t.Error(err)
	}
	if _, err := consumerOpts(map[string]string{"isolation.level": "dirty"}); err == nil {
		t.Error("bad isolation.level accepted")
	}
}
