package cluster

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/protocol/records"
	"github.com/samsa-io/samsa/test/internal/harness"
)

// idempotentBatch is batch n of an idempotent producer: ten records with
// sequence numbers 10n..10n+9 and values "seq-<sequence>".
func idempotentBatch(t *testing.T, pid int64, epoch int16, n int) []byte {
	t.Helper()
	var recs []records.Record
	for i := range 10 {
		recs = append(recs, records.Record{OffsetDelta: int32(i), Value: fmt.Appendf(nil, "seq-%d", n*10+i)})
	}
	b, err := records.AppendBatch(nil, records.Header{PartitionLeaderEpoch: -1, BaseTimestamp: time.Now().UnixMilli(),
		ProducerID: pid, ProducerEpoch: epoch, BaseSequence: int32(n * 10)}, recs, records.None)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// produceRaw sends one batch to topic-0 on broker id with acks=all and
// returns the partition's answer.
func produceRaw(ctx context.Context, cl *kgo.Client, id int32, topic string, batch []byte) (kmsg.ProduceResponseTopicPartition, error) {
	req := kmsg.NewPtrProduceRequest()
	req.Acks, req.TimeoutMillis = -1, 10000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = batch
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl.Broker(int(id)))
	if err != nil {
		return kmsg.ProduceResponseTopicPartition{}, err
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		return kmsg.ProduceResponseTopicPartition{}, fmt.Errorf("produce response %+v", resp)
	}
	return resp.Topics[0].Partitions[0], nil
}

// TestIdempotentReplayAfterLeaderKill: producer state survives leader
// failover. Batches of an idempotent producer are acknowledged by the
// leader, which is then killed; replaying the last two batches, byte for
// byte, to the new leader (as a producer does when the responses were lost)
// is answered with their original offsets and appends nothing, and the next
// sequence number is accepted right after them.
func TestIdempotentReplayAfterLeaderKill(t *testing.T) {
	const topic = "replay"
	c := harness.StartCluster(t, 3, nil)
	c.CreateTopic(topic, 1, 3, map[string]string{"min.insync.replicas": "2"})
	cl := c.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	init, err := kmsg.NewPtrInitProducerIDRequest().RequestWith(ctx, cl)
	if err != nil || init.ErrorCode != 0 {
		t.Fatalf("InitProducerId: %v (code %d)", err, init.ErrorCode)
	}
	pid, epoch := init.ProducerID, init.ProducerEpoch

	leader := c.Leader(topic, 0)
	batches := make([][]byte, 8)
	offsets := make([]int64, 8)
	for n := range 7 {
		batches[n] = idempotentBatch(t, pid, epoch, n)
		p, err := produceRaw(ctx, cl, leader, topic, batches[n])
		if err != nil || p.ErrorCode != 0 {
			t.Fatalf("batch %d to leader %d: %v (%v)", n, leader, err, kerr.ErrorForCode(p.ErrorCode))
		}
		offsets[n] = p.BaseOffset
	}
	c.WaitFullISR(topic, 3) // every acknowledged batch is on the followers too
	c.Node(leader).Kill()
	newLeader := c.Leader(topic, 0)
	t.Logf("killed leader %d after 7 batches; new leader %d", leader, newLeader)

	for _, n := range []int{5, 6} {
		var p kmsg.ProduceResponseTopicPartition
		harness.Eventually(t, 30*time.Second, func() error {
			var err error
			p, err = produceRaw(ctx, cl, c.Leader(topic, 0), topic, batches[n])
			if err != nil {
				return err
			}
			if p.ErrorCode != 0 {
				return kerr.ErrorForCode(p.ErrorCode)
			}
			return nil
		})
		if p.BaseOffset != offsets[n] {
			t.Errorf("replayed batch %d answered with offset %d, want its original %d", n, p.BaseOffset, offsets[n])
		}
	}
	batches[7] = idempotentBatch(t, pid, epoch, 7)
	p, err := produceRaw(ctx, cl, c.Leader(topic, 0), topic, batches[7])
	if err != nil || p.ErrorCode != 0 {
		t.Fatalf("next batch after the replay: %v (%v)", err, kerr.ErrorForCode(p.ErrorCode))
	}
	if want := offsets[6] + 10; p.BaseOffset != want {
		t.Errorf("next batch at offset %d, want %d (right after the original batch 6)", p.BaseOffset, want)
	}

	seen := readValues(t, c, topic)
	for s := range 80 {
		if v := fmt.Sprintf("seq-%d", s); seen[v] != 1 {
			t.Errorf("%s read %d times, want once", v, seen[v])
		}
	}
	if len(seen) != 80 {
		t.Errorf("read %d distinct values, want 80", len(seen))
	}
}
