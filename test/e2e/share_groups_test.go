package e2e

// Share groups (KIP-932) through franz-go's share consumer against the
// real binary: consumers of one group split a topic, each acknowledgement
// type is honoured, an expired acquisition lock redelivers and the
// delivery-count limit archives.
//
// A share-partition starts at the high watermark when the group is first
// assigned it (share.auto.offset.reset=latest), so each test waits for its
// members to be assigned before producing. "Never delivered again" is
// checked without waiting out a timer: the share-partition hands out its
// lowest available offsets first, so once a record produced afterwards (a
// sentinel) is delivered, any record still available would have come with
// or before it.

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// startShareBroker is a group broker with short share-group timers: a one
// second acquisition lock and at most three deliveries.
func startShareBroker(t *testing.T) *harness.Broker {
	t.Helper()
	return startGroupBroker(t, map[string]string{
		"group.share.record.lock.duration.ms": "1000",
		"group.share.delivery.count.limit":    "3",
		"group.share.heartbeat.interval.ms":   "1000",
	})
}

// shareConsumer is a franz-go share-group consumer of topic, closed at the
// end of the test.
func shareConsumer(b *harness.Broker, group, topic string, opts ...kgo.Opt) *kgo.Client {
	return b.Client(append([]kgo.Opt{kgo.ShareGroup(group), kgo.ConsumeTopics(topic),
		kgo.FetchMaxWait(500 * time.Millisecond)}, opts...)...)
}

// waitShareMembers waits until ShareGroupDescribe shows n members of group,
// each with partitions assigned.
func waitShareMembers(t *testing.T, b *harness.Broker, group string, n int) {
	t.Helper()
	cl := b.Client()
	harness.Eventually(t, 30*time.Second, func() error {
		req := kmsg.NewPtrShareGroupDescribeRequest()
		req.GroupIDs = []string{group}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return err
		}
		g := resp.Groups[0]
		if g.ErrorCode != 0 {
			return fmt.Errorf("describe %s: error %d", group, g.ErrorCode)
		}
		assigned := 0
		for _, m := range g.Members {
			if len(m.Assignment.TopicPartitions) > 0 {
				assigned++
			}
		}
		if assigned != n || len(g.Members) != n {
			return fmt.Errorf("%d members, %d assigned; want %d", len(g.Members), assigned, n)
		}
		return nil
	})
}

// pollUntil polls cl, handing every record to fn, until fn returns true;
// it fails the test after 30 seconds.
func pollUntil(t *testing.T, cl *kgo.Client, fn func(*kgo.Record) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("poll: %v", ctx.Err())
		}
		fs.EachError(func(topic string, p int32, err error) { t.Logf("fetch error %s/%d: %v", topic, p, err) })
		done := false
		fs.EachRecord(func(r *kgo.Record) {
			if fn(r) {
				done = true
			}
		})
		if done {
			return
		}
	}
}

func produceOne(t *testing.T, b *harness.Broker, topic, value string) {
	t.Helper()
	cl := b.Client(kgo.DefaultProduceTopic(topic))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(value)}).FirstErr(); err != nil {
		t.Fatalf("produce %s: %v", value, err)
	}
}

func TestShareGroupsWithFranzGo(t *testing.T) {
	b := startShareBroker(t)

	t.Run("consumers split a topic", func(t *testing.T) {
		const topic, group, records, consumers = "share-split", "sg-split", 300, 3
		b.CreateTopic(topic, 3, nil)
		var (
			mu       sync.Mutex
			seen     = make(map[string]int)
			perCons  = make([]int, consumers)
			wg       sync.WaitGroup
			ctx, end = context.WithCancel(context.Background())
		)
		defer func() { end(); wg.Wait() }()
		for i := range consumers {
			cl := shareConsumer(b, group, topic, kgo.ShareMaxRecords(10), kgo.ShareMaxRecordsStrict())
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
						mu.Lock()
						seen[string(r.Value)]++
						perCons[i]++
						mu.Unlock()
					})
				}
			}()
		}
		waitShareMembers(t, b, group, consumers)
		produceValues(t, b, topic, "v", records)
		harness.Eventually(t, 60*time.Second, func() error {
			mu.Lock()
			defer mu.Unlock()
			if len(seen) != records {
				return fmt.Errorf("%d of %d records delivered", len(seen), records)
			}
			return nil
		})
		mu.Lock()
		defer mu.Unlock()
		for v, n := range seen {
			if n != 1 {
				t.Errorf("%s delivered %d times", v, n)
			}
		}
		t.Logf("records per consumer: %v", perCons)

		// The group is listed as a share group.
		lreq := kmsg.NewPtrListGroupsRequest()
		lreq.TypesFilter = []string{"share"}
		lctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		lresp, err := lreq.RequestWith(lctx, b.Client())
		if err != nil {
			t.Fatal(err)
		}
		if len(lresp.Groups) != 1 || lresp.Groups[0].Group != group || lresp.Groups[0].GroupType != "share" ||
			lresp.Groups[0].GroupState != "Stable" {
			t.Errorf("ListGroups(share) = %+v, want %s Stable", lresp.Groups, group)
		}
	})

	t.Run("release redelivers and reject archives", func(t *testing.T) {
		const topic, group = "share-acks", "sg-acks"
		b.CreateTopic(topic, 1, nil)
		c := shareConsumer(b, group, topic, kgo.ShareMaxRecords(100), kgo.ShareMaxRecordsStrict())
		startPolling(t, c)
		waitShareMembers(t, b, group, 1)
		produceValues(t, b, topic, "r", 10)
		// Each record is marked as it arrives: a record left unmarked at
		// the next poll is accepted.
		n := 0
		pollUntil(t, c, func(r *kgo.Record) bool {
			switch {
			case r.Offset < 3:
				c.MarkAcks(kgo.AckRelease, r)
			case r.Offset < 5:
				c.MarkAcks(kgo.AckReject, r)
			default:
				c.MarkAcks(kgo.AckAccept, r)
			}
			n++
			return n == 10
		})
		flush(t, c)
		produceOne(t, b, topic, "sentinel")
		deliveries := make(map[int64][]int32)
		pollUntil(t, c, func(r *kgo.Record) bool {
			deliveries[r.Offset] = append(deliveries[r.Offset], r.DeliveryCount())
			return string(r.Value) == "sentinel"
		})
		want := map[int64][]int32{0: {2}, 1: {2}, 2: {2}, 10: {1}}
		if fmt.Sprint(deliveries) != fmt.Sprint(want) {
			t.Fatalf("after release 0-2, reject 3-4, accept 5-9: deliveries (offset: delivery counts) %v, want %v", deliveries, want)
		}
	})

	t.Run("an expired lock redelivers to another member", func(t *testing.T) {
		const topic, group = "share-lock", "sg-lock"
		b.CreateTopic(topic, 1, nil)
		holder := shareConsumer(b, group, topic, kgo.ShareMaxRecords(100), kgo.ShareMaxRecordsStrict())
		startPolling(t, holder)
		waitShareMembers(t, b, group, 1)
		produceBatch(t, b, topic, 3) // one batch: one fetch acquires all, and no record is accepted by a later poll
		var held []int64
		pollUntil(t, holder, func(r *kgo.Record) bool { held = append(held, r.Offset); return len(held) == 3 })
		// holder neither acknowledges nor polls again: after the one
		// second lock the records go to the next member, delivered twice.
		other := shareConsumer(b, group, topic, kgo.ShareMaxRecords(100), kgo.ShareMaxRecordsStrict())
		var again []int64
		pollUntil(t, other, func(r *kgo.Record) bool {
			if r.DeliveryCount() != 2 {
				t.Errorf("offset %d redelivered with delivery count %d, want 2", r.Offset, r.DeliveryCount())
			}
			again = append(again, r.Offset)
			return len(again) == 3
		})
		if !slices.Equal(held, again) {
			t.Fatalf("held %v, redelivered %v", held, again)
		}
	})

	t.Run("the delivery limit archives", func(t *testing.T) {
		const topic, group = "share-limit", "sg-limit"
		b.CreateTopic(topic, 1, nil)
		c := shareConsumer(b, group, topic, kgo.ShareMaxRecords(100), kgo.ShareMaxRecordsStrict())
		startPolling(t, c)
		waitShareMembers(t, b, group, 1)
		produceOne(t, b, topic, "poison")
		for delivery := int32(1); delivery <= 3; delivery++ {
			pollUntil(t, c, func(r *kgo.Record) bool {
				if string(r.Value) != "poison" || r.DeliveryCount() != delivery {
					t.Fatalf("got %s delivered %d times, want poison delivery %d", r.Value, r.DeliveryCount(), delivery)
				}
				c.MarkAcks(kgo.AckRelease, r)
				return true
			})
			flush(t, c)
		}
		// The third release hit the limit (3): the record is archived.
		produceOne(t, b, topic, "sentinel")
		pollUntil(t, c, func(r *kgo.Record) bool {
			if string(r.Value) != "sentinel" {
				t.Fatalf("got %s (delivery %d) after the delivery limit, want only the sentinel", r.Value, r.DeliveryCount())
			}
			return true
		})
	})
}

// startPolling makes cl join its share group now: a share consumer joins
// on its first poll. The poll is bounded and returns nothing (nothing has
// been produced yet).
func startPolling(t *testing.T, cl *kgo.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if n := cl.PollFetches(ctx).NumRecords(); n != 0 {
		t.Fatalf("first poll returned %d records before any was produced", n)
	}
}

func flush(t *testing.T, cl *kgo.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.FlushAcks(ctx); err != nil {
		t.Fatalf("flush acks: %v", err)
	}
}

// produceBatch produces n records to partition 0 of topic in one batch.
func produceBatch(t *testing.T, b *harness.Broker, topic string, n int) {
	t.Helper()
	cl := b.Client(kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Value: fmt.Appendf(nil, "b-%d", i)}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce %d records: %v", n, err)
	}
}
