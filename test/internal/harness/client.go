package harness

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Client returns a franz-go client bootstrapped from the broker, closed
// when the test ends. opts are appended to the seed option.
func (b *Broker) Client(opts ...kgo.Opt) *kgo.Client {
	b.t.Helper()
	all := append([]kgo.Opt{kgo.SeedBrokers(b.Addr)}, opts...)
	cl, err := kgo.NewClient(all...)
	if err != nil {
		b.t.Fatalf("harness: new client: %v", err)
	}
	b.t.Cleanup(cl.Close)
	return cl
}

// Admin returns an admin client over a fresh franz-go client.
func (b *Broker) Admin() *kadm.Client {
	b.t.Helper()
	return kadm.NewClient(b.Client())
}

// CreateTopic creates a topic with replication factor 1 and the given
// topic configs, then waits until every partition has a leader.
func (b *Broker) CreateTopic(topic string, partitions int32, configs map[string]string) {
	b.t.Helper()
	adm := b.Admin()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ptrs := make(map[string]*string, len(configs))
	for k, v := range configs {
		ptrs[k] = kadm.StringPtr(v)
	}
	resp, err := adm.CreateTopic(ctx, partitions, 1, ptrs, topic)
	if err != nil {
		b.t.Fatalf("create topic %q: %v (%s)", topic, err, resp.ErrMessage)
	}
	b.WaitTopic(adm, topic, partitions)
}

// WaitTopic waits until metadata shows topic with the given number of
// partitions, each with a leader.
func (b *Broker) WaitTopic(adm *kadm.Client, topic string, partitions int32) {
	b.t.Helper()
	Eventually(b.t, 30*time.Second, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		md, err := adm.Metadata(ctx, topic)
		if err != nil {
			return err
		}
		td, ok := md.Topics[topic]
		if !ok || td.Err != nil {
			return fmt.Errorf("topic %q not ready: %v", topic, td.Err)
		}
		if len(td.Partitions) != int(partitions) {
			return fmt.Errorf("topic %q has %d partitions, want %d", topic, len(td.Partitions), partitions)
		}
		for _, p := range td.Partitions {
			if p.Err != nil || p.Leader < 0 {
				return fmt.Errorf("partition %d: leader %d err %v", p.Partition, p.Leader, p.Err)
			}
		}
		return nil
	})
}
