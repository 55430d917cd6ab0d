package cluster

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ledger is what a producer was told: every record carries a unique
// sequence number as its value; acked holds those acknowledged.
type ledger struct {
	mu       sync.Mutex
	enqueued map[int64]time.Time // seq -> when Produce was called
	acked    map[int64]int32     // seq -> partition
	acks     []ack               // in callback order
	failed   int
	lastErr  error
}

type ack struct {
	partition int32
	enqueued  time.Time
	at        time.Time
}

func newLedger() *ledger {
	return &ledger{enqueued: make(map[int64]time.Time), acked: make(map[int64]int32)}
}

// producer writes numbered records round-robin over partitions at about
// rate records a second until stop is called, through an idempotent
// acks=all franz-go client that retries without limit.
type producer struct {
	l      *ledger
	cl     *kgo.Client
	halt   chan struct{} // closed by stop: no new records
	done   chan struct{} // closed when the tick loop returned
	cancel context.CancelFunc
}

func startProducer(cl *kgo.Client, topic string, partitions int32, rate int) *producer {
	// Records keep this context until they are acknowledged; cancelling
	// it would fail the buffered ones, so stop cancels it only after Flush.
	ctx, cancel := context.WithCancel(context.Background())
	p := &producer{l: newLedger(), cl: cl, halt: make(chan struct{}), done: make(chan struct{}), cancel: cancel}
	const tick = 10 * time.Millisecond
	perTick := max(1, rate/100)
	go func() { // owned by p: stop closes halt and waits for done
		defer close(p.done)
		t := time.NewTicker(tick)
		defer t.Stop()
		var seq int64
		for {
			select {
			case <-p.halt:
				return
			case <-t.C:
			}
			for range perTick {
				s := seq
				seq++
				r := &kgo.Record{Topic: topic, Partition: int32(s % int64(partitions)), Value: []byte(strconv.FormatInt(s, 10))}
				p.l.mu.Lock()
				p.l.enqueued[s] = time.Now()
				p.l.mu.Unlock()
				cl.Produce(ctx, r, func(r *kgo.Record, err error) { p.l.record(s, r, err) })
			}
		}
	}()
	return p
}

func (l *ledger) record(seq int64, r *kgo.Record, err error) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.failed++
		l.lastErr = err
		return
	}
	l.acked[seq] = r.Partition
	l.acks = append(l.acks, ack{partition: r.Partition, enqueued: l.enqueued[seq], at: now})
}

// stop ends production and waits up to timeout for every buffered record
// to be acknowledged or failed.
func (p *producer) stop(t *testing.T, timeout time.Duration) {
	t.Helper()
	close(p.halt)
	<-p.done
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := p.cl.Flush(ctx); err != nil {
		t.Errorf("flush producer: %v", err)
	}
	p.cancel()
}

// firstAckAfter returns when the first record enqueued after since was
// acknowledged on one of partitions, or false.
func (l *ledger) firstAckAfter(since time.Time, partitions []int32) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, a := range l.acks {
		if a.enqueued.After(since) && slices.Contains(partitions, a.partition) {
			return a.at, true
		}
	}
	return time.Time{}, false
}

// readAll reads every partition of topic from the start to its high
// watermark and returns how often each sequence number occurs.
func readAll(t *testing.T, cl *kgo.Client, adm *kadm.Client, topic string) map[int64]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatalf("list end offsets: %v", err)
	}
	want := map[int32]int64{}
	assign := map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			t.Fatalf("end offset %s-%d: %v", o.Topic, o.Partition, o.Err)
		}
		if o.Offset > 0 {
			want[o.Partition] = o.Offset
			assign[o.Partition] = kgo.NewOffset().AtStart()
		}
	})
	cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{topic: assign})
	seen := map[int64]int{}
	next := map[int32]int64{}
	for ctx.Err() == nil {
		done := true
		for p, end := range want {
			if next[p] < end {
				done = false
			}
		}
		if done {
			return seen
		}
		fs := cl.PollFetches(ctx)
		fs.EachError(func(topic string, p int32, err error) {
			t.Logf("fetch %s-%d: %v", topic, p, err)
		})
		fs.EachRecord(func(r *kgo.Record) {
			seq, err := strconv.ParseInt(string(r.Value), 10, 64)
			if err != nil {
				t.Fatalf("record %s-%d@%d has value %q, not a sequence number", r.Topic, r.Partition, r.Offset, r.Value)
			}
			seen[seq]++
			next[r.Partition] = r.Offset + 1
		})
	}
	t.Fatalf("reading %s back: %v; read up to %v, want %v", topic, ctx.Err(), next, want)
	return nil
}

// verifyExactlyOnce checks that every acknowledged record was read once
// and no record was read twice, and logs the figures.
func verifyExactlyOnce(t *testing.T, l *ledger, seen map[int64]int) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var lost, dup []int64
	for seq := range l.acked {
		if seen[seq] == 0 {
			lost = append(lost, seq)
		}
	}
	unacked := 0
	for seq, n := range seen {
		if n > 1 {
			dup = append(dup, seq)
		}
		if _, ok := l.acked[seq]; !ok {
			unacked++
		}
	}
	slices.Sort(lost)
	slices.Sort(dup)
	t.Logf("records: produced %d, acknowledged %d, failed %d (last error %v), read %d distinct (%d of them unacknowledged), lost %d, duplicated %d",
		len(l.enqueued), len(l.acked), l.failed, l.lastErr, len(seen), unacked, len(lost), len(dup))
	if len(lost) > 0 {
		t.Errorf("%d acknowledged records lost, first %v", len(lost), lost[:min(10, len(lost))])
	}
	if len(dup) > 0 {
		t.Errorf("%d records duplicated, first %v", len(dup), dup[:min(10, len(dup))])
	}
	if len(l.acked) == 0 {
		t.Error("no record was acknowledged")
	}
}

// median of durations (the lower middle for an even count).
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

func fmtDurations(ds []time.Duration) string {
	out := ""
	for i, d := range ds {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprintf("%.2fs", d.Seconds())
	}
	return out
}
