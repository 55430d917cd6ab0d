package handler

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/controller"
	"github.com/samsa-io/samsa/internal/metadata"
)

func createReq(version int16, topics ...kmsg.CreateTopicsRequestTopic) *kmsg.CreateTopicsRequest {
	req := kmsg.NewPtrCreateTopicsRequest()
	req.Version = version
	req.TimeoutMillis = 5000
	req.Topics = topics
	return req
}

func newTopic(name string, partitions int32, rf int16, kv ...string) kmsg.CreateTopicsRequestTopic {
	t := kmsg.NewCreateTopicsRequestTopic()
	t.Topic, t.NumPartitions, t.ReplicationFactor = name, partitions, rf
	for i := 0; i+1 < len(kv); i += 2 {
		c := kmsg.NewCreateTopicsRequestTopicConfig()
		c.Name, c.Value = kv[i], strp(kv[i+1])
		t.Configs = append(t.Configs, c)
	}
	return t
}

func TestCreateTopicsHappyPath(t *testing.T) {
	h, fc := newAdminHandler()
	resp := h.createTopics(context.Background(), createReq(7, newTopic("new", 4, 2, "retention.ms", "5000"))).(*kmsg.CreateTopicsResponse)
	if len(resp.Topics) != 1 {
		t.Fatalf("got %d topics, want 1", len(resp.Topics))
	}
	rt := resp.Topics[0]
	if rt.ErrorCode != 0 || rt.ErrorMessage != nil {
		t.Fatalf("error %d %q", rt.ErrorCode, msgOf(rt.ErrorMessage))
	}
	if len(fc.creates) != 1 || fc.creates[0].NumPartitions != 4 || fc.creates[0].ReplicationFactor != 2 ||
		fc.creates[0].Configs["retention.ms"] != "5000" || fc.creates[0].ValidateOnly {
		t.Fatalf("controller got %+v", fc.creates)
	}
	if !fc.deadline {
		t.Error("controller call had no deadline from TimeoutMillis")
	}
	if rt.TopicID == ([16]byte{}) || rt.NumPartitions != 4 || rt.ReplicationFactor != 2 {
		t.Errorf("response id %x partitions %d rf %d", rt.TopicID, rt.NumPartitions, rt.ReplicationFactor)
	}
	sources := map[string]int8{}
	values := map[string]string{}
	for _, c := range rt.Configs {
		sources[c.Name], values[c.Name] = c.Source, msgOf(c.Value)
	}
	checks := []struct {
		name   string
		value  string
		source int8
	}{
		{"retention.ms", "5000", 1},         // the topic's own value
		{"segment.bytes", "1048576", 4},     // log.segment.bytes in server.properties
		{"cleanup.policy", "delete", 5},     // Kafka's default
		{"max.message.bytes", "1048588", 5}, // message.max.bytes default
	}
	for _, c := range checks {
		if values[c.name] != c.value || sources[c.name] != c.source {
			t.Errorf("config %s = %q source %d, want %q source %d", c.name, values[c.name], sources[c.name], c.value, c.source)
		}
	}
}

func TestCreateTopicsDefaultsAndVersions(t *testing.T) {
	tests := []struct {
		name       string
		version    int16
		partitions int32
		rf         int16
		wantCode   int16
		wantParts  int32
		wantRF     int16
	}{
		{"v4 defaults", 4, -1, -1, 0, 6, 2},
		{"v7 default partitions", 7, -1, 3, 0, 6, 3},
		// Kafka resolves -1 at every version; kafkajs sends it over v3.
		{"v3 default partitions and rf", 3, -1, -1, 0, 6, 2},
		{"v2 default rf", 2, 3, -1, 0, 3, 2},
		{"v3 -2 partitions", 3, -2, 1, 37, 0, 0},
		{"v3 zero rf", 3, 1, 0, 38, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, fc := newAdminHandler()
			resp := h.createTopics(context.Background(), createReq(tt.version, newTopic("t", tt.partitions, tt.rf))).(*kmsg.CreateTopicsResponse)
			if got := resp.Topics[0].ErrorCode; got != tt.wantCode {
				t.Fatalf("code %d, want %d (%s)", got, tt.wantCode, msgOf(resp.Topics[0].ErrorMessage))
			}
			if tt.wantCode != 0 {
				if len(fc.creates) != 0 {
					t.Fatalf("controller called for a rejected topic")
				}
				return
			}
			if c := fc.creates[0]; c.NumPartitions != tt.wantParts || c.ReplicationFactor != tt.wantRF {
				t.Fatalf("controller got partitions %d rf %d, want %d %d", c.NumPartitions, c.ReplicationFactor, tt.wantParts, tt.wantRF)
			}
			if tt.version < 5 && (resp.Topics[0].NumPartitions != -1 || resp.Topics[0].Configs != nil) {
				t.Errorf("v%d response carries v5 fields: %+v", tt.version, resp.Topics[0])
			}
		})
	}
}

func TestCreateTopicsErrors(t *testing.T) {
	nullCfg := newTopic("t", 1, 1)
	nullCfg.Configs = []kmsg.CreateTopicsRequestTopicConfig{{Name: "retention.ms"}}
	assignedAndCounted := newTopic("t", 2, -1)
	assignedAndCounted.ReplicaAssignment = []kmsg.CreateTopicsRequestTopicReplicaAssignment{{Partition: 0, Replicas: []int32{1}}}
	tests := []struct {
		name  string
		topic kmsg.CreateTopicsRequestTopic
		code  int16
		msg   string
	}{
		{"zero partitions", newTopic("t", 0, 1), 37, "Number of partitions was set to an invalid non-positive value."},
		{"negative rf", newTopic("t", 1, -2), 38, "Replication factor must be larger than 0, or -1 to use the default value."},
		{"bad name", newTopic("a b", 1, 1), 17, `Topic name "a b" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`},
		{"unknown config", newTopic("t", 1, 1, "no.such", "1"), 40, "Unknown topic config name: no.such"},
		{"bad config value", newTopic("t", 1, 1, "retention.ms", "soon"), 40, ""},
		{"null config value", nullCfg, 40, "Null value not supported for topic configs: retention.ms"},
		{"assignment with counts", assignedAndCounted, 42,
			"Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, fc := newAdminHandler()
			rt := h.createTopics(context.Background(), createReq(7, tt.topic)).(*kmsg.CreateTopicsResponse).Topics[0]
			if rt.ErrorCode != tt.code {
				t.Fatalf("code %d, want %d (%s)", rt.ErrorCode, tt.code, msgOf(rt.ErrorMessage))
			}
			if tt.msg != "" && msgOf(rt.ErrorMessage) != tt.msg {
				t.Errorf("message %q, want %q", msgOf(rt.ErrorMessage), tt.msg)
			}
			if rt.ErrorMessage == nil {
				t.Error("no error message")
			}
			if len(fc.creates) != 0 {
				t.Error("controller called for a rejected topic")
			}
		})
	}
}

func TestCreateTopicsManualAssignment(t *testing.T) {
	h, fc := newAdminHandler()
	topic := newTopic("t", -1, -1)
	topic.ReplicaAssignment = []kmsg.CreateTopicsRequestTopicReplicaAssignment{
		{Partition: 0, Replicas: []int32{1, 2}}, {Partition: 1, Replicas: []int32{2, 1}}}
	rt := h.createTopics(context.Background(), createReq(2, topic)).(*kmsg.CreateTopicsResponse).Topics[0]
	if rt.ErrorCode != 0 {
		t.Fatalf("code %d: %s", rt.ErrorCode, msgOf(rt.ErrorMessage))
	}
	got := fc.creates[0].Assignments
	if len(got) != 2 || got[1][0] != 2 || got[0][0] != 1 {
		t.Fatalf("controller got assignments %v", got)
	}
}

func TestCreateTopicsControllerErrors(t *testing.T) {
	rfMsg := "Unable to replicate the partition 2 time(s): The target replication factor of 2 cannot be reached because only 1 broker(s) are registered."
	tests := []struct {
		err  error
		code int16
		msg  string
	}{
		{&kindError{controller.ErrTopicExists, "Topic 'orders' already exists."}, 36, "Topic 'orders' already exists."},
		{&kindError{controller.ErrInvalidReplicationFactor, rfMsg}, 38, rfMsg},
		{&kindError{controller.ErrNotController, "not the controller"}, 41, "not the controller"},
	}
	for _, tt := range tests {
		h, fc := newAdminHandler()
		fc.errs["x"] = tt.err
		rt := h.createTopics(context.Background(), createReq(7, newTopic("x", 1, 2))).(*kmsg.CreateTopicsResponse).Topics[0]
		if rt.ErrorCode != tt.code || msgOf(rt.ErrorMessage) != tt.msg {
			t.Errorf("%v: got %d %q, want %d %q", tt.err, rt.ErrorCode, msgOf(rt.ErrorMessage), tt.code, tt.msg)
		}
		if rt.NumPartitions != -1 || rt.TopicID != ([16]byte{}) {
			t.Errorf("%v: failed topic carries partitions %d id %x", tt.err, rt.NumPartitions, rt.TopicID)
		}
	}
}

func TestCreateTopicsDuplicatesAndValidateOnly(t *testing.T) {
	h, fc := newAdminHandler()
	req := createReq(7, newTopic("dup", 1, 1), newTopic("ok", 1, 1), newTopic("dup", 2, 1))
	req.ValidateOnly = true
	resp := h.createTopics(context.Background(), req).(*kmsg.CreateTopicsResponse)
	if len(resp.Topics) != 2 {
		t.Fatalf("got %d results, want one per distinct name", len(resp.Topics))
	}
	byName := map[string]kmsg.CreateTopicsResponseTopic{}
	for _, rt := range resp.Topics {
		byName[rt.Topic] = rt
	}
	if d := byName["dup"]; d.ErrorCode != 42 || msgOf(d.ErrorMessage) != "Duplicate topic name." {
		t.Errorf("dup: %d %q", d.ErrorCode, msgOf(d.ErrorMessage))
	}
	if o := byName["ok"]; o.ErrorCode != 0 || o.NumPartitions != 1 {
		t.Errorf("ok: %+v", o)
	}
	if len(fc.creates) != 1 || fc.creates[0].Name != "ok" || !fc.creates[0].ValidateOnly {
		t.Errorf("controller got %+v, want only ok with ValidateOnly", fc.creates)
	}
}

func TestCreateTopicsTimeout(t *testing.T) {
	h, fc := newAdminHandler()
	fc.block = true
	req := createReq(7, newTopic("slow", 1, 1))
	req.TimeoutMillis = 20
	rt := h.createTopics(context.Background(), req).(*kmsg.CreateTopicsResponse).Topics[0]
	if rt.ErrorCode != 7 {
		t.Fatalf("code %d, want REQUEST_TIMED_OUT (7)", rt.ErrorCode)
	}
}

func TestCreateTopicsNameCollision(t *testing.T) {
	h, fc := newAdminHandler()
	im := h.Image()
	im.Topics["my.events"] = &metadata.Topic{Name: "my.events"}
	resp := h.createTopics(context.Background(), createReq(7, newTopic("my_events", 1, 1), newTopic("my.events2", 1, 1))).(*kmsg.CreateTopicsResponse)
	if rt := resp.Topics[0]; rt.ErrorCode != 17 || msgOf(rt.ErrorMessage) != "Topic 'my_events' collides with existing topic: my.events" {
		t.Errorf("my_events: %d %q", rt.ErrorCode, msgOf(rt.ErrorMessage))
	}
	if rt := resp.Topics[1]; rt.ErrorCode != 0 {
		t.Errorf("my.events2: %d %q", rt.ErrorCode, msgOf(rt.ErrorMessage))
	}
	if len(fc.creates) != 1 || fc.creates[0].Name != "my.events2" {
		t.Errorf("controller got %+v", fc.creates)
	}
}

// An existing topic is TOPIC_ALREADY_EXISTS before its requested counts are
// judged, as in Kafka (kafkajs asks for partitions -1 over v3, and any
// client may retry a create with other settings).
func TestCreateTopicsExistingBeforeCounts(t *testing.T) {
	h, fc := newAdminHandler()
	h.Image().Topics["orders"] = &metadata.Topic{Name: "orders"}
	resp := h.createTopics(context.Background(), createReq(3, newTopic("orders", 0, -5))).(*kmsg.CreateTopicsResponse)
	if rt := resp.Topics[0]; rt.ErrorCode != 36 || msgOf(rt.ErrorMessage) != "Topic 'orders' already exists." {
		t.Errorf("orders: %d %q, want TOPIC_ALREADY_EXISTS", rt.ErrorCode, msgOf(rt.ErrorMessage))
	}
	if len(fc.creates) != 0 {
		t.Errorf("controller got %+v", fc.creates)
	}
}

// Kafka's controller refuses a CreateTopics request of more than 10,000
// partitions in all (KAFKA-17870): every topic gets POLICY_VIOLATION and
// nothing is created. A huge count must not reach placement, which would
// allocate for every partition asked.
func TestCreateTopicsPartitionsPerRequestLimit(t *testing.T) {
	assign := newTopic("assigned", -1, -1)
	for i := range int32(2) {
		a := kmsg.NewCreateTopicsRequestTopicReplicaAssignment()
		a.Partition, a.Replicas = i, []int32{1}
		assign.ReplicaAssignment = append(assign.ReplicaAssignment, a)
	}
	for _, tt := range []struct {
		name    string
		topics  []kmsg.CreateTopicsRequestTopic
		refused bool
	}{
		{"exactly the limit", []kmsg.CreateTopicsRequestTopic{newTopic("a", 9_998, 1), assign}, false},
		{"one topic beyond", []kmsg.CreateTopicsRequestTopic{newTopic("a", 10_001, 1)}, true},
		{"the largest count", []kmsg.CreateTopicsRequestTopic{newTopic("a", 1<<31-1, 1), newTopic("b", 1<<31-1, 1)}, true},
		{"in all, assignments counted", []kmsg.CreateTopicsRequestTopic{newTopic("a", 9_999, 1), assign}, true},
		{"in all, num.partitions for -1", []kmsg.CreateTopicsRequestTopic{newTopic("a", 10_000, 1), newTopic("b", -1, 1)}, true},
		{"duplicates apart", []kmsg.CreateTopicsRequestTopic{newTopic("a", 10_000, 1), newTopic("d", 9, 1), newTopic("d", 9, 1)}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, fc := newAdminHandler()
			resp := h.createTopics(context.Background(), createReq(7, tt.topics...)).(*kmsg.CreateTopicsResponse)
			for _, rt := range resp.Topics {
				if rt.Topic == "d" {
					continue // INVALID_REQUEST, checked elsewhere
				}
				refused := rt.ErrorCode == kerr.PolicyViolation.Code
				if refused != tt.refused || (!refused && rt.ErrorCode != 0) {
					t.Errorf("%s: error %d %q, want refused=%v", rt.Topic, rt.ErrorCode, msgOf(rt.ErrorMessage), tt.refused)
				}
				if refused && msgOf(rt.ErrorMessage) != "Excessively large number of partitions per request." {
					t.Errorf("%s: message %q", rt.Topic, msgOf(rt.ErrorMessage))
				}
			}
			if tt.refused && len(fc.creates) != 0 {
				t.Errorf("the controller was asked to create %d topics", len(fc.creates))
			}
		})
	}
}
