package handler

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/protocol/records"
)

// storedCopy is what the log should hold for batch appended at offset:
// the producer's bytes with the base offset and leader epoch stamped.
func storedCopy(batch []byte, offset int64, epoch int32) []byte {
	out := append([]byte(nil), batch...)
	records.SetBaseOffset(out, offset)
	records.SetLeaderEpoch(out, epoch)
	return out
}

// roundTrip encodes resp at its version and decodes it again, as a client
// would see it.
func roundTrip(t *testing.T, resp *kmsg.FetchResponse) *kmsg.FetchResponse {
	t.Helper()
	back := kmsg.NewPtrFetchResponse()
	back.SetVersion(resp.Version)
	if err := back.ReadFrom(resp.AppendTo(nil)); err != nil {
		t.Fatalf("decode v%d fetch response: %v", resp.Version, err)
	}
	return back
}

func TestFetchReturnsStoredBytes(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 1, nil))
	b1, b2 := plainBatch(t, 2, 1000), plainBatch(t, 3, 2000)
	dp.mustProduce("t", 0, b1)
	dp.mustProduce("t", 0, b2)
	want := append(storedCopy(b1, 0, 0), storedCopy(b2, 2, 0)...)
	id := [16]byte{0xD0, 1}
	for _, v := range []int16{4, 11, 12, 13, 16} {
		fp := fetchPart{topic: "t", part: 0, offset: 0, maxBytes: 1 << 20, epoch: -1}
		if v >= 13 {
			fp.topic, fp.id = "", id
		}
		resp := roundTrip(t, dp.fetch(context.Background(), fetchReq(v, 0, 0, 1<<20, fp)))
		sp := onlyPartition(t, resp)
		if v >= 13 && resp.Topics[0].TopicID != id {
			t.Errorf("v%d: topic id %x, want %x", v, resp.Topics[0].TopicID, id)
		}
		if v < 13 && resp.Topics[0].Topic != "t" {
			t.Errorf("v%d: topic %q, want t", v, resp.Topics[0].Topic)
		}
		if sp.ErrorCode != 0 || sp.HighWatermark != 5 || sp.LastStableOffset != 5 {
			t.Errorf("v%d: error %d hw %d lso %d, want 0/5/5", v, sp.ErrorCode, sp.HighWatermark, sp.LastStableOffset)
		}
		if v >= 5 && sp.LogStartOffset != 0 {
			t.Errorf("v%d: log start %d, want 0", v, sp.LogStartOffset)
		}
		if !bytes.Equal(sp.RecordBatches, want) {
			t.Errorf("v%d: %d bytes returned, want the %d stored bytes", v, len(sp.RecordBatches), len(want))
		}
		if v >= 7 && resp.SessionID != 0 {
			t.Errorf("v%d: session id %d, want 0", v, resp.SessionID)
		}
	}
	// From the second batch's offset (inside a batch too) the second batch comes back.
	for _, off := range []int64{2, 4} {
		sp := onlyPartition(t, dp.fetch(context.Background(),
			fetchReq(12, 0, 0, 1<<20, fetchPart{topic: "t", offset: off, maxBytes: 1 << 20, epoch: -1})))
		if !bytes.Equal(sp.RecordBatches, storedCopy(b2, 2, 0)) {
			t.Errorf("offset %d: got %d bytes, want the second batch", off, len(sp.RecordBatches))
		}
	}
	// At the high watermark there is nothing yet, and no error.
	sp := onlyPartition(t, dp.fetch(context.Background(),
		fetchReq(12, 0, 0, 1<<20, fetchPart{topic: "t", offset: 5, maxBytes: 1 << 20, epoch: -1})))
	if sp.ErrorCode != 0 || len(sp.RecordBatches) != 0 || sp.HighWatermark != 5 {
		t.Fatalf("fetch at the high watermark: %+v", sp)
	}
}

func TestFetchReadCommittedHasNoAbortedTransactions(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 1, nil))
	dp.mustProduce("t", 0, plainBatch(t, 1, 1000))
	req := fetchReq(11, 0, 0, 1<<20, fetchPart{topic: "t", maxBytes: 1 << 20, epoch: -1})
	req.IsolationLevel = 1
	sp := onlyPartition(t, roundTrip(t, dp.fetch(context.Background(), req)))
	if sp.ErrorCode != 0 || sp.AbortedTransactions == nil || len(sp.AbortedTransactions) != 0 ||
		sp.LastStableOffset != 1 || sp.PreferredReadReplica != -1 {
		t.Fatalf("read_committed: %+v", sp)
	}
}

func TestFetchUnknownTopics(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 1, nil))
	sp := onlyPartition(t, dp.fetch(context.Background(),
		fetchReq(12, 0, 0, 1<<20, fetchPart{topic: "nope", maxBytes: 1 << 20, epoch: -1})))
	if sp.ErrorCode != kerr.UnknownTopicOrPartition.Code || sp.HighWatermark != -1 {
		t.Fatalf("unknown name: %+v, want UNKNOWN_TOPIC_OR_PARTITION", sp)
	}
	sp = onlyPartition(t, dp.fetch(context.Background(),
		fetchReq(13, 0, 0, 1<<20, fetchPart{id: [16]byte{0xEE}, maxBytes: 1 << 20, epoch: -1})))
	if sp.ErrorCode != kerr.UnknownTopicID.Code {
		t.Fatalf("unknown id: error %d, want UNKNOWN_TOPIC_ID", sp.ErrorCode)
	}
	// A name is ignored from v13: an id of zero is unknown even with a known name.
	sp = onlyPartition(t, dp.fetch(context.Background(),
		fetchReq(13, 0, 0, 1<<20, fetchPart{topic: "t", maxBytes: 1 << 20, epoch: -1})))
	if sp.ErrorCode != kerr.UnknownTopicID.Code {
		t.Fatalf("v13 by name only: error %d, want UNKNOWN_TOPIC_ID", sp.ErrorCode)
	}
}

func TestFetchNotHostedHere(t *testing.T) {
	other := &metadata.Topic{Name: "o", ID: [16]byte{9}, Partitions: []metadata.Partition{
		{Index: 0, Leader: 2, Replicas: []int32{2}, ISR: []int32{2}}}}
	dp := newDataPath(t, other)
	sp := onlyPartition(t, dp.fetch(context.Background(),
		fetchReq(12, 0, 0, 1<<20, fetchPart{topic: "o", maxBytes: 1 << 20, epoch: -1})))
	if sp.ErrorCode != kerr.NotLeaderForPartition.Code {
		t.Fatalf("partition led elsewhere: error %d, want NOT_LEADER_OR_FOLLOWER", sp.ErrorCode)
	}
}

func TestFetchOffsetOutOfRange(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 1, nil))
	dp.mustProduce("t", 0, plainBatch(t, 3, 1000))
	dp.mustProduce("t", 0, plainBatch(t, 3, 1000))
	if _, err := dp.m.Partition("t", 0).DeleteRecordsBefore(3); err != nil {
		t.Fatal(err)
	}
	for _, off := range []int64{7, 100, 0, 2} {
		sp := onlyPartition(t, dp.fetch(context.Background(),
			fetchReq(12, 0, 0, 1<<20, fetchPart{topic: "t", offset: off, maxBytes: 1 << 20, epoch: -1})))
		if sp.ErrorCode != kerr.OffsetOutOfRange.Code || len(sp.RecordBatches) != 0 {
			t.Errorf("offset %d: error %d, want OFFSET_OUT_OF_RANGE", off, sp.ErrorCode)
		}
	}
	sp := onlyPartition(t, dp.fetch(context.Background(),
		fetchReq(12, 0, 0, 1<<20, fetchPart{topic: "t", offset: 3, maxBytes: 1 << 20, epoch: -1})))
	if sp.ErrorCode != 0 || sp.LogStartOffset != 3 || sp.HighWatermark != 6 || len(sp.RecordBatches) == 0 {
		t.Fatalf("offset 3 after deleting before 3: %+v", sp)
	}
}

func TestFetchMaxBytes(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 2, nil))
	big := plainBatch(t, 10, 1000)
	dp.mustProduce("t", 0, big)
	dp.mustProduce("t", 0, plainBatch(t, 10, 1000))
	dp.mustProduce("t", 1, plainBatch(t, 1, 1000))
	p0 := fetchPart{topic: "t", part: 0, maxBytes: 1 << 20, epoch: -1}
	p1 := fetchPart{topic: "t", part: 1, maxBytes: 1 << 20, epoch: -1}

	// MaxBytes below the first batch: that one whole batch, and nothing from
	// the later partition.
	resp := dp.fetch(context.Background(), fetchReq(12, 0, 0, 10, p0, p1))
	parts := resp.Topics[0].Partitions
	if len(parts) != 2 {
		t.Fatalf("%d partitions answered, want 2", len(parts))
	}
	if !bytes.Equal(parts[0].RecordBatches, storedCopy(big, 0, 0)) {
		t.Fatalf("first partition: %d bytes, want exactly the first batch (%d)", len(parts[0].RecordBatches), len(big))
	}
	if parts[1].ErrorCode != 0 || len(parts[1].RecordBatches) != 0 || parts[1].HighWatermark != 1 {
		t.Fatalf("second partition beyond MaxBytes: %+v", parts[1])
	}

	// PartitionMaxBytes below the first batch behaves the same per partition.
	small := p0
	small.maxBytes = 1
	resp = dp.fetch(context.Background(), fetchReq(12, 0, 0, 1<<20, small, p1))
	parts = resp.Topics[0].Partitions
	if len(parts[0].RecordBatches) != len(big) || len(parts[1].RecordBatches) == 0 {
		t.Fatalf("PartitionMaxBytes=1: got %d and %d bytes", len(parts[0].RecordBatches), len(parts[1].RecordBatches))
	}

	// Room for both batches of partition 0 but not partition 1.
	all := 2 * len(big)
	resp = dp.fetch(context.Background(), fetchReq(12, 0, 0, int32(all+1), p0, p1))
	parts = resp.Topics[0].Partitions
	if len(parts[0].RecordBatches) != all || len(parts[1].RecordBatches) != 0 {
		t.Fatalf("MaxBytes=%d: got %d and %d bytes", all+1, len(parts[0].RecordBatches), len(parts[1].RecordBatches))
	}

	// An empty first partition does not use up the one-batch allowance.
	empty := fetchPart{topic: "t", part: 0, offset: 20, maxBytes: 1 << 20, epoch: -1}
	resp = dp.fetch(context.Background(), fetchReq(12, 0, 0, 1, empty, p1))
	parts = resp.Topics[0].Partitions
	if len(parts[0].RecordBatches) != 0 || len(parts[1].RecordBatches) == 0 {
		t.Fatalf("empty first partition: got %d and %d bytes", len(parts[0].RecordBatches), len(parts[1].RecordBatches))
	}
}

func TestFetchWaitWakesOnProduce(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 2, nil))
	req := fetchReq(12, 10000, 1, 1<<20,
		fetchPart{topic: "t", part: 0, maxBytes: 1 << 20, epoch: -1},
		fetchPart{topic: "t", part: 1, maxBytes: 1 << 20, epoch: -1})
	done := make(chan *kmsg.FetchResponse, 1)
	start := time.Now()
	go func() { done <- dp.fetch(context.Background(), req) }()
	select {
	case resp := <-done:
		t.Fatalf("fetch with nothing to read returned at once: %+v", resp)
	case <-time.After(100 * time.Millisecond):
	}
	dp.mustProduce("t", 1, plainBatch(t, 2, 1000))
	select {
	case resp := <-done:
		if el := time.Since(start); el > 5*time.Second {
			t.Fatalf("fetch returned after %v, long after the produce", el)
		}
		parts := resp.Topics[0].Partitions
		if len(parts) != 2 || len(parts[0].RecordBatches) != 0 || len(parts[1].RecordBatches) == 0 || parts[1].HighWatermark != 2 {
			t.Fatalf("woken fetch: %+v", parts)
		}
	case <-time.After(8 * time.Second):
		t.Fatal("fetch not woken by the produce")
	}
}

func TestFetchWaitExpires(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 1, nil))
	const maxWait = 400 * time.Millisecond
	start := time.Now()
	resp := dp.fetch(context.Background(), fetchReq(12, int32(maxWait/time.Millisecond), 1, 1<<20,
		fetchPart{topic: "t", maxBytes: 1 << 20, epoch: -1}))
	el := time.Since(start)
	if el < maxWait || el > maxWait+2*time.Second {
		t.Fatalf("fetch with nothing produced took %v, want about %v", el, maxWait)
	}
	if sp := onlyPartition(t, resp); sp.ErrorCode != 0 || len(sp.RecordBatches) != 0 || sp.HighWatermark != 0 {
		t.Fatalf("expired fetch: %+v", sp)
	}
}

func TestFetchMinBytesNotReachedWaits(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 1, nil))
	b := plainBatch(t, 1, 1000)
	dp.mustProduce("t", 0, b)
	// MinBytes above what is there: the fetch waits and returns what it has.
	start := time.Now()
	resp := dp.fetch(context.Background(), fetchReq(12, 300, int32(10*len(b)), 1<<20,
		fetchPart{topic: "t", maxBytes: 1 << 20, epoch: -1}))
	if el := time.Since(start); el < 300*time.Millisecond {
		t.Fatalf("MinBytes not reached, returned after %v", el)
	}
	if sp := onlyPartition(t, resp); len(sp.RecordBatches) != len(b) {
		t.Fatalf("expired fetch returned %d bytes, want %d", len(sp.RecordBatches), len(b))
	}
	// MinBytes reached: at once.
	start = time.Now()
	dp.fetch(context.Background(), fetchReq(12, 10000, int32(len(b)), 1<<20,
		fetchPart{topic: "t", maxBytes: 1 << 20, epoch: -1}))
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("MinBytes reached, still waited %v", el)
	}
}

func TestFetchWaitEndsOnCancel(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 1, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		dp.fetch(ctx, fetchReq(12, 10000, 1, 1<<20, fetchPart{topic: "t", maxBytes: 1 << 20, epoch: -1}))
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case <-done:
		if el := time.Since(start); el > 5*time.Second {
			t.Fatalf("cancelled fetch returned after %v", el)
		}
	case <-time.After(8 * time.Second):
		t.Fatal("cancelled fetch kept waiting")
	}
}

func TestFetchErrorAnsweredWithoutWaiting(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 1, nil))
	start := time.Now()
	resp := dp.fetch(context.Background(), fetchReq(12, 10000, 1, 1<<20,
		fetchPart{topic: "t", offset: 50, maxBytes: 1 << 20, epoch: -1}))
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("failing fetch waited %v", el)
	}
	if sp := onlyPartition(t, resp); sp.ErrorCode != kerr.OffsetOutOfRange.Code {
		t.Fatalf("error %d, want OFFSET_OUT_OF_RANGE", sp.ErrorCode)
	}
}

func TestFetchSessions(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 1, nil))
	for _, tt := range []struct {
		id, epoch int32
		want      int16
	}{
		{0, -1, 0},
		{0, 0, 0},
		{7, 1, kerr.FetchSessionIDNotFound.Code},
		{0, 3, kerr.FetchSessionIDNotFound.Code},
	} {
		req := fetchReq(12, 0, 0, 1<<20, fetchPart{topic: "t", maxBytes: 1 << 20, epoch: -1})
		req.SessionID, req.SessionEpoch = tt.id, tt.epoch
		resp := dp.fetch(context.Background(), req)
		if resp.ErrorCode != tt.want || resp.SessionID != 0 {
			t.Errorf("session %d epoch %d: error %d session %d, want error %d session 0",
				tt.id, tt.epoch, resp.ErrorCode, resp.SessionID, tt.want)
		}
		if tt.want != 0 && len(resp.Topics) != 0 {
			t.Errorf("session %d: topics answered with a top-level error", tt.id)
		}
	}
}

func TestFetchLeaderEpoch(t *testing.T) {
	topic := dpTopic("t", 1, 1, nil)
	topic.Partitions[0].LeaderEpoch = 5
	dp := newDataPath(t, topic)
	dp.mustProduce("t", 0, plainBatch(t, 1, 1000))
	for _, tt := range []struct {
		epoch int32
		want  int16
	}{
		{-1, 0}, {5, 0},
		{4, kerr.FencedLeaderEpoch.Code}, {0, kerr.FencedLeaderEpoch.Code},
		{6, kerr.UnknownLeaderEpoch.Code},
	} {
		sp := onlyPartition(t, dp.fetch(context.Background(),
			fetchReq(12, 0, 0, 1<<20, fetchPart{topic: "t", maxBytes: 1 << 20, epoch: tt.epoch})))
		if sp.ErrorCode != tt.want {
			t.Errorf("current leader epoch %d: error %d, want %d", tt.epoch, sp.ErrorCode, tt.want)
		}
		if tt.want == 0 {
			h := batchHeaders(t, sp.RecordBatches)
			if len(h) != 1 || h[0].PartitionLeaderEpoch != 5 {
				t.Errorf("stored batch leader epoch: %+v, want 5", h)
			}
		}
	}
}

// Kafka answers a fetch for a partition index the topic does not have with
// UNKNOWN_TOPIC_OR_PARTITION (ReplicaManager.getPartitionOrException: the
// metadata cache does not know the partition), not NOT_LEADER_OR_FOLLOWER.
func TestFetchUnknownPartitionIndex(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 1, nil))
	sp := onlyPartition(t, dp.fetch(context.Background(),
		fetchReq(12, 0, 0, 1<<20, fetchPart{topic: "t", part: 9, maxBytes: 1 << 20, epoch: -1})))
	if sp.ErrorCode != kerr.UnknownTopicOrPartition.Code {
		t.Fatalf("error %d, want UNKNOWN_TOPIC_OR_PARTITION (3)", sp.ErrorCode)
	}
}

// Before v11 (no KIP-392 client metadata) Kafka serves consumer fetches
// only from the leader; a follower answers NOT_LEADER_OR_FOLLOWER.
func TestFetchFromFollowerBeforeV11(t *testing.T) {
	follower := &metadata.Topic{Name: "f", ID: [16]byte{8}, Partitions: []metadata.Partition{
		{Index: 0, Leader: 2, Replicas: []int32{1, 2}, ISR: []int32{1, 2}}}}
	dp := newDataPath(t, follower)
	sp := onlyPartition(t, dp.fetch(context.Background(),
		fetchReq(10, 0, 0, 1<<20, fetchPart{topic: "f", maxBytes: 1 << 20, epoch: -1})))
	if sp.ErrorCode != kerr.NotLeaderForPartition.Code {
		t.Fatalf("error %d, want NOT_LEADER_OR_FOLLOWER (6)", sp.ErrorCode)
	}
}

// librdkafka treats a null record set as a protocol parse failure, so an
// empty answer must carry an empty, non-null set (Kafka's MemoryRecords.EMPTY).
func TestFetchEmptyRecordSetIsNotNull(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 1, nil))
	for _, v := range []int16{4, 11, 12} {
		req := kmsg.NewPtrFetchRequest()
		req.SetVersion(v)
		rt := kmsg.NewFetchRequestTopic()
		rt.Topic = "t"
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.PartitionMaxBytes = 1 << 20
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp := dp.h.fetch(context.Background(), req).(*kmsg.FetchResponse)
		resp.SetVersion(v)
		wire := resp.AppendTo(nil)
		back := kmsg.NewPtrFetchResponse()
		back.SetVersion(v)
		if err := back.ReadFrom(wire); err != nil {
			t.Fatal(err)
		}
		if got := back.Topics[0].Partitions[0].RecordBatches; got == nil {
			t.Fatalf("v%d: empty fetch encoded a null record set", v)
		}
	}
}
