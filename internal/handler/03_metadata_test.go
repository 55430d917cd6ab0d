package handler

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/controller"
	"github.com/samsa-io/samsa/internal/metadata"
)

// metadataReq asks for topics by name; names nil means a null list.
func metadataReq(version int16, allowAuto bool, names []string) *kmsg.MetadataRequest {
	req := kmsg.NewPtrMetadataRequest()
	req.SetVersion(version)
	req.AllowAutoTopicCreation = allowAuto
	if names != nil {
		req.Topics = []kmsg.MetadataRequestTopic{}
	}
	for _, n := range names {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = strp(n)
		req.Topics = append(req.Topics, rt)
	}
	return req
}

// metadata serves req and checks that the response encodes and decodes at
// its version.
func (dp *dataPath) metadata(req *kmsg.MetadataRequest) *kmsg.MetadataResponse {
	dp.t.Helper()
	resp := dp.h.metadata(context.Background(), req).(*kmsg.MetadataResponse)
	back := kmsg.NewPtrMetadataResponse()
	back.SetVersion(resp.Version)
	if err := back.ReadFrom(resp.AppendTo(nil)); err != nil {
		dp.t.Fatalf("v%d metadata response does not round-trip: %v", resp.Version, err)
	}
	return resp
}

func topicNames(resp *kmsg.MetadataResponse) []string {
	var out []string
	for _, t := range resp.Topics {
		out = append(out, msgOf(t.Topic))
	}
	return out
}

func newMetadataPath(t *testing.T) *dataPath {
	return newDataPath(t, dpTopic("b", 2, 2, nil), dpTopic("a", 1, 1, nil), dpTopic("__consumer_offsets", 3, 1, nil))
}

func TestMetadataBrokersAndCluster(t *testing.T) {
	dp := newMetadataPath(t)
	for _, v := range []int16{0, 1, 9, 12} {
		resp := dp.metadata(metadataReq(v, false, []string{}))
		want := []kmsg.MetadataResponseBroker{
			{NodeID: 1, Host: "h1", Port: 9092},
			{NodeID: 2, Host: "h2", Port: 9093, Rack: strp("r2")},
		}
		if len(resp.Brokers) != len(want) {
			t.Fatalf("v%d: brokers %+v, want the two live ones", v, resp.Brokers)
		}
		for i, b := range resp.Brokers {
			if b.NodeID != want[i].NodeID || b.Host != want[i].Host || b.Port != want[i].Port || msgOf(b.Rack) != msgOf(want[i].Rack) {
				t.Errorf("v%d: broker %d = %+v, want %+v", v, i, b, want[i])
			}
		}
		if msgOf(resp.ClusterID) != "dp-cluster" || resp.ControllerID != 1 {
			t.Errorf("v%d: cluster %q controller %d", v, msgOf(resp.ClusterID), resp.ControllerID)
		}
	}
}

func TestMetadataAllTopics(t *testing.T) {
	dp := newMetadataPath(t)
	want := []string{"__consumer_offsets", "a", "b"}
	if got := topicNames(dp.metadata(metadataReq(0, false, []string{}))); !reflect.DeepEqual(got, want) {
		t.Errorf("v0 empty list: %v, want all %v", got, want)
	}
	for _, v := range []int16{1, 4, 9, 10, 12} {
		if got := topicNames(dp.metadata(metadataReq(v, false, nil))); !reflect.DeepEqual(got, want) {
			t.Errorf("v%d null list: %v, want all %v", v, got, want)
		}
		if got := dp.metadata(metadataReq(v, true, []string{})); len(got.Topics) != 0 {
			t.Errorf("v%d empty list: %v, want none", v, topicNames(got))
		}
	}
	if len(dp.ctl.creates) != 0 {
		t.Fatalf("listing topics created %v", dp.ctl.creates)
	}
}

func TestMetadataTopicDetails(t *testing.T) {
	topic := &metadata.Topic{Name: "d", ID: [16]byte{0x44}, Partitions: []metadata.Partition{
		{Index: 0, Leader: 1, LeaderEpoch: 4, Replicas: []int32{1, 2}, ISR: []int32{1}},
		{Index: 1, Leader: 2, LeaderEpoch: 1, Replicas: []int32{2}, ISR: []int32{2}},
		{Index: 2, Leader: -1, LeaderEpoch: 7, Replicas: []int32{3}, ISR: []int32{}},
	}}
	dp := newDataPath(t, topic)
	resp := dp.metadata(metadataReq(12, false, []string{"d"}))
	if len(resp.Topics) != 1 {
		t.Fatalf("topics %v", topicNames(resp))
	}
	mt := resp.Topics[0]
	if mt.ErrorCode != 0 || msgOf(mt.Topic) != "d" || mt.TopicID != topic.ID || mt.IsInternal || len(mt.Partitions) != 3 {
		t.Fatalf("topic %+v", mt)
	}
	for i, mp := range mt.Partitions {
		pm := topic.Partitions[i]
		if mp.Partition != pm.Index || mp.Leader != pm.Leader || mp.LeaderEpoch != pm.LeaderEpoch ||
			!reflect.DeepEqual(mp.Replicas, pm.Replicas) || !reflect.DeepEqual(mp.ISR, pm.ISR) {
			t.Errorf("partition %d: %+v, want %+v", i, mp, pm)
		}
	}
	if c := mt.Partitions[0].ErrorCode; c != 0 {
		t.Errorf("partition led and open here: error %d", c)
	}
	if c := mt.Partitions[1].ErrorCode; c != 0 {
		t.Errorf("partition led by broker 2: error %d", c)
	}
	if c := mt.Partitions[2].ErrorCode; c != kerr.LeaderNotAvailable.Code {
		t.Errorf("partition without leader: error %d, want LEADER_NOT_AVAILABLE", c)
	}
}

func TestMetadataLeaderNotOpenYet(t *testing.T) {
	dp := newDataPath(t)
	// The image names node 1 leader of a partition the manager has not opened.
	dp.im.Store(dpImage(dpTopic("new", 5, 1, nil)))
	mp := dp.metadata(metadataReq(12, false, []string{"new"})).Topics[0].Partitions[0]
	if mp.ErrorCode != kerr.LeaderNotAvailable.Code || mp.Leader != 1 {
		t.Fatalf("partition not yet open: %+v, want LEADER_NOT_AVAILABLE", mp)
	}
}

func TestMetadataByTopicID(t *testing.T) {
	dp := newMetadataPath(t)
	req := metadataReq(12, false, nil)
	empty := "" // the Java client sends an empty name with the id
	req.Topics = []kmsg.MetadataRequestTopic{{TopicID: [16]byte{0xD0, 2}}, {TopicID: [16]byte{0xEE}},
		{Topic: &empty, TopicID: [16]byte{0xD0, 2}}}
	resp := dp.metadata(req)
	if len(resp.Topics) != 3 {
		t.Fatalf("%d topics answered, want 3", len(resp.Topics))
	}
	if got := resp.Topics[2]; got.ErrorCode != 0 || msgOf(got.Topic) != "b" {
		t.Errorf("known id with an empty name: %+v", got)
	}
	if got := resp.Topics[0]; got.ErrorCode != 0 || msgOf(got.Topic) != "b" || len(got.Partitions) != 2 {
		t.Errorf("known id: %+v", got)
	}
	if got := resp.Topics[1]; got.ErrorCode != kerr.UnknownTopicID.Code || got.TopicID != [16]byte{0xEE} {
		t.Errorf("unknown id: %+v, want UNKNOWN_TOPIC_ID", got)
	}
}

func TestMetadataNamedTopics(t *testing.T) {
	dp := newMetadataPath(t)
	dp.h.Config.AutoCreateTopicsEnable = false
	resp := dp.metadata(metadataReq(9, true, []string{"b", "missing", "a"}))
	if got := topicNames(resp); !reflect.DeepEqual(got, []string{"b", "missing", "a"}) {
		t.Fatalf("topics %v, want in request order", got)
	}
	codes := []int16{0, kerr.UnknownTopicOrPartition.Code, 0}
	for i, mt := range resp.Topics {
		if mt.ErrorCode != codes[i] {
			t.Errorf("%s: error %d, want %d", msgOf(mt.Topic), mt.ErrorCode, codes[i])
		}
	}
	if len(dp.ctl.creates) != 0 {
		t.Fatalf("auto-create disabled, but created %v", dp.ctl.creates)
	}
}

func TestMetadataAutoCreate(t *testing.T) {
	tests := []struct {
		version   int16
		allow     bool
		enabled   bool
		wantCode  int16
		wantCalls int
	}{
		{12, true, true, kerr.LeaderNotAvailable.Code, 1},
		{4, true, true, kerr.LeaderNotAvailable.Code, 1},
		{12, false, true, kerr.UnknownTopicOrPartition.Code, 0},
		{3, false, true, kerr.LeaderNotAvailable.Code, 1}, // before v4 creation is implied
		{0, false, true, kerr.LeaderNotAvailable.Code, 1},
		{12, true, false, kerr.UnknownTopicOrPartition.Code, 0},
		{3, false, false, kerr.UnknownTopicOrPartition.Code, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("v%d_allow=%v_enabled=%v", tt.version, tt.allow, tt.enabled), func(t *testing.T) {
			dp := newMetadataPath(t)
			dp.h.Config.AutoCreateTopicsEnable = tt.enabled
			mt := dp.metadata(metadataReq(tt.version, tt.allow, []string{"fresh"})).Topics[0]
			if mt.ErrorCode != tt.wantCode || msgOf(mt.Topic) != "fresh" || len(mt.Partitions) != 0 {
				t.Fatalf("topic %+v, want error %d", mt, tt.wantCode)
			}
			if len(dp.ctl.creates) != tt.wantCalls {
				t.Fatalf("%d CreateTopic calls, want %d", len(dp.ctl.creates), tt.wantCalls)
			}
			if tt.wantCalls == 1 {
				c := dp.ctl.creates[0]
				if c.Name != "fresh" || c.NumPartitions != 3 || c.ReplicationFactor != 1 || c.ValidateOnly ||
					len(c.Assignments) != 0 || len(c.Configs) != 0 {
					t.Fatalf("CreateTopic(%+v), want broker defaults (3 partitions, factor 1)", c)
				}
			}
		})
	}
}

func TestMetadataAutoCreateErrors(t *testing.T) {
	dp := newMetadataPath(t)
	dp.ctl.errs["raced"] = &kindError{controller.ErrTopicExists, "Topic 'raced' already exists."}
	dp.ctl.errs["nc"] = &kindError{controller.ErrNotController, "not the controller"}
	resp := dp.metadata(metadataReq(12, true, []string{"raced", "nc", "bad name", "..", ""}))
	want := []int16{kerr.LeaderNotAvailable.Code, kerr.NotController.Code, kerr.InvalidTopicException.Code,
		kerr.InvalidTopicException.Code, kerr.InvalidTopicException.Code}
	for i, mt := range resp.Topics {
		if mt.ErrorCode != want[i] {
			t.Errorf("%q: error %d, want %d", msgOf(mt.Topic), mt.ErrorCode, want[i])
		}
	}
	if len(dp.ctl.creates) != 2 {
		t.Fatalf("CreateTopic called %d times, want 2 (never for invalid names)", len(dp.ctl.creates))
	}
	// An invalid name is INVALID_TOPIC_EXCEPTION with creation disabled too.
	dp.h.Config.AutoCreateTopicsEnable = false
	if mt := dp.metadata(metadataReq(12, true, []string{"a/b"})).Topics[0]; mt.ErrorCode != kerr.InvalidTopicException.Code {
		t.Fatalf("invalid name, creation disabled: error %d", mt.ErrorCode)
	}
}

func TestMetadataInternalTopic(t *testing.T) {
	dp := newMetadataPath(t)
	resp := dp.metadata(metadataReq(12, false, []string{"__consumer_offsets", "a"}))
	if !resp.Topics[0].IsInternal || resp.Topics[1].IsInternal {
		t.Fatalf("internal flags %v %v, want true false", resp.Topics[0].IsInternal, resp.Topics[1].IsInternal)
	}
}

// Kafka marks only its own internal topics (__consumer_offsets,
// __transaction_state, __share_group_state: Topic.isInternal) as internal;
// a user topic whose name starts with "__" is an ordinary topic, listed by
// kafka-topics --list --exclude-internal.
func TestMetadataUserTopicWithUnderscoresNotInternal(t *testing.T) {
	dp := newDataPath(t, dpTopic("__x", 1, 1, nil))
	if mt := dp.metadata(metadataReq(12, false, []string{"__x"})).Topics[0]; mt.IsInternal {
		t.Fatalf("user topic __x reported internal")
	}
}

// TestMetadataAutoCreateForwarded: a broker that is not the active
// controller forwards the auto-creation to it (as Kafka's brokers do) and
// answers LEADER_NOT_AVAILABLE, which clients retry, not NOT_CONTROLLER.
func TestMetadataAutoCreateForwarded(t *testing.T) {
	dp := newMetadataPath(t)
	dp.ctl.errs["fresh"] = &kindError{controller.ErrNotController, "not the controller"}
	var forwarded []string
	dp.h.Forward = func(ctx context.Context, req kmsg.Request) (kmsg.Response, error) {
		ct := req.(*kmsg.CreateTopicsRequest)
		forwarded = append(forwarded, fmt.Sprintf("%s/%d/%d", ct.Topics[0].Topic, ct.Topics[0].NumPartitions, ct.Topics[0].ReplicationFactor))
		resp := ct.ResponseKind().(*kmsg.CreateTopicsResponse)
		rt := kmsg.NewCreateTopicsResponseTopic()
		rt.Topic = ct.Topics[0].Topic
		resp.Topics = append(resp.Topics, rt)
		return resp, nil
	}
	mt := dp.metadata(metadataReq(12, true, []string{"fresh"})).Topics[0]
	if mt.ErrorCode != kerr.LeaderNotAvailable.Code {
		t.Fatalf("error %d, want LEADER_NOT_AVAILABLE", mt.ErrorCode)
	}
	if !reflect.DeepEqual(forwarded, []string{"fresh/3/1"}) {
		t.Fatalf("forwarded %v, want fresh with the broker defaults (3 partitions, factor 1)", forwarded)
	}
}

// TestMetadataAutoCreateInternalTopics: like Kafka's auto topic creation,
// a Metadata request naming a missing __consumer_offsets or
// __transaction_state creates it with its own partition count, replication
// factor and configs, as FindCoordinator would, not with num.partitions
// (sarama's transactional producer asks for __consumer_offsets first; with
// num.partitions=1 every group hashing past partition 0 had no coordinator
// forever). Too few live brokers is INVALID_REPLICATION_FACTOR.
func TestMetadataAutoCreateInternalTopics(t *testing.T) {
	dp := newMetadataPath(t)
	dp.setImage(dpImage(dpTopic("a", 1, 1, nil)))
	dp.h.Config.OffsetsTopicNumPartitions, dp.h.Config.OffsetsTopicReplicationFactor = 7, 1
	dp.h.Config.TransactionStateLogNumPartitions, dp.h.Config.TransactionStateLogReplicationFactor = 5, 1
	resp := dp.metadata(metadataReq(12, true, []string{"__consumer_offsets", "__transaction_state"}))
	for _, mt := range resp.Topics {
		if mt.ErrorCode != kerr.LeaderNotAvailable.Code {
			t.Errorf("%s: error %d, want LEADER_NOT_AVAILABLE", msgOf(mt.Topic), mt.ErrorCode)
		}
	}
	var got []string
	for _, c := range dp.ctl.creates {
		got = append(got, fmt.Sprintf("%s/%d/%d/%s", c.Name, c.NumPartitions, c.ReplicationFactor, c.Configs["cleanup.policy"]))
	}
	if want := []string{"__consumer_offsets/7/1/compact", "__transaction_state/5/1/compact"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("created %v, want %v", got, want)
	}

	dp.ctl.creates = nil
	dp.h.Config.OffsetsTopicReplicationFactor = 3
	mt := dp.metadata(metadataReq(12, true, []string{"__consumer_offsets"})).Topics[0]
	if mt.ErrorCode != kerr.InvalidReplicationFactor.Code || len(dp.ctl.creates) != 0 {
		t.Fatalf("offsets topic with factor 3 on one broker: error %d, %d creations; want INVALID_REPLICATION_FACTOR, none",
			mt.ErrorCode, len(dp.ctl.creates))
	}
}
