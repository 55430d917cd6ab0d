package e2e

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/samsa-io/samsa/test/internal/harness"
	"github.com/twmb/franz-go/pkg/kgo"
)

const (
	durPartitions = 3
	durRecords    = 100_000
)

// TestDurability produces 100,000 sequenced records with acks=all and
// idempotence (franz-go's defaults) to three partitions, reads them all
// back in order, restarts the broker with SIGTERM and reads them again,
// then kills the broker with SIGKILL in the middle of a produce stream and
// proves that every acknowledged record survived, once and in order.
func TestDurability(t *testing.T) {
	b := harness.Start(t, nil)
	const topic = "durability"
	b.CreateTopic(topic, durPartitions, nil)

	counts := produceSequenced(t, b, topic, durRecords)
	adm := b.Admin()
	ends := endOffsets(t, adm, topic)
	for p := range int32(durPartitions) {
		if ends[p] != counts[p] {
			t.Errorf("partition %d: end offset %d, produced %d", p, ends[p], counts[p])
		}
	}
	checkExactSequence(t, consumeAll(t, b, topic, counts, 2*time.Minute), counts)

	b.Restart()
	if got := endOffsets(t, b.Admin(), topic); fmt.Sprint(got) != fmt.Sprint(counts) {
		t.Errorf("after SIGTERM restart: end offsets %v, want %v", got, counts)
	}
	checkExactSequence(t, consumeAll(t, b, topic, counts, 2*time.Minute), counts)

	t.Run("kill -9 during produce", func(t *testing.T) { testKillDuringProduce(t, b) })
}

// produceSequenced writes n records round-robin over the partitions, the
// value of each carrying its partition and its index within the partition,
// and returns how many went to each partition.
func produceSequenced(t *testing.T, b *harness.Broker, topic string, n int) map[int32]int64 {
	t.Helper()
	cl := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RecordDeliveryTimeout(time.Minute))
	ctx := mustCtx(t, 3*time.Minute)
	var failed atomic.Int64
	var firstErr atomic.Value
	counts := make(map[int32]int64)
	for i := range n {
		p := int32(i % durPartitions)
		rec := &kgo.Record{Topic: topic, Partition: p, Value: seqValue(p, counts[p])}
		counts[p]++
		cl.Produce(ctx, rec, func(_ *kgo.Record, err error) {
			if err != nil && failed.Add(1) == 1 {
				firstErr.Store(err)
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		t.Fatalf("flush: %v", err)
	}
	if nf := failed.Load(); nf > 0 {
		t.Fatalf("%d of %d records failed; first error: %v", nf, n, firstErr.Load())
	}
	return counts
}

// checkExactSequence verifies that partition p holds exactly counts[p]
// records, the record at offset i carrying sequence i of partition p.
func checkExactSequence(t *testing.T, got map[int32][]*kgo.Record, counts map[int32]int64) {
	t.Helper()
	for p, want := range counts {
		rs := got[p]
		if int64(len(rs)) != want {
			t.Errorf("partition %d: consumed %d records, want %d", p, len(rs), want)
		}
		for i, r := range rs {
			vp, seq, err := parseSeqValue(r.Value)
			if err != nil || vp != p || seq != int64(i) || r.Offset != int64(i) {
				t.Fatalf("partition %d record %d: offset %d, value partition %d seq %d (err %v); want offset=seq=%d",
					p, i, r.Offset, vp, seq, err, i)
			}
		}
	}
}

// ackLog records which sequence numbers of each partition were
// acknowledged. It is written by produce callbacks and read by the test.
type ackLog struct {
	mu     sync.Mutex
	acked  map[int32]map[int64]bool
	total  int
	failed int
	errs   map[string]int
}

func newAckLog() *ackLog {
	return &ackLog{acked: make(map[int32]map[int64]bool), errs: make(map[string]int)}
}

func (a *ackLog) record(p int32, seq int64, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		a.failed++
		a.errs[err.Error()]++
		return
	}
	if a.acked[p] == nil {
		a.acked[p] = make(map[int64]bool)
	}
	a.acked[p][seq] = true
	a.total++
}

func (a *ackLog) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.total
}

// testKillDuringProduce streams sequenced records, kills the broker with
// SIGKILL once 20,000 are acknowledged, starts it again, waits for the
// producer to make progress, stops producing and then checks the log
// against what was acknowledged.
func testKillDuringProduce(t *testing.T, b *harness.Broker) {
	const topic = "durability-crash"
	b.CreateTopic(topic, durPartitions, nil)
	cl := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RecordDeliveryTimeout(90*time.Second), kgo.MaxBufferedRecords(5000))
	acks := newAckLog()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan struct{})
	go func() { // owned by this test: ends when stop is called or after 300k records
		defer close(done)
		streamSequenced(ctx, cl, topic, acks, 300_000)
	}()

	harness.Eventually(t, time.Minute, atLeast(acks, 20_000))
	b.Kill()
	atKill := acks.count()
	t.Logf("killed broker after %d acknowledged records", atKill)
	b.Launch()
	if err := harness.Poll(time.Minute, atLeast(acks, atKill+5_000)); err != nil {
		t.Errorf("producer made no progress after the restart: %v", err)
	}
	stop()
	<-done
	flushCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := cl.Flush(flushCtx); err != nil {
		t.Fatalf("flush after stop: %v", err)
	}
	acks.mu.Lock()
	t.Logf("acknowledged %d records, %d failed: %v", acks.total, acks.failed, acks.errs)
	acks.mu.Unlock()

	ends := endOffsets(t, b.Admin(), topic)
	checkAcknowledged(t, consumeAll(t, b, topic, ends, 2*time.Minute), acks)
}

// streamSequenced produces up to n sequenced records round-robin until ctx
// is cancelled, recording each outcome in acks.
func streamSequenced(ctx context.Context, cl *kgo.Client, topic string, acks *ackLog, n int) {
	var next [durPartitions]int64
	for i := 0; i < n && ctx.Err() == nil; i++ {
		p := int32(i % durPartitions)
		seq := next[p]
		next[p]++
		rec := &kgo.Record{Topic: topic, Partition: p, Value: seqValue(p, seq)}
		cl.Produce(ctx, rec, func(_ *kgo.Record, err error) { acks.record(p, seq, err) })
	}
}

func atLeast(acks *ackLog, n int) func() error {
	return func() error {
		if c := acks.count(); c < n {
			return fmt.Errorf("%d records acknowledged, waiting for %d", c, n)
		}
		return nil
	}
}

// checkAcknowledged verifies that every acknowledged sequence number is in
// its partition exactly once and that acknowledged records appear in
// increasing sequence order. Unacknowledged records may be missing or
// repeated.
func checkAcknowledged(t *testing.T, got map[int32][]*kgo.Record, acks *ackLog) {
	t.Helper()
	acks.mu.Lock()
	defer acks.mu.Unlock()
	for p := range int32(durPartitions) {
		seen := make(map[int64]int)
		last := int64(-1)
		unackedDups := 0
		for _, r := range got[p] {
			vp, seq, err := parseSeqValue(r.Value)
			if err != nil || vp != p {
				t.Fatalf("partition %d offset %d: bad value (partition %d, err %v)", p, r.Offset, vp, err)
			}
			seen[seq]++
			if !acks.acked[p][seq] {
				if seen[seq] > 1 {
					unackedDups++
				}
				continue
			}
			if seen[seq] > 1 {
				t.Errorf("partition %d: acknowledged seq %d duplicated (again at offset %d)", p, seq, r.Offset)
			}
			if seq <= last && seen[seq] == 1 {
				t.Errorf("partition %d: acknowledged seq %d at offset %d after seq %d: out of order", p, seq, r.Offset, last)
			}
			last = max(last, seq)
		}
		missing := 0
		for seq := range acks.acked[p] {
			if seen[seq] == 0 {
				if missing < 5 {
					t.Errorf("partition %d: acknowledged seq %d lost", p, seq)
				}
				missing++
			}
		}
		if missing > 0 {
			t.Errorf("partition %d: %d of %d acknowledged records lost", p, missing, len(acks.acked[p]))
		}
		t.Logf("partition %d: %d records in log, %d acknowledged, %d repeats of unacknowledged records",
			p, len(got[p]), len(acks.acked[p]), unackedDups)
	}
}
