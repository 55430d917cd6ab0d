package harness

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
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
	b.WaitTopic(topic, partitions)
}

// WaitTopic waits until metadata shows topic with the given number of
// partitions, each with a leader. It sends its own Metadata requests:
// kadm's Metadata is answered from franz-go's metadata cache for up to
// MetadataMinAge (5 s), so a first answer of LEADER_NOT_AVAILABLE (a
// replica still opening) used to hold every wait for those 5 s.
func (b *Broker) WaitTopic(topic string, partitions int32) {
	b.t.Helper()
	cl := b.Client()
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	Eventually(b.t, 30*time.Second, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return err
		}
		if len(resp.Topics) != 1 {
			return fmt.Errorf("topic %q: metadata lists %d topics", topic, len(resp.Topics))
		}
		td := resp.Topics[0]
		if err := kerr.ErrorForCode(td.ErrorCode); err != nil {
			return fmt.Errorf("topic %q not ready: %w", topic, err)
		}
		if len(td.Partitions) != int(partitions) {
			return fmt.Errorf("topic %q has %d partitions, want %d", topic, len(td.Partitions), partitions)
		}
		for _, p := range td.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil || p.Leader < 0 {
				return fmt.Errorf("partition %d: leader %d err %v", p.Partition, p.Leader, err)
			}
		}
		return nil
	})
}
