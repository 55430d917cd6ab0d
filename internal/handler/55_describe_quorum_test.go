package handler

import (
	"context"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/controller"
	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/protocol"
)

func TestDescribeQuorumWithoutQuorumView(t *testing.T) {
	dp := newDataPath(t)
	req := kmsg.NewPtrDescribeQuorumRequest()
	for _, name := range []string{"__cluster_metadata", "other"} {
		rt := kmsg.NewDescribeQuorumRequestTopic()
		rt.Topic = name
		rt.Partitions = append(rt.Partitions, kmsg.NewDescribeQuorumRequestTopicPartition())
		req.Topics = append(req.Topics, rt)
	}
	resp := dp.h.describeQuorum(context.Background(), req).(*kmsg.DescribeQuorumResponse)
	// The fake controller has no quorum view; a wrong partition is unknown.
	if got := resp.Topics[0].Partitions[0].ErrorCode; got != unknownServerErrorCode {
		t.Errorf("metadata partition error %d", got)
	}
	if got := resp.Topics[1].Partitions[0].ErrorCode; got != 3 {
		t.Errorf("other topic error %d, want UNKNOWN_TOPIC_OR_PARTITION (3)", got)
	}
}

const unknownServerErrorCode = -1

// quorumController is the test fake with a quorum view.
type quorumController struct {
	*adminController
	status controller.QuorumStatus
}

func (c quorumController) Quorum() (controller.QuorumStatus, error) { return c.status, nil }

// quorumHandler answers DescribeQuorum as node 1, the Raft leader of
// voters 1-3 with broker-only node 4 as an observer.
func quorumHandler(t *testing.T, cfg *config.Broker) *Handler {
	t.Helper()
	cfg.NodeID = 1
	st := controller.QuorumStatus{NodeID: 1, LeaderID: 1, Term: 7, LastLogIndex: 42, CommitIndex: 40,
		LastContact: time.UnixMilli(1_700_000_000_000),
		Voters:      []controller.QuorumMember{{ID: 1, LogEndOffset: 42}, {ID: 2, LogEndOffset: -1}, {ID: 3, LogEndOffset: -1}},
		Observers: []controller.QuorumMember{{ID: 4, LogEndOffset: 41, Progress: &controller.MetadataProgress{
			Offset: 41, At: time.UnixMilli(1_700_000_000_500), CaughtUp: time.UnixMilli(1_700_000_000_400)}}}}
	im := metadata.Empty()
	im.Brokers[1] = metadata.Broker{ID: 1, MetadataDirectoryID: voterDirID}
	im.Brokers[4] = metadata.Broker{ID: 4, MetadataDirectoryID: observerDirID}
	return New(Deps{NodeID: 1, Config: cfg, Logger: slog.New(slog.DiscardHandler),
		Image:      func() *metadata.Image { return im },
		Controller: quorumController{adminController: &adminController{}, status: st}})
}

// The metadata log dir ids that nodes 1 (a voter) and 4 (an observer)
// registered.
var voterDirID, observerDirID = [16]byte{1, 2, 3}, [16]byte{4, 5, 6}

// describeQuorumAt sends a DescribeQuorum of the metadata partition at
// version v through the wire encoding both ways, so that fields a version
// lacks are really absent.
func describeQuorumAt(t *testing.T, h *Handler, v int16) *kmsg.DescribeQuorumResponse {
	t.Helper()
	req := kmsg.NewPtrDescribeQuorumRequest()
	req.Version = v
	rt := kmsg.NewDescribeQuorumRequestTopic()
	rt.Topic = "__cluster_metadata"
	rt.Partitions = append(rt.Partitions, kmsg.NewDescribeQuorumRequestTopicPartition())
	req.Topics = append(req.Topics, rt)
	resp := h.describeQuorum(context.Background(), req).(*kmsg.DescribeQuorumResponse)
	got := kmsg.NewPtrDescribeQuorumResponse()
	got.Version = v
	if err := got.ReadFrom(resp.AppendTo(nil)); err != nil {
		t.Fatalf("v%d: decode: %v", v, err)
	}
	if len(got.Topics) != 1 || len(got.Topics[0].Partitions) != 1 {
		t.Fatalf("v%d: topics %+v", v, got.Topics)
	}
	return got
}

func staticVoters(t *testing.T) *config.Broker {
	t.Helper()
	cfg := config.Default()
	cfg.ControllerListenerNames = []string{"CONTROLLER", "CONTROLLER2"}
	cfg.ControllerQuorumVoters = []config.Voter{{ID: 1, Host: "127.0.0.1", Port: 9093},
		{ID: 2, Host: "ctl-2", Port: 9094}, {ID: 3, Host: "::1", Port: 9095}}
	return cfg
}

func TestDescribeQuorumVersions(t *testing.T) {
	if describeQuorumAPI.min != 0 || describeQuorumAPI.max != 2 {
		t.Errorf("DescribeQuorum versions %d-%d, Kafka 4.4 serves 0-2", describeQuorumAPI.min, describeQuorumAPI.max)
	}
	h := quorumHandler(t, staticVoters(t))
	for v := int16(0); v <= 2; v++ {
		resp := describeQuorumAt(t, h, v)
		p := resp.Topics[0].Partitions[0]
		if p.ErrorCode != 0 || p.LeaderID != 1 || p.LeaderEpoch != 7 || p.HighWatermark != 40 {
			t.Errorf("v%d: partition %+v", v, p)
		}
		if len(p.CurrentVoters) != 3 || len(p.Observers) != 1 || p.Observers[0].ReplicaID != 4 {
			t.Fatalf("v%d: voters %+v observers %+v", v, p.CurrentVoters, p.Observers)
		}
		leader := p.CurrentVoters[0]
		wantTS := int64(-1) // v0 has no timestamps
		if v >= 1 {
			wantTS = 1_700_000_000_000
		}
		if leader.ReplicaID != 1 || leader.LogEndOffset != 42 || leader.LastFetchTimestamp != wantTS || leader.LastCaughtUpTimestamp != wantTS {
			t.Errorf("v%d: leader %+v", v, leader)
		}
		// A follower without heartbeats is unknown; an observer has its
		// last heartbeat's offset and times.
		if f := p.CurrentVoters[1]; f.LogEndOffset != -1 || f.LastFetchTimestamp != -1 || f.LastCaughtUpTimestamp != -1 {
			t.Errorf("v%d: follower without progress %+v", v, f)
		}
		wantFetch, wantCaughtUp := int64(-1), int64(-1)
		if v >= 1 {
			wantFetch, wantCaughtUp = 1_700_000_000_500, 1_700_000_000_400
		}
		if o := p.Observers[0]; o.LogEndOffset != 41 || o.LastFetchTimestamp != wantFetch || o.LastCaughtUpTimestamp != wantCaughtUp {
			t.Errorf("v%d: observer %+v", v, o)
		}
		// Static voters, as a Kafka formatted with controller.quorum.voters
		// reports them: no directory id (the zero UUID), even for a voter
		// that registered one. An observer (v2+) has its registered one.
		for _, r := range p.CurrentVoters {
			if r.ReplicaDirectoryID != [16]byte{} {
				t.Errorf("v%d: voter %d directory id %x, want zero", v, r.ReplicaID, r.ReplicaDirectoryID)
			}
		}
		wantObserverDir := [16]byte{}
		if v >= 2 {
			wantObserverDir = observerDirID
		}
		if got := p.Observers[0].ReplicaDirectoryID; got != wantObserverDir {
			t.Errorf("v%d: observer directory id %x, want %x", v, got, wantObserverDir)
		}
		if v < 2 {
			if len(resp.Nodes) != 0 {
				t.Errorf("v%d: nodes %+v", v, resp.Nodes)
			}
			continue
		}
		// v2: every voter, none of the observers, with its
		// controller.quorum.voters endpoint under the first controller
		// listener name.
		want := []kmsg.DescribeQuorumResponseNode{
			{NodeID: 1, Listeners: []kmsg.DescribeQuorumResponseNodeListener{{Name: "CONTROLLER", Host: "127.0.0.1", Port: 9093}}},
			{NodeID: 2, Listeners: []kmsg.DescribeQuorumResponseNodeListener{{Name: "CONTROLLER", Host: "ctl-2", Port: 9094}}},
			{NodeID: 3, Listeners: []kmsg.DescribeQuorumResponseNodeListener{{Name: "CONTROLLER", Host: "::1", Port: 9095}}},
		}
		if !reflect.DeepEqual(resp.Nodes, want) {
			t.Errorf("v2 nodes\n got %+v\nwant %+v", resp.Nodes, want)
		}
	}
}

// A single node without controller.quorum.voters lists its own advertised
// controller listeners, or none when it has no controller listener.
func TestDescribeQuorumNodesWithoutVoters(t *testing.T) {
	cfg := config.Default()
	cfg.ControllerListenerNames = []string{"CONTROLLER"}
	cfg.AdvertisedListeners = []config.Listener{{Name: "PLAINTEXT", Host: "b1", Port: 9092}, {Name: "CONTROLLER", Host: "b1", Port: 9093}}
	resp := describeQuorumAt(t, quorumHandler(t, cfg), 2)
	want := []kmsg.DescribeQuorumResponseNode{
		{NodeID: 1, Listeners: []kmsg.DescribeQuorumResponseNodeListener{{Name: "CONTROLLER", Host: "b1", Port: 9093}}},
		{NodeID: 2}, {NodeID: 3},
	}
	if !reflect.DeepEqual(resp.Nodes, want) {
		t.Errorf("nodes\n got %+v\nwant %+v", resp.Nodes, want)
	}
	cfg = config.Default()
	resp = describeQuorumAt(t, quorumHandler(t, cfg), 2)
	if len(resp.Nodes) != 3 || len(resp.Nodes[0].Listeners) != 0 {
		t.Errorf("no controller listener: nodes %+v", resp.Nodes)
	}
}

// BrokerRegistration v2+ keeps the first log dir id, the metadata log
// dir's, which DescribeQuorum reports for an observer.
func TestBrokerRegistrationKeepsMetadataDirectoryID(t *testing.T) {
	dp := newDataPath(t)
	fc := &fakeCluster{}
	dp.h.Cluster = fc
	reg := kmsg.NewPtrBrokerRegistrationRequest()
	reg.Version = 2
	reg.BrokerID, reg.ClusterID = 4, "dp-cluster"
	l := kmsg.NewBrokerRegistrationRequestListener()
	l.Name, l.Host, l.Port = "PLAINTEXT", "h4", 9092
	reg.Listeners = append(reg.Listeners, l)
	reg.LogDirs = [][16]byte{observerDirID, {9}}
	resp := dp.h.brokerRegistration(context.Background(), reg).(*kmsg.BrokerRegistrationResponse)
	if resp.ErrorCode != 0 || len(fc.registered) != 1 || fc.registered[0].MetadataDirectoryID != observerDirID {
		t.Fatalf("registration: %+v, registered %+v", resp, fc.registered)
	}
}

// A node that is not the active controller forwards DescribeQuorum there,
// as Kafka's brokers do, at the client's version.
func TestDescribeQuorumForwarded(t *testing.T) {
	h := quorumHandler(t, staticVoters(t))
	im := metadata.Empty()
	im.ControllerID = 2
	h.Image = func() *metadata.Image { return im }
	var forwarded []int16
	h.Forward = func(_ context.Context, req kmsg.Request) (kmsg.Response, error) {
		forwarded = append(forwarded, req.GetVersion())
		resp := req.ResponseKind().(*kmsg.DescribeQuorumResponse)
		resp.ErrorCode = 42 // marks the controller's answer
		return resp, nil
	}
	req := kmsg.NewPtrDescribeQuorumRequest()
	req.Version = 2
	resp := h.Handle(context.Background(), &protocol.Request{Header: protocol.Header{Key: int16(kmsg.DescribeQuorum), Version: 2}, Body: req})
	if r, ok := resp.(*kmsg.DescribeQuorumResponse); !ok || r.ErrorCode != 42 || len(forwarded) != 1 || forwarded[0] != 2 {
		t.Fatalf("response %+v, forwarded versions %v: want the controller's answer to v2", resp, forwarded)
	}
}
