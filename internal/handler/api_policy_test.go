package handler

import (
	"context"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/quota"
	"github.com/samsa-io/samsa/protocol"
)

// Every API's value names its authorization (doc.go's rule): none is left
// to the nil hook, which refuses every request.
func TestEveryAPINamesItsAuthorization(t *testing.T) {
	for _, a := range allAPIs() {
		if a.authz == nil {
			t.Errorf("%s names no authz hook (authzFromTable when its rows decide alone)", kmsg.NameForKey(int16(a.key)))
		}
	}
}

// A broker that is not the active controller forwards the admin APIs only
// the active controller can carry out (KIP-590), each as its api value
// says, and serves every other API itself. Kafka's brokers also forward
// ListPartitionReassignments and UpdateFeatures; Samsa answers them from
// its own image, which every node holds, and its fixed feature levels.
func TestForwardPolicyOfEveryAPI(t *testing.T) {
	dp := newDataPath(t)
	im := dpImage()
	im.ControllerID = 2
	dp.setImage(im)
	var forwarded []kmsg.Key
	dp.h.Forward = func(_ context.Context, req kmsg.Request) (kmsg.Response, error) {
		forwarded = append(forwarded, kmsg.Key(req.Key()))
		return req.ResponseKind(), nil
	}
	want := []kmsg.Key{
		kmsg.CreateTopics, kmsg.DeleteTopics, kmsg.CreatePartitions, kmsg.AlterConfigs,
		kmsg.IncrementalAlterConfigs, kmsg.ElectLeaders, kmsg.AlterPartitionAssignments,
		kmsg.CreateACLs, kmsg.DeleteACLs, kmsg.AlterClientQuotas, kmsg.AlterUserSCRAMCredentials,
		kmsg.DescribeQuorum, kmsg.UnregisterBroker,
	}
	for _, a := range allAPIs() {
		req := kmsg.RequestForKey(int16(a.key))
		req.SetVersion(a.max)
		_, ok := dp.h.forward(context.Background(), a, &protocol.Request{
			Header: protocol.Header{Key: int16(a.key), Version: a.max}, Body: req})
		if ok != slices.Contains(want, a.key) {
			t.Errorf("%s forwarded: %v, want %v", kmsg.NameForKey(int16(a.key)), ok, !ok)
		}
	}
	if len(forwarded) != len(want) {
		t.Errorf("forwarded %v, want %v", forwarded, want)
	}

	// A config request naming another broker is served here (Kafka's
	// broker refuses it itself), and none is forwarded on the controller.
	forwarded = nil
	for _, a := range allAPIs() {
		if a.key != kmsg.IncrementalAlterConfigs {
			continue
		}
		req := kmsg.NewPtrIncrementalAlterConfigsRequest()
		res := kmsg.NewIncrementalAlterConfigsRequestResource()
		res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeBroker, "2"
		req.Resources = append(req.Resources, res)
		pr := &protocol.Request{Header: protocol.Header{Key: int16(a.key)}, Body: req}
		if _, ok := dp.h.forward(context.Background(), a, pr); ok {
			t.Error("a request naming broker 2 is forwarded by broker 1")
		}
		im := dpImage()
		dp.setImage(im) // node 1 is the controller
		req.Resources[0].ResourceName = ""
		if _, ok := dp.h.forward(context.Background(), a, pr); ok {
			t.Error("the active controller forwards")
		}
	}
	if len(forwarded) != 0 {
		t.Errorf("forwarded %v, want none", forwarded)
	}
}

// The quota policies of the api values: produce and consumer fetch bytes
// count against the byte rates, a follower's fetch does not (replication
// is no client's traffic); requests that wait for others (acks=all, a
// long-poll fetch, a rebalance) are not timed against request_percentage.
func TestQuotaPolicyOfEveryAPI(t *testing.T) {
	produce := func(acks int16) kmsg.Request { r := kmsg.NewPtrProduceRequest(); r.Acks = acks; return r }
	fetch := func(replica int32, maxWait int32) kmsg.Request {
		r := kmsg.NewPtrFetchRequest()
		r.ReplicaID, r.ReplicaState.ID, r.MaxWaitMillis = replica, replica, maxWait
		return r
	}
	type policy struct {
		parks  bool
		counts bool
		kind   quota.Kind
	}
	cases := map[kmsg.Key][]struct {
		req  kmsg.Request
		want policy
	}{
		kmsg.Produce: {{produce(-1), policy{true, true, quota.Produce}}, {produce(1), policy{false, true, quota.Produce}}},
		kmsg.Fetch: {{fetch(-1, 500), policy{true, true, quota.Fetch}}, {fetch(-1, 0), policy{false, true, quota.Fetch}},
			{fetch(2, 500), policy{true, false, 0}}},
		kmsg.JoinGroup:              {{kmsg.NewPtrJoinGroupRequest(), policy{parks: true}}},
		kmsg.SyncGroup:              {{kmsg.NewPtrSyncGroupRequest(), policy{parks: true}}},
		kmsg.ConsumerGroupHeartbeat: {{kmsg.NewPtrConsumerGroupHeartbeatRequest(), policy{parks: true}}},
	}
	for _, a := range allAPIs() {
		cs, ok := cases[a.key]
		if !ok {
			cs = append(cs, struct {
				req  kmsg.Request
				want policy
			}{kmsg.RequestForKey(int16(a.key)), policy{}})
		}
		for _, c := range cs {
			got := policy{parks: a.parks != nil && a.parks(c.req), counts: a.bytes.counts(c.req)}
			if got.counts {
				got.kind = a.bytes.kind
			}
			if got != c.want {
				t.Errorf("%s %+v: policy %+v, want %+v", kmsg.NameForKey(int16(a.key)), c.req, got, c.want)
			}
		}
	}
}
