package topiclog

import (
	"log/slog"
	"testing"
	"time"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/group"
	"github.com/samsa-io/samsa/internal/partition"
	"github.com/samsa-io/samsa/protocol/offsets"
	"github.com/samsa-io/samsa/protocol/records"
)

// appendOffset appends one offset commit of group g without waiting for
// the followers; pid >= 0 makes it a transactional offset commit of that
// producer (TxnOffsetCommit).
func appendOffset(t *testing.T, part *partition.Partition, g, topic string, p int32, off, pid int64) {
	t.Helper()
	h := records.Header{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, BaseTimestamp: time.Now().UnixMilli()}
	if pid >= 0 {
		h.Attributes, h.ProducerID, h.ProducerEpoch = 0x10, pid, 0
	}
	v := offsets.EncodeOffset(offsets.OffsetValue{Offset: off, LeaderEpoch: -1, CommitTimestamp: time.Now().UnixMilli(),
		ExpireTimestamp: -1})
	batch, err := records.AppendBatch(nil, h, []records.Record{{Key: offsets.OffsetKey(g, topic, p), Value: v}}, records.None)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := part.Append(batch); err != nil {
		t.Fatal(err)
	}
}

// TestGroupCoordinatorLoadsOffsetsAboveHighWatermark: a node that takes
// over a __consumer_offsets partition holds records its high watermark does
// not cover yet (it learns the old leader's high watermark one fetch late,
// or restarts from a checkpoint seconds old). Below the high watermark: a
// commit of t-0 at 5 and transactional commits of t-1 at 20 (producer 7)
// and t-2 at 30 (producer 8). Above it: a commit of t-0 at 10, producer
// 7's COMMIT marker and producer 8's ABORT marker. The new coordinator must
// load the whole log, as Kafka's does: t-0 at 10, t-1 at 20, nothing for
// t-2 and nothing pending. Loaded only to the high watermark, it served
// t-0 at 5 (losing an acknowledged commit) and kept both transactional
// commits pending for ever, since no marker comes again.
func TestGroupCoordinatorLoadsOffsetsAboveHighWatermark(t *testing.T) {
	cfg := config.Default()
	cfg.NodeID = 1
	cfg.LogDirs = []string{t.TempDir()}
	parts := partition.NewManager(cfg, slog.New(slog.DiscardHandler))
	defer parts.Close()
	if err := parts.ApplyImage(internalLogImage(group.OffsetsTopic, 8, 0, []int32{1})); err != nil {
		t.Fatal(err)
	}
	part := parts.Partition(group.OffsetsTopic, 0)
	appendOffset(t, part, "g", "t", 0, 5, -1)
	appendOffset(t, part, "g", "t", 1, 20, 7)
	appendOffset(t, part, "g", "t", 2, 30, 8)
	if hw := part.HighWatermark(); hw != 3 {
		t.Fatalf("high watermark %d after three records with ISR [1], want 3", hw)
	}
	// The followers are back in the ISR: later records wait for them.
	if err := parts.ApplyImage(internalLogImage(group.OffsetsTopic, 8, 1, []int32{1, 2, 3})); err != nil {
		t.Fatal(err)
	}
	appendOffset(t, part, "g", "t", 0, 10, -1)
	if _, err := part.WriteMarker(7, 0, true, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := part.WriteMarker(8, 0, false, 1); err != nil {
		t.Fatal(err)
	}
	if hw, leo := part.HighWatermark(), part.LogEndOffset(); hw != 3 || leo != 6 {
		t.Fatalf("high watermark %d, log end %d; want 3 and 6", hw, leo)
	}

	c := group.New(group.Config{NumPartitions: 1}, Offsets(parts))
	defer c.Close()
	c.SetLeaders(map[int32]int32{0: 3})
	deadline := time.Now().Add(10 * time.Second)
	for c.Status(0) != group.Loaded {
		if time.Now().After(deadline) {
			t.Fatal("the offsets partition was not loaded")
		}
		time.Sleep(5 * time.Millisecond)
	}
	tps := []group.TopicPartition{{Topic: "t", Partition: 0}, {Topic: "t", Partition: 1}, {Topic: "t", Partition: 2}}
	got, err := c.FetchOffsets("g", tps)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int64{10, 20, -1} {
		if got[i].Offset != want {
			t.Errorf("%v loaded at %d, want %d", tps[i], got[i].Offset, want)
		}
		if c.PendingTxnOffset("g", tps[i]) {
			t.Errorf("%v loaded with a transactional commit pending; its marker is in the log", tps[i])
		}
	}
}
