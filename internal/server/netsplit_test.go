package server

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/interbroker"
	"github.com/samsa-io/samsa/internal/netfault"
)

// startNetCluster is startCluster with every inter-node dial going through
// nw, so the test can cut links between nodes.
func startNetCluster(t *testing.T, nw *netfault.Network) *testCluster {
	t.Helper()
	ports := freePorts(t, 6)
	var nodes [3]nodeLayout
	for i := range nodes {
		client, ctrl := fmt.Sprintf("127.0.0.1:%d", ports[i]), fmt.Sprintf("127.0.0.1:%d", ports[3+i])
		nw.Register(int32(i+1), client, ctrl)
		nodes[i] = plaintextNode(client, ctrl)
	}
	return startNodes(t, testLogger(), nodes, func(id int32) Options { return Options{Dial: nw.Dialer(id)} })
}

// ackLog is what a continuous producer had acknowledged.
type ackLog struct {
	mu    sync.Mutex
	acked map[string]bool
	last  time.Time
}

func (a *ackLog) add(v string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.acked[v] = true
	a.last = time.Now()
}

func (a *ackLog) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.acked)
}

// produceContinuously writes "p-<n>" with an idempotent acks=all producer
// until stop closes; one record at a time, so a stuck one holds back the
// rest instead of piling up.
func produceContinuously(ctx context.Context, t *testing.T, cl *kgo.Client, acks *ackLog, stop <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		v := fmt.Sprintf("p-%d", i)
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(v)}).FirstErr(); err != nil {
			if ctx.Err() == nil {
				t.Errorf("produce %s: %v", v, err)
			}
			return
		}
		acks.add(v)
	}
}

// The partition leader is cut off from the other two nodes while an
// idempotent acks=all producer writes: the isolated leader stops
// acknowledging acks=all writes, the other two elect a new leader and
// writes resume there; after healing, the old leader truncates the records
// only it had, and every acknowledged record is read back exactly once.
func TestNetsplitIsolatedLeaderStopsAcking(t *testing.T) {
	nw := netfault.New()
	tc := startNetCluster(t, nw)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(tc.clients...), kgo.DefaultProduceTopic("ha"),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProduceRequestTimeout(3*time.Second), kgo.RecordRetries(1000),
		kgo.MetadataMinAge(100*time.Millisecond), kgo.MetadataMaxAge(time.Second))
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
	acks := &ackLog{acked: map[string]bool{}}
	stop := make(chan struct{})
	var prodWG sync.WaitGroup
	prodWG.Add(1)
	go func() {
		defer prodWG.Done()
		produceContinuously(ctx, t, cl, acks, stop)
	}()
	var stopOnce sync.Once
	stopProducer := func() {
		stopOnce.Do(func() { close(stop) })
		prodWG.Wait()
	}
	defer stopProducer()
	tc.eventually("200 acknowledged records", func() bool { return acks.count() >= 200 })

	before, _ := tc.running().ctrl.Image().PartitionOf("ha", 0)
	old := before.Leader
	oldNode := tc.nodes[old-1]
	lp := oldNode.parts.Partition("ha", 0)
	var others []int32
	for id := int32(1); id <= 3; id++ {
		if id != old {
			others = append(others, id)
		}
	}
	t.Logf("cutting leader %d (epoch %d) off from %v; active controller %d; %d acknowledged",
		old, before.LeaderEpoch, others, tc.running().ctrl.LeaderID(), acks.count())
	cut := time.Now()
	nw.Partition([]int32{old}, others)

	// Within replica.lag.time.max.ms and a few seconds the isolated leader
	// refuses or times out acks=all writes sent straight to it.
	lag := time.Duration(oldNode.cfg.ReplicaLagTimeMaxMs) * time.Millisecond
	time.Sleep(time.Until(cut.Add(lag + time.Second)))
	code, err := produceRaw(ctx, tc.clients[old-1], "ha", plainRecords(t, "probe"))
	if err == nil && code == 0 {
		t.Fatalf("isolated leader %d acknowledged an acks=all write %v after the cut", old, time.Since(cut))
	}
	t.Logf("acks=all write to the isolated leader %v after the cut: code %v err %v",
		time.Since(cut).Round(time.Millisecond), kerr.ErrorForCode(code), err)
	hwIsolated := lp.HighWatermark()
	// Records only the isolated leader has, appended as it would for a
	// client: the tail that must be truncated after healing.
	if _, err := lp.Append(plainRecords(t, "divergent-1", "divergent-2")); err != nil {
		t.Fatalf("append on the isolated leader: %v", err)
	}

	// The majority elects a new leader and acknowledged writes resume.
	var after tcPartition
	tc.eventually("a new leader on the majority side", func() bool {
		p, _ := tc.nodes[others[0]-1].ctrl.Image().PartitionOf("ha", 0)
		after = tcPartition{p.Leader, p.LeaderEpoch}
		return p.Leader >= 0 && p.Leader != old && p.LeaderEpoch > before.LeaderEpoch
	})
	elected := time.Since(cut)
	resumeFrom := acks.count()
	tc.eventually("acknowledged writes on the new leader", func() bool { return acks.count() >= resumeFrom+100 })
	t.Logf("new leader %d (epoch %d) %v after the cut; writes resumed, %d acknowledged",
		after.leader, after.epoch, elected.Round(time.Millisecond), acks.count())
	if hw := lp.HighWatermark(); hw != hwIsolated {
		t.Errorf("isolated leader's high watermark moved from %d to %d while cut off", hwIsolated, hw)
	}
	isolatedEnd := lp.LogEndOffset()

	nw.Heal()
	healed := time.Now()
	tc.eventually("the old leader back in the ISR", func() bool {
		p, _ := tc.nodes[others[0]-1].ctrl.Image().PartitionOf("ha", 0)
		return len(p.ISR) == 3
	})
	stopProducer()
	np := tc.nodes[after.leader-1].parts.Partition("ha", 0)
	tc.eventually("the same log end offset on the old leader", func() bool {
		return lp.LogEndOffset() == np.LogEndOffset()
	})
	t.Logf("healed; old leader %d back in the ISR %v later", old, time.Since(healed).Round(time.Millisecond))
	// The old leader's log is now the new leader's: its unreplicated
	// records in [hwIsolated, isolatedEnd) were truncated and replaced.
	replaced := 0
	for off := hwIsolated; off < isolatedEnd; off++ {
		if e, want := lp.EpochOf(off), np.EpochOf(off); e != want {
			t.Errorf("offset %d: old leader has epoch %d, new leader %d", off, e, want)
		} else if e > before.LeaderEpoch {
			replaced++
		}
	}
	if replaced == 0 {
		t.Errorf("no offset in [%d, %d) was replaced by the new leader's records", hwIsolated, isolatedEnd)
	}

	want := acks.count()
	seen := consumeAll(t, ctx, tc.clients, want)
	acks.mu.Lock()
	defer acks.mu.Unlock()
	for v := range acks.acked {
		if seen[v] != 1 {
			t.Errorf("acknowledged record %s read %d times", v, seen[v])
		}
	}
	for _, v := range []string{"probe", "divergent-1", "divergent-2"} {
		if seen[v] != 0 {
			t.Errorf("record %q written only on the isolated leader was read back", v)
		}
	}
	t.Logf("%d acknowledged records read exactly once; %d offsets of the old leader's tail [%d, %d) replaced",
		len(acks.acked), replaced, hwIsolated, isolatedEnd)
}

type tcPartition struct{ leader, epoch int32 }

// produceRaw sends one acks=all Produce of batch to the broker at addr,
// with no client-side retry or re-routing, and returns the partition's
// error code.
func produceRaw(ctx context.Context, addr, topic string, batch []byte) (int16, error) {
	c := interbroker.NewClient(addr, "netsplit-probe")
	defer c.Close()
	req := kmsg.NewPtrProduceRequest()
	req.SetVersion(8)
	req.Acks, req.TimeoutMillis = -1, 3000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Partition, rp.Records = 0, batch
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := c.Request(rctx, req)
	if err != nil {
		return 0, err
	}
	return resp.(*kmsg.ProduceResponse).Topics[0].Partitions[0].ErrorCode, nil
}
