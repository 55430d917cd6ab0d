package server

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// UnregisterBroker (kafka-cluster.sh unregister) of a broker that crashed:
// sent to any node, it takes the broker out of the ISR and the leadership
// and removes its registration; a second one gets
// BROKER_ID_NOT_REGISTERED; the broker registers again when it returns.
func TestUnregisterCrashedBroker(t *testing.T) {
	tc := startCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(tc.clients...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	// min.insync.replicas 3: the broker that leaves the ISR joins the
	// eligible leader replicas (KIP-966), which it must leave too.
	minISR := "3"
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 3, 3, map[string]*string{"min.insync.replicas": &minISR}, "unreg"); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	tc.eventually("a fully replicated ISR", func() bool {
		for p := int32(0); p < 3; p++ {
			if part, ok := tc.running().ctrl.Image().PartitionOf("unreg", p); !ok || len(part.ISR) != 3 {
				return false
			}
		}
		return true
	})
	gone := int32(3)
	if tc.running().ctrl.LeaderID() == gone {
		gone = 2 // keep the active controller
	}
	tc.stop(gone, true)
	tc.eventually("the crashed broker fenced into the eligible leader replicas", func() bool {
		part, _ := tc.running().ctrl.Image().PartitionOf("unreg", 0)
		return slices.Contains(part.ELR, gone)
	})

	unregister := func() int16 {
		t.Helper()
		req := kmsg.NewPtrUnregisterBrokerRequest()
		req.BrokerID = gone
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			t.Fatalf("unregister broker %d: %v", gone, err)
		}
		return resp.ErrorCode
	}
	if code := unregister(); code != 0 {
		t.Fatalf("unregister broker %d: %v", gone, kerr.ErrorForCode(code))
	}
	im := tc.running().ctrl.Image()
	if _, ok := im.Brokers[gone]; ok {
		t.Fatalf("broker %d still registered", gone)
	}
	for p := int32(0); p < 3; p++ {
		part, _ := im.PartitionOf("unreg", p)
		if part.Leader == gone || slices.Contains(part.ISR, gone) || slices.Contains(part.ELR, gone) ||
			slices.Contains(part.LastKnownELR, gone) {
			t.Errorf("partition %d after unregistering %d: leader %d ISR %v ELR %v last known ELR %v",
				p, gone, part.Leader, part.ISR, part.ELR, part.LastKnownELR)
		}
	}
	if code := unregister(); code != kerr.BrokerIDNotRegistered.Code {
		t.Fatalf("second unregister: %v, want BROKER_ID_NOT_REGISTERED", kerr.ErrorForCode(code))
	}
	tc.restart(gone)
	tc.eventually("the broker registered again", func() bool {
		b, ok := tc.running().ctrl.Image().Brokers[gone]
		return ok && !b.Fenced
	})
}
