package group

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeTopics is a topic list whose version moves with every change.
type fakeTopics struct {
	mu      sync.Mutex
	names   []string
	version uint64
}

func (f *fakeTopics) TopicsVersion() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.version
}

func (f *fakeTopics) TopicNames() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.names)
}

func (f *fakeTopics) create(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.names = append(f.names, name)
	f.version++
}

func regexHB(member string, epoch int32, regex string, topics TopicLister, owned []TopicPartition) ConsumerHeartbeat {
	return ConsumerHeartbeat{Group: "rg", MemberID: member, MemberEpoch: epoch, SubscribedRegex: &regex,
		Topics: topics, Owned: owned, OwnedSent: owned != nil}
}

func topicsOf(tps []TopicPartition) []string {
	var out []string
	for _, tp := range tps {
		if !slices.Contains(out, tp.Topic) {
			out = append(out, tp.Topic)
		}
	}
	slices.Sort(out)
	return out
}

func TestRegexSubscriptionMatchesWholeNamesAndPicksUpNewTopics(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.PartitionCount = func(string) int32 { return 2 } })
	ctx := context.Background()
	topics := &fakeTopics{names: []string{"orders", "orders-v2", "old-orders", "__consumer_offsets"}}
	r := e.c.ConsumerHeartbeat(ctx, regexHB("a", 0, "orders.*", topics, []TopicPartition{}))
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	// "old-orders" contains a match but is not one: Kafka matches whole names.
	if got := topicsOf(r.Assignment); !slices.Equal(got, []string{"orders", "orders-v2"}) {
		t.Fatalf("assigned topics = %v", got)
	}
	epoch := r.MemberEpoch

	// A topic created later joins once the refresh interval has passed.
	topics.create("orders-eu")
	r = e.c.ConsumerHeartbeat(ctx, regexHB("a", epoch, "orders.*", topics, r.Assignment))
	if got := topicsOf(r.Assignment); len(got) != 2 {
		t.Fatalf("resolved again before the refresh interval: %v", got)
	}
	e.clock.Advance(regexRefreshInterval)
	r = e.c.ConsumerHeartbeat(ctx, regexHB("a", epoch, "orders.*", topics, r.Assignment))
	if got := topicsOf(r.Assignment); !slices.Equal(got, []string{"orders", "orders-eu", "orders-v2"}) || r.MemberEpoch <= epoch {
		t.Fatalf("after a new topic: topics %v epoch %d (was %d)", got, r.MemberEpoch, epoch)
	}

	// Internal topics are not skipped.
	r = e.c.ConsumerHeartbeat(ctx, regexHB("a", r.MemberEpoch, "__consumer.*", topics, r.Assignment))
	r = e.c.ConsumerHeartbeat(ctx, regexHB("a", r.MemberEpoch, "__consumer.*", topics, r.Assignment))
	if got := topicsOf(r.Assignment); !slices.Equal(got, []string{"__consumer_offsets"}) {
		t.Fatalf("internal topic regex: %v", got)
	}
	d, err := e.c.DescribeConsumerGroup("rg")
	if err != nil || d.Members[0].SubscribedRegex != "__consumer.*" {
		t.Fatalf("describe = %+v, %v", d, err)
	}
}

func TestRegexSubscriptionErrorsAndAuthorization(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.PartitionCount = func(string) int32 { return 1 } })
	ctx := context.Background()
	topics := &fakeTopics{names: []string{"pub-a", "pub-b", "secret"}}
	bad := regexHB("a", 0, "pub[", topics, []TopicPartition{})
	if r := e.c.ConsumerHeartbeat(ctx, bad); !errors.Is(r.Err, ErrInvalidRegularExpression) {
		t.Fatalf("invalid regex: %v", r.Err)
	}
	if _, err := e.c.DescribeConsumerGroup("rg"); err == nil {
		t.Fatal("a member with an invalid regex joined")
	}
	hb := regexHB("a", 0, ".*", topics, []TopicPartition{})
	hb.CanDescribe = func(topic string) bool { return topic != "secret" }
	r := e.c.ConsumerHeartbeat(ctx, hb)
	if got := topicsOf(r.Assignment); r.Err != nil || !slices.Equal(got, []string{"pub-a", "pub-b"}) {
		t.Fatalf("assigned %v (%v); a topic the member cannot describe must not match", got, r.Err)
	}
}

func TestRegexAndNamesShareOneAssignment(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.PartitionCount = func(string) int32 { return 4 } })
	ctx := context.Background()
	topics := &fakeTopics{names: []string{"t", "u"}}
	a := e.c.ConsumerHeartbeat(ctx, regexHB("a", 0, "t|u", topics, []TopicPartition{}))
	b := ConsumerHeartbeat{Group: "rg", MemberID: "b", MemberEpoch: 0, Subscribed: []string{"t"}, Topics: topics,
		Owned: []TopicPartition{}, OwnedSent: true}
	br := e.c.ConsumerHeartbeat(ctx, b)
	if a.Err != nil || br.Err != nil {
		t.Fatal(a.Err, br.Err)
	}
	// Let both reconcile: a gives up what b is to get.
	for range 4 {
		a = e.c.ConsumerHeartbeat(ctx, regexHB("a", a.MemberEpoch, "t|u", topics, a.Assignment))
		b.MemberEpoch, b.Owned = br.MemberEpoch, br.Assignment
		br = e.c.ConsumerHeartbeat(ctx, b)
		e.clock.Advance(time.Second)
	}
	all := append(slices.Clone(a.Assignment), br.Assignment...)
	if len(all) != 8 || !slices.Equal(topicsOf(br.Assignment), []string{"t"}) {
		t.Fatalf("a %v, b %v", a.Assignment, br.Assignment)
	}
}
