package handler

import (
	"context"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/controller"
	"github.com/samsa-io/samsa/internal/metadata"
)

// fakeCluster records calls and answers with err (nil: success).
type fakeCluster struct {
	err        error
	registered []metadata.Broker
	beats      []controller.HeartbeatRequest
	alters     []controller.AlterPartitionRequest
}

func (f *fakeCluster) RegisterBrokerIncarnation(_ context.Context, b metadata.Broker, _ int64) (int64, error) {
	f.registered = append(f.registered, b)
	return 42, f.err
}

func (f *fakeCluster) BrokerHeartbeat(_ context.Context, r controller.HeartbeatRequest) (controller.HeartbeatResult, error) {
	f.beats = append(f.beats, r)
	return controller.HeartbeatResult{Fenced: r.WantFence, CaughtUp: r.MetadataOffset >= 42}, f.err
}

func (f *fakeCluster) AlterPartition(_ context.Context, r controller.AlterPartitionRequest) (metadata.Partition, error) {
	f.alters = append(f.alters, r)
	return metadata.Partition{Index: r.Partition, Leader: r.BrokerID, LeaderEpoch: r.LeaderEpoch,
		PartitionEpoch: r.PartitionEpoch + 1, ISR: r.ISR}, f.err
}

func TestBrokerRegistrationAndHeartbeat(t *testing.T) {
	dp := newDataPath(t)
	fc := &fakeCluster{}
	dp.h.Cluster = fc
	reg := kmsg.NewPtrBrokerRegistrationRequest()
	reg.BrokerID, reg.ClusterID = 2, "dp-cluster"
	l := kmsg.NewBrokerRegistrationRequestListener()
	l.Name, l.Host, l.Port = "PLAINTEXT", "h2", 9093
	reg.Listeners = append(reg.Listeners, l)
	resp := dp.h.brokerRegistration(context.Background(), reg).(*kmsg.BrokerRegistrationResponse)
	if resp.ErrorCode != 0 || resp.BrokerEpoch != 42 || len(fc.registered) != 1 ||
		!fc.registered[0].Equal(metadata.Broker{ID: 2, Host: "h2", Port: 9093, ListenerName: "PLAINTEXT",
			Endpoints: []metadata.Endpoint{{Name: "PLAINTEXT", Host: "h2", Port: 9093}}}) {
		t.Fatalf("registration: %+v, registered %+v", resp, fc.registered)
	}
	reg.ClusterID = "other"
	if r := dp.h.brokerRegistration(context.Background(), reg).(*kmsg.BrokerRegistrationResponse); r.ErrorCode != kerr.InconsistentClusterID.Code {
		t.Fatalf("foreign cluster id: error %d", r.ErrorCode)
	}
	hb := kmsg.NewPtrBrokerHeartbeatRequest()
	hb.BrokerID, hb.BrokerEpoch, hb.CurrentMetadataOffset = 2, 42, 41
	hr := dp.h.brokerHeartbeat(context.Background(), hb).(*kmsg.BrokerHeartbeatResponse)
	want := controller.HeartbeatRequest{BrokerID: 2, BrokerEpoch: 42, MetadataOffset: 41}
	if hr.ErrorCode != 0 || hr.IsFenced || hr.IsCaughtUp || !slices.Equal(fc.beats, []controller.HeartbeatRequest{want}) {
		t.Fatalf("heartbeat behind the registration: %+v beats %+v", hr, fc.beats)
	}
	hb.CurrentMetadataOffset, hb.WantShutdown = 42, true
	hr = dp.h.brokerHeartbeat(context.Background(), hb).(*kmsg.BrokerHeartbeatResponse)
	if hr.ErrorCode != 0 || !hr.IsFenced || !hr.IsCaughtUp || !hr.ShouldShutdown || !fc.beats[1].WantFence {
		t.Fatalf("shutdown heartbeat: %+v beats %+v", hr, fc.beats)
	}
	fc.err = controller.ErrStaleBrokerEpoch
	if hr := dp.h.brokerHeartbeat(context.Background(), hb).(*kmsg.BrokerHeartbeatResponse); hr.ErrorCode != kerr.StaleBrokerEpoch.Code {
		t.Fatalf("stale heartbeat: error %d", hr.ErrorCode)
	}
	fc.err = controller.ErrUnknownBroker
	if hr := dp.h.brokerHeartbeat(context.Background(), hb).(*kmsg.BrokerHeartbeatResponse); hr.ErrorCode != kerr.BrokerIDNotRegistered.Code {
		t.Fatalf("unregistered heartbeat: error %d", hr.ErrorCode)
	}
	fc.err = controller.ErrNotController
	if hr := dp.h.brokerHeartbeat(context.Background(), hb).(*kmsg.BrokerHeartbeatResponse); hr.ErrorCode != kerr.NotController.Code {
		t.Fatalf("heartbeat to a non-controller: error %d", hr.ErrorCode)
	}
	dp.h.Cluster = nil
	if r := dp.h.brokerRegistration(context.Background(), reg).(*kmsg.BrokerRegistrationResponse); r.ErrorCode != kerr.NotController.Code {
		t.Fatalf("registration without a controller: error %d", r.ErrorCode)
	}
}

func TestAlterPartitionVersions(t *testing.T) {
	topic := dpTopic("a", 1, 1, nil)
	dp := newDataPath(t, topic)
	fc := &fakeCluster{}
	dp.h.Cluster = fc
	for _, v := range []int16{0, 2, 3} {
		req := kmsg.NewPtrAlterPartitionRequest()
		req.SetVersion(v)
		req.BrokerID = 1
		rt := kmsg.NewAlterPartitionRequestTopic()
		rt.Topic, rt.TopicID = "a", topic.ID
		rp := kmsg.NewAlterPartitionRequestTopicPartition()
		rp.LeaderEpoch, rp.PartitionEpoch, rp.NewISR = 4, 7, []int32{1, 2}
		for _, id := range []int32{1, 2} {
			m := kmsg.NewAlterPartitionRequestTopicPartitionNewEpochISR()
			m.BrokerID = id
			rp.NewEpochISR = append(rp.NewEpochISR, m)
		}
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp := dp.h.alterPartition(context.Background(), req).(*kmsg.AlterPartitionResponse)
		got := fc.alters[len(fc.alters)-1]
		sp := resp.Topics[0].Partitions[0]
		if resp.ErrorCode != 0 || sp.ErrorCode != 0 || got.TopicID != topic.ID || !slices.Equal(got.ISR, []int32{1, 2}) ||
			got.LeaderEpoch != 4 || got.PartitionEpoch != 7 || sp.PartitionEpoch != 8 {
			t.Fatalf("v%d: sent %+v, answered %+v", v, got, sp)
		}
	}
	if got := fc.alters[0].BrokerEpoch; got != -1 {
		t.Fatalf("v0 request without a broker epoch passed %d, want the default -1", got)
	}
	fc.err = controller.ErrStaleBrokerEpoch
	stale := dp.h.alterPartition(context.Background(), staleAlterRequest(topic.ID)).(*kmsg.AlterPartitionResponse)
	if stale.ErrorCode != kerr.StaleBrokerEpoch.Code {
		t.Fatalf("stale broker epoch: top-level error %d", stale.ErrorCode)
	}
	fc.err = controller.ErrInvalidUpdateVersion
	req := kmsg.NewPtrAlterPartitionRequest()
	req.SetVersion(2)
	rt := kmsg.NewAlterPartitionRequestTopic()
	rt.TopicID = topic.ID
	rt.Partitions = append(rt.Partitions, kmsg.NewAlterPartitionRequestTopicPartition())
	req.Topics = append(req.Topics, rt)
	resp := dp.h.alterPartition(context.Background(), req).(*kmsg.AlterPartitionResponse)
	if code := resp.Topics[0].Partitions[0].ErrorCode; code != kerr.InvalidUpdateVersion.Code {
		t.Fatalf("stale partition epoch: error %d", code)
	}
}

// staleAlterRequest is a v2 AlterPartition for partition 0 of topicID
// from broker 1 at epoch 7.
func staleAlterRequest(topicID [16]byte) *kmsg.AlterPartitionRequest {
	req := kmsg.NewPtrAlterPartitionRequest()
	req.SetVersion(2)
	req.BrokerID, req.BrokerEpoch = 1, 7
	rt := kmsg.NewAlterPartitionRequestTopic()
	rt.TopicID = topicID
	rt.Partitions = append(rt.Partitions, kmsg.NewAlterPartitionRequestTopicPartition())
	req.Topics = append(req.Topics, rt)
	return req
}
