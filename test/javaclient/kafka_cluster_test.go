package javaclient

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// TestKafkaCluster checks the 3-node reference cluster itself: every node
// is a broker, a topic with replication factor 3 gets a full ISR, and a
// record produced with acks=all is read back after its leader is killed.
func TestKafkaCluster(t *testing.T) {
	requireClusterEnv(t)
	c := harness.StartKafkaCluster(t, 3, nil)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Nodes[0].Addr, c.Nodes[1].Addr, c.Nodes[2].Addr),
		kgo.ConsumeTopics("ref3"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := adm.CreateTopic(ctx, 1, 3, nil, "ref3"); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	var leader int32
	harness.Eventually(t, time.Minute, func() error {
		md, err := adm.Metadata(ctx, "ref3")
		if err != nil {
			return err
		}
		p := md.Topics["ref3"].Partitions[0]
		if len(md.Brokers) != 3 || len(p.ISR) != 3 {
			return fmt.Errorf("brokers %d, isr %v: want 3 and 3", len(md.Brokers), p.ISR)
		}
		leader = p.Leader
		return nil
	})
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "ref3", Value: []byte("one")}).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	c.Nodes[leader-1].Kill()
	fs := cl.PollRecords(ctx, 1)
	if err := fs.Err0(); err != nil {
		t.Fatalf("poll after killing leader %d: %v", leader, err)
	}
	if recs := fs.Records(); len(recs) != 1 || string(recs[0].Value) != "one" {
		t.Fatalf("after killing leader %d: records %v", leader, recs)
	}
}
