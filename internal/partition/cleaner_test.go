package partition

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/samsa-io/samsa/protocol/records"
)

// keyedBatch builds a batch whose record i has key keys[i] (nil: no key)
// and value "<key>-<tag>".
func keyedBatch(t *testing.T, keys []*string, tag int) []byte {
	t.Helper()
	recs := make([]records.Record, len(keys))
	for i, k := range keys {
		recs[i] = records.Record{OffsetDelta: int32(i), KeyNull: k == nil}
		if k != nil {
			recs[i].Key, recs[i].Value = []byte(*k), fmt.Appendf(nil, "%s-%d", *k, tag)
		}
	}
	b, err := records.AppendBatch(nil, records.Header{BaseTimestamp: time.Now().UnixMilli(), ProducerID: -1, BaseSequence: -1},
		recs, records.Gzip)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ptr(s string) *string { return &s }

func TestCompactedTopicRejectsKeylessRecords(t *testing.T) {
	m := newTestManager(t)
	if err := m.ApplyImage(testImage("c", 1, map[string]string{"cleanup.policy": "compact"})); err != nil {
		t.Fatal(err)
	}
	p := m.Partition("c", 0)
	_, err := p.Append(keyedBatch(t, []*string{ptr("a"), nil}, 0))
	if !errors.Is(err, records.ErrInvalidRecord) || err.Error() == "" {
		t.Fatalf("keyless record on a compacted topic: %v", err)
	}
	if _, err := p.Append(keyedBatch(t, []*string{ptr("a"), ptr("b")}, 0)); err != nil {
		t.Fatalf("keyed records: %v", err)
	}
	if err := m.ApplyImage(testImage("d", 1, nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Partition("d", 0).Append(keyedBatch(t, []*string{nil}, 0)); err != nil {
		t.Fatalf("keyless record on a delete topic: %v", err)
	}
}

func TestManagerCleanerCompactsInBackground(t *testing.T) {
	m := newTestManager(t)
	m.SetCleaner(10*time.Millisecond, 0, true)
	err := m.ApplyImage(testImage("c", 1, map[string]string{"cleanup.policy": "compact",
		"segment.bytes": "2048", "min.cleanable.dirty.ratio": "0.1", "file.delete.delay.ms": "0"}))
	if err != nil {
		t.Fatal(err)
	}
	p := m.Partition("c", 0)
	keys := make([]*string, 10)
	for i := range keys {
		keys[i] = ptr(fmt.Sprintf("k%d", i))
	}
	for tag := range 300 {
		if _, err := p.Append(keyedBatch(t, keys, tag)); err != nil {
			t.Fatal(err)
		}
	}
	sizeBefore := p.log.Size()
	m.Start()
	deadline := time.Now().Add(20 * time.Second)
	for p.log.Size() > sizeBefore/4 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if p.log.Size() > sizeBefore/4 {
		t.Fatalf("log still %d bytes (was %d): cleaner did not compact", p.log.Size(), sizeBefore)
	}
	latest := map[string]string{}
	count := 0
	for off := p.LogStartOffset(); off < p.HighWatermark(); {
		b, err := p.Read(off, 1<<20)
		if err != nil || len(b) == 0 {
			t.Fatalf("read %d: %v", off, err)
		}
		for rest := b; len(rest) > 0; {
			batch, next, _ := records.Next(rest)
			h, _ := records.ParseHeader(batch)
			records.ForEachRecord(batch, func(r records.Record) bool {
				latest[string(r.Key)] = string(r.Value)
				count++
				return true
			})
			off, rest = h.LastOffset()+1, next
		}
	}
	for _, k := range keys {
		if latest[*k] != *k+"-299" {
			t.Errorf("key %s: latest value %q, want %q", *k, latest[*k], *k+"-299")
		}
	}
	if count >= 3000/2 {
		t.Errorf("%d records left of 3000", count)
	}
}
