package partition

import (
	"errors"
	"hash/crc32"
	"log/slog"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/protocol/records"
)

// batch builds a valid v2 batch of n records with the given producer fields.
func batch(t *testing.T, pid int64, seq int32, n int) []byte {
	t.Helper()
	rb := kmsg.RecordBatch{Magic: 2, ProducerID: pid, ProducerEpoch: 0, FirstSequence: seq,
		LastOffsetDelta: int32(n - 1), NumRecords: int32(n), FirstTimestamp: 1000, MaxTimestamp: 1000}
	if pid < 0 {
		rb.ProducerEpoch, rb.FirstSequence = -1, -1
	}
	var recs []byte
	for i := 0; i < n; i++ {
		r := kmsg.Record{OffsetDelta: int32(i), Value: []byte("value")}
		r.Length = int32(len(r.AppendTo(nil)) - 1)
		recs = r.AppendTo(recs)
	}
	rb.Records = recs
	raw := rb.AppendTo(nil)
	rb.Length = int32(len(raw) - 12)
	raw = rb.AppendTo(nil)
	rb.CRC = int32(crc32.Checksum(raw[21:], crc32.MakeTable(crc32.Castagnoli)))
	return rb.AppendTo(nil)
}

func testImage(topic string, parts int, configs map[string]string) *metadata.Image {
	im := metadata.Empty()
	t := &metadata.Topic{Name: topic, ID: [16]byte{1, 2, 3}, Configs: configs}
	for i := 0; i < parts; i++ {
		t.Partitions = append(t.Partitions, metadata.Partition{Index: int32(i), Leader: 1, Replicas: []int32{1}, ISR: []int32{1}})
	}
	im.Topics[topic] = t
	im.TopicsByID[t.ID] = t
	return im
}

func newTestManager(t *testing.T) *Manager {
	t.Helper()
	cfg := config.Default()
	cfg.NodeID = 1
	cfg.LogDirs = []string{t.TempDir()}
	m := NewManager(cfg, slog.New(slog.DiscardHandler))
	t.Cleanup(func() { m.Close() })
	return m
}

func TestAppendReadAndWake(t *testing.T) {
	m := newTestManager(t)
	if err := m.ApplyImage(testImage("orders", 2, nil)); err != nil {
		t.Fatal(err)
	}
	p := m.Partition("orders", 1)
	if p == nil {
		t.Fatal("partition not opened")
	}
	w := NewWaiter()
	defer p.Watch(w)()
	res, err := p.Append(batch(t, -1, -1, 3))
	if err != nil || res.BaseOffset != 0 || res.LastOffset != 2 {
		t.Fatalf("append: %+v %v", res, err)
	}
	select {
	case <-w:
	case <-time.After(5 * time.Second):
		t.Fatal("append did not wake the waiter")
	}
	if hw := p.HighWatermark(); hw != 3 {
		t.Fatalf("high watermark %d, want 3", hw)
	}
	data, err := p.Read(0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	h, err := records.ParseHeader(data)
	if err != nil || h.BaseOffset != 0 || h.NumRecords != 3 {
		t.Fatalf("read back %+v %v", h, err)
	}
}

func TestAppendRejectsCorruptAndDedupes(t *testing.T) {
	m := newTestManager(t)
	m.ApplyImage(testImage("t", 1, nil))
	p := m.Partition("t", 0)
	b := batch(t, 5, 0, 2)
	bad := append([]byte(nil), b...)
	bad[len(bad)-1] ^= 0xff
	if _, err := p.Append(bad); !errors.Is(err, records.ErrCorrupt) {
		t.Fatalf("corrupt batch: %v", err)
	}
	first, err := p.Append(append([]byte(nil), b...))
	if err != nil {
		t.Fatal(err)
	}
	again, err := p.Append(append([]byte(nil), b...))
	if err != nil || !again.Duplicate || again.BaseOffset != first.BaseOffset {
		t.Fatalf("retry: %+v %v", again, err)
	}
	if leo := p.LogEndOffset(); leo != 2 {
		t.Fatalf("log end offset %d after duplicate, want 2", leo)
	}
}

func TestRestartKeepsProducerState(t *testing.T) {
	cfg := config.Default()
	cfg.NodeID = 1
	cfg.LogDirs = []string{t.TempDir()}
	m := NewManager(cfg, slog.New(slog.DiscardHandler))
	m.ApplyImage(testImage("t", 1, nil))
	b := batch(t, 9, 0, 4)
	if _, err := m.Partition("t", 0).Append(append([]byte(nil), b...)); err != nil {
		t.Fatal(err)
	}
	m.Close()
	m2 := NewManager(cfg, slog.New(slog.DiscardHandler))
	defer m2.Close()
	m2.ApplyImage(testImage("t", 1, nil))
	res, err := m2.Partition("t", 0).Append(append([]byte(nil), b...))
	if err != nil || !res.Duplicate {
		t.Fatalf("retry after restart: %+v %v", res, err)
	}
}

func TestTopicDeletionRemovesPartitions(t *testing.T) {
	m := newTestManager(t)
	m.ApplyImage(testImage("gone", 2, nil))
	m.ApplyImage(metadata.Empty())
	if m.Partition("gone", 0) != nil || len(m.Partitions()) != 0 {
		t.Fatal("partitions of a deleted topic are still hosted")
	}
}

// A topic deleted and created again under the same name while this node
// did not see the deletion (one image has the new topic ID) replaces the
// old replica: its log is deleted before the new one opens in the same
// directory, so the new replica starts empty.
func TestRecreatedTopicReplacesTheOldReplica(t *testing.T) {
	m := newTestManager(t)
	if err := m.ApplyImage(testImage("orders", 1, nil)); err != nil {
		t.Fatal(err)
	}
	old := m.Partition("orders", 0)
	if _, err := old.Append(batch(t, -1, -1, 3)); err != nil {
		t.Fatal(err)
	}
	again := testImage("orders", 1, nil)
	again.Topics["orders"].ID = [16]byte{7}
	again.TopicsByID = map[[16]byte]*metadata.Topic{{7}: again.Topics["orders"]}
	if err := m.ApplyImage(again); err != nil {
		t.Fatal(err)
	}
	p := m.Partition("orders", 0)
	if p == nil || p == old || p.TopicID != ([16]byte{7}) {
		t.Fatalf("hosted %+v, want a new replica of the new topic", p)
	}
	if leo := p.LogEndOffset(); leo != 0 {
		t.Fatalf("new replica's log ends at %d, want 0", leo)
	}
	if id, err := readTopicID(p.Dir()); err != nil || id != ([16]byte{7}) {
		t.Fatalf("the new replica's directory holds topic ID %x (%v), want the new one", id, err)
	}
	if _, err := old.Read(0, 1<<20); !errors.Is(err, ErrClosed) {
		t.Fatalf("reading the old replica: %v, want ErrClosed", err)
	}
}
