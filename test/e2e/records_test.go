package e2e

import (
	"context"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/samsa-io/samsa/test/internal/harness"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// seqValueLen is the size of a sequenced value: partition (4 bytes),
// sequence (8 bytes) and filler so batches are not trivially small.
const seqValueLen = 64

// seqValue encodes a record value carrying its partition and its sequence
// number within that partition.
func seqValue(partition int32, seq int64) []byte {
	v := make([]byte, seqValueLen)
	binary.BigEndian.PutUint32(v, uint32(partition))
	binary.BigEndian.PutUint64(v[4:], uint64(seq))
	for i := 12; i < len(v); i++ {
		v[i] = byte('a' + i%26)
	}
	return v
}

// parseSeqValue decodes a value written by seqValue.
func parseSeqValue(v []byte) (partition int32, seq int64, err error) {
	if len(v) != seqValueLen {
		return 0, 0, fmt.Errorf("value of %d bytes, want %d", len(v), seqValueLen)
	}
	return int32(binary.BigEndian.Uint32(v)), int64(binary.BigEndian.Uint64(v[4:])), nil
}

// endOffsets lists the high watermark of every partition of topic.
func endOffsets(t *testing.T, adm *kadm.Client, topic string) map[int32]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	listed, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatalf("list end offsets of %q: %v", topic, err)
	}
	ends := make(map[int32]int64)
	var lerr error
	listed.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			lerr = fmt.Errorf("partition %d: %w", o.Partition, o.Err)
		}
		ends[o.Partition] = o.Offset
	})
	if lerr != nil {
		t.Fatalf("list end offsets of %q: %v", topic, lerr)
	}
	return ends
}

// consumeAll reads every partition of topic from offset 0 up to the given
// end offsets (exclusive) and returns the records per partition. It fails
// the test if the records do not all arrive within timeout.
func consumeAll(t *testing.T, b *harness.Broker, topic string, ends map[int32]int64, timeout time.Duration) map[int32][]*kgo.Record {
	t.Helper()
	starts := make(map[int32]kgo.Offset, len(ends))
	for p := range ends {
		starts[p] = kgo.NewOffset().At(0)
	}
	cl := b.Client(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: starts}),
		kgo.FetchMaxBytes(16<<20))
	defer cl.Close()
	got := make(map[int32][]*kgo.Record, len(ends))
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for !reachedEnds(got, ends) {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consume %q: %v; have %s, want ends %v", topic, ctx.Err(), progress(got), ends)
		}
		fs.EachError(func(topic string, p int32, err error) {
			t.Logf("consume %s/%d: fetch error (client retries): %v", topic, p, err)
		})
		fs.EachRecord(func(r *kgo.Record) { got[r.Partition] = append(got[r.Partition], r) })
	}
	return got
}

// reachedEnds reports whether the last record of every partition is at
// or past end-1.
func reachedEnds(got map[int32][]*kgo.Record, ends map[int32]int64) bool {
	for p, end := range ends {
		rs := got[p]
		if end == 0 {
			continue
		}
		if len(rs) == 0 || rs[len(rs)-1].Offset < end-1 {
			return false
		}
	}
	return true
}

func progress(got map[int32][]*kgo.Record) string {
	s := ""
	for p, rs := range got {
		last := int64(-1)
		if len(rs) > 0 {
			last = rs[len(rs)-1].Offset
		}
		s += fmt.Sprintf("p%d: %d records, last offset %d; ", p, len(rs), last)
	}
	return s
}

// mustCtx returns a context bounded by timeout, cancelled when the test
// ends.
func mustCtx(t *testing.T, timeout time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return ctx
}
