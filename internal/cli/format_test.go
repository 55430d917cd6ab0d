package cli

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestLineReader(t *testing.T) {
	tests := []struct {
		props   map[string]string
		line    string
		key     []byte
		value   []byte
		headers []kgo.RecordHeader
		wantErr bool
	}{
		{nil, "hello", nil, []byte("hello"), nil, false},
		{nil, "", nil, []byte{}, nil, false},
		{map[string]string{"parse.key": "true"}, "k\tv", []byte("k"), []byte("v"), nil, false},
		{map[string]string{"parse.key": "true", "key.separator": ":"}, "id-1:{\"a\":1}", []byte("id-1"), []byte(`{"a":1}`), nil, false},
		{map[string]string{"parse.key": "true"}, "no-separator", nil, nil, nil, true},
		{map[string]string{"parse.key": "true", "ignore.error": "true"}, "no-separator", nil, []byte("no-separator"), nil, false},
		{map[string]string{"parse.key": "true", "null.marker": "NULL"}, "NULL\tv", nil, []byte("v"), nil, false},
		{map[string]string{"null.marker": "NULL"}, "NULL", nil, nil, nil, false},
		{map[string]string{"parse.headers": "true", "parse.key": "true"}, "h1:v1,h2\tk\tv", []byte("k"), []byte("v"),
			[]kgo.RecordHeader{{Key: "h1", Value: []byte("v1")}, {Key: "h2"}}, false},
		{map[string]string{"parse.headers": "true"}, "no headers", nil, nil, nil, true},
	}
	for _, tt := range tests {
		r, err := newLineReader(tt.props).parse(tt.line, 7)
		if (err != nil) != tt.wantErr {
			t.Fatalf("parse(%q) with %v: err %v, wantErr %v", tt.line, tt.props, err, tt.wantErr)
		}
		if err != nil {
			if !strings.Contains(err.Error(), "line number 7") {
				t.Errorf("error %q does not name the line", err)
			}
			continue
		}
		if !bytes.Equal(r.Key, tt.key) || (r.Key == nil) != (tt.key == nil) {
			t.Errorf("parse(%q) key = %q, want %q", tt.line, r.Key, tt.key)
		}
		if !bytes.Equal(r.Value, tt.value) || (r.Value == nil) != (tt.value == nil) {
			t.Errorf("parse(%q) value = %q, want %q", tt.line, r.Value, tt.value)
		}
		if !reflect.DeepEqual(r.Headers, tt.headers) {
			t.Errorf("parse(%q) headers = %v, want %v", tt.line, r.Headers, tt.headers)
		}
	}
}

func TestMessageFormatter(t *testing.T) {
	rec := &kgo.Record{Key: []byte("k"), Value: []byte("v"), Partition: 2, Offset: 41,
		Timestamp: time.UnixMilli(1700000000123), Headers: []kgo.RecordHeader{{Key: "a", Value: []byte("1")}, {Key: "b"}}}
	tests := []struct {
		props map[string]string
		rec   *kgo.Record
		want  string
	}{
		{nil, rec, "v\n"},
		{map[string]string{"print.key": "true"}, rec, "k\tv\n"},
		{map[string]string{"print.key": "true", "key.separator": ":"}, rec, "k:v\n"},
		{map[string]string{"print.key": "true"}, &kgo.Record{Value: []byte("v")}, "null\tv\n"},
		{map[string]string{"print.timestamp": "true", "print.partition": "true", "print.offset": "true", "print.headers": "true", "print.key": "true"},
			rec, "CreateTime:1700000000123\tPartition:2\tOffset:41\ta:1,b:null\tk\tv\n"},
		{map[string]string{"print.headers": "true"}, &kgo.Record{Value: []byte("v")}, "NO_HEADERS\tv\n"},
		{map[string]string{"print.key": "true", "print.value": "false"}, rec, "k\n"},
		{map[string]string{"print.offset": "true", "print.value": "false"}, rec, "Offset:41\n"},
		{map[string]string{"null.literal": "<nil>", "line.separator": "|"}, &kgo.Record{}, "<nil>|"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		f, err := newMessageFormatter("", tt.props, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.format(&buf, tt.rec); err != nil {
			t.Fatal(err)
		}
		if buf.String() != tt.want {
			t.Errorf("props %v: got %q, want %q", tt.props, buf.String(), tt.want)
		}
	}
}

func TestFormatTopicAndPartitionLines(t *testing.T) {
	d := kadm.TopicDetail{Topic: "t", ID: [16]byte{1}, Partitions: kadm.PartitionDetails{
		0: {Topic: "t", Partition: 0, Leader: 1, Replicas: []int32{1, 2}, ISR: []int32{1, 2}},
		1: {Topic: "t", Partition: 1, Leader: -1, Replicas: []int32{2, 1}, ISR: []int32{}, OfflineReplicas: []int32{2}},
	}}
	got := formatTopicLine(d, []string{"cleanup.policy=compact", "retention.ms=5"})
	want := "Topic: t\tTopicId: AQAAAAAAAAAAAAAAAAAAAA\tPartitionCount: 2\tReplicationFactor: 2\tConfigs: cleanup.policy=compact,retention.ms=5"
	if got != want {
		t.Errorf("topic line\n got %q\nwant %q", got, want)
	}
	ps := d.Partitions.Sorted()
	if got, want := formatPartitionLine(ps[0], nil), "\tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1,2"; got != want {
		t.Errorf("partition line\n got %q\nwant %q", got, want)
	}
	if got, want := formatPartitionLine(ps[1], nil), "\tTopic: t\tPartition: 1\tLeader: none\tReplicas: 2,1\tIsr: \tOffline: 2"; got != want {
		t.Errorf("partition line\n got %q\nwant %q", got, want)
	}
	// With ELR lists (DescribeTopicPartitions served), Kafka 4.4's columns.
	elrs := map[string]map[int32]elrLists{"t": {1: {elr: []int32{2}, lastKnown: []int32{1}}}}
	if got, want := formatPartitionLine(ps[0], elrs), "\tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1,2\tElr: \tLastKnownElr: "; got != want {
		t.Errorf("partition line\n got %q\nwant %q", got, want)
	}
	if got, want := formatPartitionLine(ps[1], elrs), "\tTopic: t\tPartition: 1\tLeader: none\tReplicas: 2,1\tIsr: \tElr: 2\tLastKnownElr: 1\tOffline: 2"; got != want {
		t.Errorf("partition line\n got %q\nwant %q", got, want)
	}
}

func TestNonDefaultConfigs(t *testing.T) {
	v := func(s string) *string { return &s }
	cs := []kadm.Config{
		{Key: "segment.bytes", Value: v("1073741824"), Source: kmsg.ConfigSourceStaticBrokerConfig},
		{Key: "retention.ms", Value: v("5"), Source: kmsg.ConfigSourceDynamicTopicConfig},
		{Key: "cleanup.policy", Value: v("delete"), Source: kmsg.ConfigSourceDefaultConfig},
		{Key: "sasl.secret", Value: nil, Sensitive: true, Source: kmsg.ConfigSourceDynamicTopicConfig},
	}
	got := nonDefaultConfigs(cs)
	want := []string{"retention.ms=5", "sasl.secret=null", "segment.bytes=1073741824"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestFormatConfigDescription(t *testing.T) {
	v := func(s string) *string { return &s }
	cs := []kadm.Config{
		{Key: "retention.ms", Value: v("5"), Source: kmsg.ConfigSourceDynamicTopicConfig, Synonyms: []kadm.ConfigSynonym{
			{Key: "retention.ms", Value: v("5"), Source: kmsg.ConfigSourceDynamicTopicConfig},
			{Key: "log.retention.ms", Value: v("604800000"), Source: kmsg.ConfigSourceDefaultConfig}}},
		{Key: "cleanup.policy", Value: v("delete"), Source: kmsg.ConfigSourceDefaultConfig},
	}
	got := formatConfigDescription("topic t", false, kmsg.ConfigSourceDynamicTopicConfig, cs)
	want := "Dynamic configs for topic t are:\n  retention.ms=5 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=5, DEFAULT_CONFIG:log.retention.ms=604800000}\n"
	if got != want {
		t.Errorf("dynamic:\n got %q\nwant %q", got, want)
	}
	got = formatConfigDescription("topic t", true, kmsg.ConfigSourceDynamicTopicConfig, cs)
	if !strings.HasPrefix(got, "All configs for topic t are:\n  cleanup.policy=delete sensitive=false synonyms={}\n  retention.ms=5") {
		t.Errorf("all:\n%s", got)
	}
	if got := formatConfigDescription("", false, kmsg.ConfigSourceDynamicDefaultBrokerConfig, nil); got != "Default configs for brokers in the cluster are:\n" {
		t.Errorf("default: %q", got)
	}
}

func TestAPIVersionText(t *testing.T) {
	tests := []struct {
		key       kmsg.ApiVersionsResponseApiKey
		wantStart string
	}{
		{kmsg.ApiVersionsResponseApiKey{ApiKey: 0, MinVersion: 0, MaxVersion: 9}, "Produce(0): 0 to 9 [usable: 9]"},
		{kmsg.ApiVersionsResponseApiKey{ApiKey: 18, MinVersion: 3, MaxVersion: 3}, "ApiVersions(18): 3 [usable: 3]"},
		{kmsg.ApiVersionsResponseApiKey{ApiKey: 22, MinVersion: 0, MaxVersion: 4}, "InitProducerId(22): 0 to 4 [usable: 4]"},
		{kmsg.ApiVersionsResponseApiKey{ApiKey: 0, MinVersion: 0, MaxVersion: 999}, "Produce(0): 0 to 999 [usable: "},
		{kmsg.ApiVersionsResponseApiKey{ApiKey: 0, MinVersion: 900, MaxVersion: 999}, "Produce(0): 900 to 999 [unusable: node too new]"},
		{kmsg.ApiVersionsResponseApiKey{ApiKey: 9999, MinVersion: 0, MaxVersion: 1}, "UNKNOWN(9999): 0 to 1"},
	}
	for _, tt := range tests {
		if got := apiVersionText(tt.key); !strings.HasPrefix(got, tt.wantStart) {
			t.Errorf("got %q, want prefix %q", got, tt.wantStart)
		}
	}
	b := kgo.BrokerMetadata{NodeID: 1, Host: "localhost", Port: 9092}
	got := formatNodeAPIVersions(b, []kmsg.ApiVersionsResponseApiKey{{ApiKey: 1, MaxVersion: 4}, {ApiKey: 0, MaxVersion: 3}})
	want := "localhost:9092 (id: 1 rack: null) -> (\n\tProduce(0): 0 to 3 [usable: 3],\n\tFetch(1): 0 to 4 [usable: 4]\n)"
	if got != want {
		t.Errorf("node text\n got %q\nwant %q", got, want)
	}
}

func TestPerfStats(t *testing.T) {
	var buf bytes.Buffer
	start := time.Unix(1000, 0)
	now := start
	s := newPerfStats(&buf, 5*time.Second, func() time.Time { return now })
	for i := 1; i <= 1000; i++ {
		now = start.Add(time.Duration(i) * time.Millisecond)
		s.record(time.Duration(i%100)*time.Millisecond, 1024, now)
	}
	if buf.Len() != 0 {
		t.Fatalf("window printed before the interval: %q", buf.String())
	}
	now = start.Add(5 * time.Second)
	s.record(200*time.Millisecond, 1024, now)
	wantWindow := "1001 records sent, 200.2 records/sec (0.20 MB/sec), 49.7 ms avg latency, 200.0 ms max latency.\n"
	if buf.String() != wantWindow {
		t.Fatalf("window line\n got %q\nwant %q", buf.String(), wantWindow)
	}
	buf.Reset()
	now = start.Add(10 * time.Second)
	s.final()
	want := "1001 records sent, 100.100000 records/sec (0.10 MB/sec), 49.65 ms avg latency, 200.00 ms max latency, 50 ms 50th, 95 ms 95th, 99 ms 99th, 99 ms 99.9th.\n"
	if buf.String() != want {
		t.Fatalf("final line\n got %q\nwant %q", buf.String(), want)
	}
}

func TestConsumerPerfFormat(t *testing.T) {
	start := time.Date(2024, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	end := start.Add(2 * time.Second)
	got := consumerPerfLine("yyyy-MM-dd HH:mm:ss:SSS", start, end, 10<<20, 1000, 500*time.Millisecond)
	want := "2024-01-02 03:04:05:006, 2024-01-02 03:04:07:006, 10.0000, 5.0000, 1000, 500.0000, 500, 1500, 6.6667, 666.6667"
	if got != want {
		t.Errorf("result line\n got %q\nwant %q", got, want)
	}
	if h := consumerPerfHeader(false); !strings.HasPrefix(h, "start.time, end.time, data.consumed.in.MB") {
		t.Errorf("header %q", h)
	}
	prev := progress{at: start}
	cur := progress{at: start.Add(time.Second), count: 100, bytes: 1 << 20}
	if got, want := consumerPerfProgress("HH:mm:ss", prev, cur), "03:04:06, 0, 1.0000, 1.0000, 100, 100.0000, 0, 1000, 1.0000, 100.0000"; got != want {
		t.Errorf("progress\n got %q\nwant %q", got, want)
	}
	if got := formatJavaTime(start, "yy/M/d 'at' H"); got != "24/1/2 at 3" {
		t.Errorf("java time %q", got)
	}
}
