package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/protocol/records"
)

// A leader that wrote records no follower copied, then crashed, comes back
// as a follower of the new leader and truncates exactly those records by
// leader epoch; no acknowledged record is lost and none of the
// unreplicated ones is ever served.
func TestClusterFormerLeaderTruncatesDivergentRecords(t *testing.T) {
	tc := startCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(tc.clients...), kgo.DefaultProduceTopic("ha"),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProduceRequestTimeout(5*time.Second), kgo.RecordRetries(1000), kgo.MetadataMinAge(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 3, nil, "ha"); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	tc.eventually("a fully replicated ISR", func() bool {
		p, ok := tc.running().ctrl.Image().PartitionOf("ha", 0)
		return ok && len(p.ISR) == 3
	})
	acked := map[string]bool{}
	produce := func(from, to int) {
		for i := from; i < to; i++ {
			v := fmt.Sprint(i)
			if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(v)}).FirstErr(); err != nil {
				t.Fatalf("produce %d: %v", i, err)
			}
			acked[v] = true
		}
	}
	produce(0, 50)
	before, _ := tc.running().ctrl.Image().PartitionOf("ha", 0)
	leader := before.Leader
	// The followers stop copying; the leader writes records only it has.
	for id := int32(1); id <= 3; id++ {
		if id != leader {
			tc.nodes[id-1].repl.ApplyMetadata(context.Background(), metadata.Empty())
		}
	}
	lp := tc.nodes[leader-1].parts.Partition("ha", 0)
	agreed := lp.LogEndOffset()
	for i := range 3 {
		if _, err := lp.Append(plainRecords(t, fmt.Sprintf("divergent-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	divergentEnd := lp.LogEndOffset()
	tc.stop(leader, true)
	tc.eventually("a new leader", func() bool {
		p, _ := tc.running().ctrl.Image().PartitionOf("ha", 0)
		return p.Leader >= 0 && p.Leader != leader
	})
	produce(50, 70)
	tc.restart(leader)
	tc.eventually("the former leader back in the ISR", func() bool {
		p, _ := tc.running().ctrl.Image().PartitionOf("ha", 0)
		return len(p.ISR) == 3
	})
	now, _ := tc.running().ctrl.Image().PartitionOf("ha", 0)
	back := tc.nodes[leader-1].parts.Partition("ha", 0)
	for off := agreed; off < divergentEnd; off++ {
		if e := back.EpochOf(off); e != now.LeaderEpoch {
			t.Errorf("offset %d on the former leader is from epoch %d, want the new leader's %d", off, e, now.LeaderEpoch)
		}
	}
	seen := consumeAll(t, ctx, tc.liveAddrs(), len(acked))
	for v := range acked {
		if seen[v] != 1 {
			t.Errorf("acknowledged record %s read %d times", v, seen[v])
		}
	}
	for v := range seen {
		if !acked[v] {
			t.Errorf("read %q, which was never acknowledged", v)
		}
	}
	t.Logf("divergent offsets [%d, %d) on leader %d replaced by epoch %d; %d acknowledged records read once",
		agreed, divergentEnd, leader, now.LeaderEpoch, len(acked))
}

// plainRecords is one batch with one non-idempotent record per value.
func plainRecords(t *testing.T, values ...string) []byte {
	t.Helper()
	recs := make([]records.Record, len(values))
	for i, v := range values {
		recs[i] = records.Record{OffsetDelta: int32(i), Value: []byte(v)}
	}
	b, err := records.AppendBatch(nil, records.Header{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
		BaseTimestamp: time.Now().UnixMilli()}, recs, records.None)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Killing the active controller: the remaining voters elect a new one,
// topic creation works again, and a new RF=2 topic takes acks=all writes.
// (RF=3 is refused once the dead broker is fenced, which the new controller
// does quickly because its port refuses connections: Kafka places replicas
// only on unfenced brokers too.)
func TestClusterControllerCrash(t *testing.T) {
	tc := startCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	active := tc.running().ctrl.LeaderID()
	stopped := time.Now()
	tc.stop(active, true)
	// Placement must not pick the dead broker (it could not join the ISR).
	tc.eventually("the crashed controller's broker fenced", func() bool {
		return tc.running().ctrl.Image().Brokers[active].Fenced
	})
	cl, err := kgo.NewClient(kgo.SeedBrokers(tc.liveAddrs()...), kgo.DefaultProduceTopic("after"),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.MetadataMinAge(100*time.Millisecond), kgo.RecordRetries(1000))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	for {
		resp, err := adm.CreateTopic(ctx, 1, 2, nil, "after")
		if err == nil && resp.Err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("create topic after the controller crash: %v %v", err, resp.Err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("topic created %v after active controller %d crashed; new controller %d",
		time.Since(stopped).Round(time.Millisecond), active, tc.running().ctrl.LeaderID())
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatalf("acks=all produce with one node down: %v", err)
	}
}
