package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/samsa-io/samsa/test/internal/harness"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestListOffsetsByTimestamp produces twelve records with explicit create
// timestamps t0+i*1000 ms, except record 9 whose timestamp (t0+50,000) is
// the maximum. Records 0-5 go in one batch each, 6-11 in a single batch,
// so lookups must work both across batches and inside one. It checks
// ListOffsets for timestamps, earliest (-2), latest (-1) and max timestamp
// (-3, v7).
func TestListOffsetsByTimestamp(t *testing.T) {
	b := harness.Start(t, nil)
	const topic = "by-time"
	b.CreateTopic(topic, 1, nil)
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second).UnixMilli()
	ts := func(i int) int64 {
		if i == 9 {
			return t0 + 50_000
		}
		return t0 + int64(i)*1000
	}
	cl := b.Client(kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(0))
	ctx := mustCtx(t, time.Minute)
	for i := range 6 {
		rec := &kgo.Record{Value: []byte{byte(i)}, Timestamp: time.UnixMilli(ts(i))}
		if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
			t.Fatalf("produce record %d: %v", i, err)
		}
	}
	var batch []*kgo.Record
	for i := 6; i < 12; i++ {
		batch = append(batch, &kgo.Record{Value: []byte{byte(i)}, Timestamp: time.UnixMilli(ts(i))})
	}
	if err := cl.ProduceSync(ctx, batch...).FirstErr(); err != nil {
		t.Fatalf("produce records 6-11: %v", err)
	}

	adm := kadm.NewClient(cl)
	cases := []struct {
		name   string
		millis int64
		want   int64
	}{
		{"before all", t0 - 5000, 0},
		{"first exactly", t0, 0},
		{"just after first", t0 + 1, 1},
		{"between 2 and 3", t0 + 2500, 3},
		{"last single batch", t0 + 5000, 5},
		{"first of multi batch", t0 + 5001, 6},
		{"inside multi batch", t0 + 8000, 8},
		{"max record after 8", t0 + 8001, 9},
		{"max record before 10", t0 + 10_000, 9},
		{"max exactly", t0 + 50_000, 9},
		{"after all (end offset)", t0 + 50_001, 12},
	}
	for _, c := range cases {
		got := listAfterMilli(ctx, t, adm, topic, c.millis)
		if got != c.want {
			t.Errorf("%s: ListOffsetsAfterMilli(t0%+d) = %d, want %d", c.name, c.millis-t0, got, c.want)
		}
	}
	checkSpecialOffset(ctx, t, cl, topic, -2, 0, -1)
	checkSpecialOffset(ctx, t, cl, topic, -1, 12, -1)
	checkSpecialOffset(ctx, t, cl, topic, -3, 9, t0+50_000)
}

func listAfterMilli(ctx context.Context, t *testing.T, adm *kadm.Client, topic string, millis int64) int64 {
	t.Helper()
	listed, err := adm.ListOffsetsAfterMilli(ctx, millis, topic)
	if err != nil {
		t.Fatalf("ListOffsetsAfterMilli(%d): %v", millis, err)
	}
	o, ok := listed.Lookup(topic, 0)
	if !ok || o.Err != nil {
		t.Fatalf("ListOffsetsAfterMilli(%d): partition 0 missing or failed: %+v", millis, o)
	}
	return o.Offset
}

// checkSpecialOffset sends ListOffsets v7 for a special timestamp
// (-1 latest, -2 earliest, -3 max timestamp) and checks the offset and,
// when wantTS is not -1, the returned timestamp.
func checkSpecialOffset(ctx context.Context, t *testing.T, cl *kgo.Client, topic string, special, wantOffset, wantTS int64) {
	t.Helper()
	req := kmsg.NewPtrListOffsetsRequest()
	req.Version = 7
	req.ReplicaID = -1
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewListOffsetsRequestTopicPartition()
	rp.Partition = 0
	rp.Timestamp = special
	rp.CurrentLeaderEpoch = -1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("ListOffsets v7 timestamp %d: %v", special, err)
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		t.Fatalf("ListOffsets v7 timestamp %d: malformed response %+v", special, resp)
	}
	p := resp.Topics[0].Partitions[0]
	if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
		t.Errorf("ListOffsets v7 timestamp %d: %v", special, err)
		return
	}
	if p.Offset != wantOffset {
		t.Errorf("ListOffsets v7 timestamp %d: offset %d, want %d", special, p.Offset, wantOffset)
	}
	if wantTS != -1 && p.Timestamp != wantTS {
		t.Errorf("ListOffsets v7 timestamp %d: timestamp %d, want %d", special, p.Timestamp, wantTS)
	}
}
