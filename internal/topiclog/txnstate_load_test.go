package topiclog

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/partition"
	"github.com/samsa-io/samsa/internal/txn"
	"github.com/samsa-io/samsa/protocol/records"
	"github.com/samsa-io/samsa/protocol/txnstate"
)

// internalLogImage is the internal topic name with one partition on nodes
// 1, 2 and 3, led by node 1 (the coordinators' logs in the load tests).
func internalLogImage(name string, id byte, partitionEpoch int32, isr []int32) *metadata.Image {
	im := metadata.Empty()
	t := &metadata.Topic{Name: name, ID: [16]byte{id}, Configs: map[string]string{"min.insync.replicas": "1"}}
	t.Partitions = []metadata.Partition{{Index: 0, Leader: 1, LeaderEpoch: 3, PartitionEpoch: partitionEpoch,
		Replicas: []int32{1, 2, 3}, ISR: isr}}
	im.Topics[t.Name] = t
	im.TopicsByID[t.ID] = t
	return im
}

// appendState appends one transaction state record without waiting for
// the followers.
func appendState(t *testing.T, part *partition.Partition, id string, v txnstate.Value) {
	t.Helper()
	batch, err := records.AppendBatch(nil, records.Header{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
		BaseTimestamp: time.Now().UnixMilli()},
		[]records.Record{{Key: txnstate.Key(id), Value: txnstate.Encode(v)}}, records.None)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := part.Append(batch); err != nil {
		t.Fatal(err)
	}
}

// refusedMarkers fails every marker write: what a coordinator tried to
// finish stays prepared, for the test to see.
type refusedMarkers struct{}

func (refusedMarkers) Write(context.Context, int64, int16, int32, bool, []txn.TopicPartition) error {
	return errors.New("markers refused by the test")
}

// TestTxnCoordinatorLoadsStateAboveHighWatermark: a node that takes over a
// __transaction_state partition holds records its high watermark does not
// cover yet (it learns the old leader's high watermark one fetch late; the
// old coordinator may have been killed right after completing transaction
// N and letting N+1 begin). The log has N's PrepareCommit below the high
// watermark and N's CompleteCommit and N+1's start above it. The new
// coordinator must load the whole log, as Kafka's does: N+1 is ongoing and
// nothing is left to finish. Loaded only to the high watermark, it saw N
// as prepared and re-sent its COMMIT markers, which committed N+1's data
// where it was already written.
func TestTxnCoordinatorLoadsStateAboveHighWatermark(t *testing.T) {
	cfg := config.Default()
	cfg.NodeID = 1
	cfg.LogDirs = []string{t.TempDir()}
	parts := partition.NewManager(cfg, slog.New(slog.DiscardHandler))
	defer parts.Close()
	if err := parts.ApplyImage(internalLogImage(txn.StateTopic, 9, 0, []int32{1})); err != nil {
		t.Fatal(err)
	}
	part := parts.Partition(txn.StateTopic, 0)
	base := txnstate.Value{ProducerID: 7, ProducerEpoch: 2, TimeoutMs: 60000, StartMs: -1}
	prepare := base
	prepare.State, prepare.Topics = txnstate.PrepareCommit, []txnstate.TopicPartitions{{Topic: "t", Partitions: []int32{0}}}
	appendState(t, part, "app", prepare)
	if hw := part.HighWatermark(); hw != 1 {
		t.Fatalf("high watermark %d after the first record with ISR [1], want 1", hw)
	}
	// The followers are back in the ISR: later records wait for them.
	if err := parts.ApplyImage(internalLogImage(txn.StateTopic, 9, 1, []int32{1, 2, 3})); err != nil {
		t.Fatal(err)
	}
	complete := base
	complete.State = txnstate.CompleteCommit
	appendState(t, part, "app", complete)
	ongoing := base
	ongoing.State, ongoing.StartMs = txnstate.Ongoing, time.Now().UnixMilli()
	ongoing.Topics = []txnstate.TopicPartitions{{Topic: "t", Partitions: []int32{1}}}
	appendState(t, part, "app", ongoing)
	if hw, leo := part.HighWatermark(), part.LogEndOffset(); hw != 1 || leo != 3 {
		t.Fatalf("high watermark %d, log end %d; want 1 and 3", hw, leo)
	}

	c := txn.New(txn.Config{NumPartitions: 1, NextProducerID: func() (int64, error) { return 100, nil }},
		TxnState(parts, nil), refusedMarkers{})
	defer c.Close()
	c.SetLeaders(map[int32]int32{0: 3})
	deadline := time.Now().Add(10 * time.Second)
	for _, loaded := c.Status(0); !loaded; _, loaded = c.Status(0) {
		if time.Now().After(deadline) {
			t.Fatal("the state partition was not loaded")
		}
		time.Sleep(5 * time.Millisecond)
	}
	in, err := c.Describe("app")
	if err != nil {
		t.Fatal(err)
	}
	if in.State != txnstate.Ongoing || len(in.Partitions) != 1 || in.Partitions[0] != (txn.TopicPartition{Topic: "t", Partition: 1}) {
		t.Fatalf("loaded %v on %v, want the next transaction ongoing on t-1", in.State, in.Partitions)
	}
}
