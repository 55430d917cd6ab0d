package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// TestRegexSubscriptionResolvedByBroker: a franz-go KIP-848 member with
// ConsumeRegex and the server-side balancer has the broker resolve its
// expression, and a matching topic created later is consumed too.
// (franz-go wraps its expression in ".*(?:...).*", since it matches
// anywhere in a name itself; the whole-name rule is checked by the Java
// RegexSubscriptionTest and the group package's tests.)
func TestRegexSubscriptionResolvedByBroker(t *testing.T) {
	b := harness.Start(t, harness.SingleNodeProps())
	b.CreateTopic("rx-orders", 2, nil)
	b.CreateTopic("rx-orders-v2", 1, nil)
	b.CreateTopic("other", 1, nil)
	prod := b.Client(kgo.ProducerLinger(0))
	ctx := mustCtx(t, 2*time.Minute)
	produce := func(topics ...string) {
		t.Helper()
		for _, topic := range topics {
			if err := prod.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte(topic)}).FirstErr(); err != nil {
				t.Fatalf("produce to %s: %v", topic, err)
			}
		}
	}
	produce("rx-orders", "rx-orders-v2", "other")

	cl := b.Client(kgo.ServerSideBalancer(), kgo.ConsumerGroup("rx-group"), kgo.ConsumeRegex(),
		kgo.ConsumeTopics("rx-orders.*"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.MetadataMinAge(100*time.Millisecond), kgo.FetchMaxWait(250*time.Millisecond))
	seen := map[string]bool{}
	pollUntil := func(want ...string) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 45*time.Second)
		defer cancel()
		for wctx.Err() == nil {
			done := true
			for _, w := range want {
				done = done && seen[w]
			}
			if done {
				return
			}
			cl.PollFetches(wctx).EachRecord(func(r *kgo.Record) { seen[r.Topic] = true })
		}
		t.Fatalf("consumed from %v, want %v", seen, want)
	}
	pollUntil("rx-orders", "rx-orders-v2")

	b.CreateTopic("rx-orders-eu", 1, nil)
	produce("rx-orders-eu")
	pollUntil("rx-orders-eu")
	if seen["other"] {
		t.Fatal("consumed a topic the expression does not match")
	}
}
