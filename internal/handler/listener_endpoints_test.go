package handler

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/metadata"
)

// listenerImage gives broker 1 PLAINTEXT and EXTERNAL endpoints and
// broker 2 only PLAINTEXT, so EXTERNAL requests must leave broker 2 out.
func listenerImage(topics ...*metadata.Topic) *metadata.Image {
	im := dpImage(topics...)
	im.Brokers[1] = metadata.Broker{ID: 1, Host: "h1", Port: 9092, ListenerName: "PLAINTEXT",
		Endpoints: []metadata.Endpoint{{Name: "PLAINTEXT", Host: "h1", Port: 9092}, {Name: "EXTERNAL", Host: "e1", Port: 19092}}}
	im.Brokers[2] = metadata.Broker{ID: 2, Host: "h2", Port: 9093, Rack: "r2", ListenerName: "PLAINTEXT"}
	return im
}

type endpointView struct {
	id   int32
	host string
	port int32
}

func TestBrokerEndpointFor(t *testing.T) {
	b := listenerImage().Brokers[1]
	for _, tc := range []struct {
		listener string
		want     metadata.Endpoint
		ok       bool
	}{
		{"", metadata.Endpoint{Name: "PLAINTEXT", Host: "h1", Port: 9092}, true},
		{"PLAINTEXT", metadata.Endpoint{Name: "PLAINTEXT", Host: "h1", Port: 9092}, true},
		{"EXTERNAL", metadata.Endpoint{Name: "EXTERNAL", Host: "e1", Port: 19092}, true},
		{"SASL_SSL", metadata.Endpoint{}, false},
	} {
		if got, ok := b.EndpointFor(tc.listener); got != tc.want || ok != tc.ok {
			t.Errorf("EndpointFor(%q) = %+v %v, want %+v %v", tc.listener, got, ok, tc.want, tc.ok)
		}
	}
	// A registration from before per-listener endpoints has only its
	// inter-broker endpoint.
	old := listenerImage().Brokers[2]
	if eps := old.AllEndpoints(); len(eps) != 1 || eps[0] != (metadata.Endpoint{Name: "PLAINTEXT", Host: "h2", Port: 9093}) {
		t.Fatalf("AllEndpoints of an old registration = %+v", eps)
	}
}

func TestMetadataAndDescribeClusterAnswerPerListener(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 2, nil))
	im := listenerImage(dpTopic("t", 1, 2, nil))
	im.Topics["t"].Partitions[1].Leader = 2 // led by a broker without EXTERNAL
	dp.h.Image = func() *metadata.Image { return im }
	for _, tc := range []struct {
		listener string
		want     []endpointView
	}{
		{"", []endpointView{{1, "h1", 9092}, {2, "h2", 9093}}},
		{"PLAINTEXT", []endpointView{{1, "h1", 9092}, {2, "h2", 9093}}},
		{"EXTERNAL", []endpointView{{1, "e1", 19092}}},
		{"OTHER", nil},
	} {
		ctx := withClient(context.Background(), "c", "127.0.0.1", tc.listener)
		mr := dp.h.metadata(ctx, metadataReq(12, false, nil)).(*kmsg.MetadataResponse)
		var got []endpointView
		for _, b := range mr.Brokers {
			got = append(got, endpointView{b.NodeID, b.Host, b.Port})
		}
		if !equalViews(got, tc.want) {
			t.Errorf("Metadata on %q: brokers %+v, want %+v", tc.listener, got, tc.want)
		}
		dreq := kmsg.NewPtrDescribeClusterRequest()
		dreq.Version, dreq.EndpointType = 1, endpointBrokers
		dr := dp.h.describeCluster(ctx, dreq).(*kmsg.DescribeClusterResponse)
		got = nil
		for _, b := range dr.Brokers {
			got = append(got, endpointView{b.NodeID, b.Host, b.Port})
		}
		if !equalViews(got, tc.want) {
			t.Errorf("DescribeCluster on %q: brokers %+v, want %+v", tc.listener, got, tc.want)
		}
		if tc.listener == "EXTERNAL" {
			p := mr.Topics[0].Partitions[1]
			if p.Leader != -1 || p.ErrorCode != kerr.ListenerNotFound.Code {
				t.Errorf("partition led by a broker without EXTERNAL: leader %d error %d", p.Leader, p.ErrorCode)
			}
			mr = dp.h.metadata(ctx, metadataReq(5, false, nil)).(*kmsg.MetadataResponse)
			if p := mr.Topics[0].Partitions[1]; p.ErrorCode != kerr.LeaderNotAvailable.Code {
				t.Errorf("v5 partition led by a broker without EXTERNAL: error %d", p.ErrorCode)
			}
		}
	}
}

func equalViews(a, b []endpointView) bool {
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

func TestFindCoordinatorAnswersPerListener(t *testing.T) {
	f := newGroupsFixture(t, dpTopic("__consumer_offsets", 9, testOffsetsPartitions, nil))
	im := listenerImage(dpTopic("__consumer_offsets", 9, testOffsetsPartitions, nil))
	f.h.Image = func() *metadata.Image { return im }
	req := kmsg.NewPtrFindCoordinatorRequest()
	req.Version, req.CoordinatorKeys = 4, []string{"g"}
	for _, tc := range []struct {
		listener string
		want     endpointView
		err      *kerr.Error
	}{
		{"", endpointView{1, "h1", 9092}, nil},
		{"PLAINTEXT", endpointView{1, "h1", 9092}, nil},
		{"EXTERNAL", endpointView{1, "e1", 19092}, nil},
		{"OTHER", endpointView{-1, "", -1}, kerr.CoordinatorNotAvailable},
	} {
		ctx := withClient(context.Background(), "c", "127.0.0.1", tc.listener)
		resp := f.h.findCoordinator(ctx, req).(*kmsg.FindCoordinatorResponse)
		c := resp.Coordinators[0]
		code(t, tc.listener, c.ErrorCode, tc.err)
		if got := (endpointView{c.NodeID, c.Host, c.Port}); got != tc.want {
			t.Errorf("coordinator on %q = %+v, want %+v", tc.listener, got, tc.want)
		}
	}
}

func TestBrokerRegistrationStoresEveryListener(t *testing.T) {
	dp := newDataPath(t)
	fc := &fakeCluster{}
	dp.h.Cluster = fc
	reg := kmsg.NewPtrBrokerRegistrationRequest()
	reg.BrokerID, reg.ClusterID = 2, "dp-cluster"
	for _, l := range []struct {
		name, host string
		port       uint16
	}{{"INTERNAL", "h2", 9093}, {"PLAINTEXT", "p2", 19093}} {
		rl := kmsg.NewBrokerRegistrationRequestListener()
		rl.Name, rl.Host, rl.Port = l.name, l.host, l.port
		reg.Listeners = append(reg.Listeners, rl)
	}
	resp := dp.h.brokerRegistration(context.Background(), reg).(*kmsg.BrokerRegistrationResponse)
	// The first listener is the broker's inter-broker one, whatever this
	// node's inter.broker.listener.name (PLAINTEXT) says.
	want := metadata.Broker{ID: 2, Host: "h2", Port: 9093, ListenerName: "INTERNAL",
		Endpoints: []metadata.Endpoint{{Name: "INTERNAL", Host: "h2", Port: 9093}, {Name: "PLAINTEXT", Host: "p2", Port: 19093}}}
	if resp.ErrorCode != 0 || len(fc.registered) != 1 || !fc.registered[0].Equal(want) {
		t.Fatalf("registration: %+v, registered %+v", resp, fc.registered)
	}
	reg.Listeners = append(reg.Listeners, reg.Listeners[0])
	resp = dp.h.brokerRegistration(context.Background(), reg).(*kmsg.BrokerRegistrationResponse)
	code(t, "duplicate listener", resp.ErrorCode, kerr.InvalidRequest)
}
