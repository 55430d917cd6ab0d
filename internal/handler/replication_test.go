package handler

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/protocol/records"
)

// replTopic is one partition led by node 1 with replicas and ISR {1,2,3}.
func replTopic(minISR string, isr ...int32) *metadata.Topic {
	t := &metadata.Topic{Name: "rep", ID: [16]byte{0xE0}, Configs: map[string]string{"min.insync.replicas": minISR}}
	t.Partitions = []metadata.Partition{{Index: 0, Leader: 1, LeaderEpoch: 3, Replicas: []int32{1, 2, 3}, ISR: isr}}
	return t
}

// replicaFetch is a follower's fetch (v12, ReplicaID) of rep-0 at offset.
func replicaFetch(replica int32, offset int64, epoch int32) *kmsg.FetchRequest {
	req := kmsg.NewPtrFetchRequest()
	req.SetVersion(12)
	req.ReplicaID = replica
	req.MaxBytes = 1 << 20
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = "rep"
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.FetchOffset, rp.PartitionMaxBytes, rp.CurrentLeaderEpoch = offset, 1<<20, epoch
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	return req
}

func (dp *dataPath) replicaFetch(replica int32, offset int64, epoch int32) kmsg.FetchResponseTopicPartition {
	dp.t.Helper()
	resp := dp.h.fetch(context.Background(), replicaFetch(replica, offset, epoch)).(*kmsg.FetchResponse)
	return resp.Topics[0].Partitions[0]
}

func TestProduceAcksAllWaitsForISR(t *testing.T) {
	dp := newDataPath(t, replTopic("2", 1, 2))
	req := produceReq(9, -1, "rep", 0, plainBatch(t, 2, 1000))
	req.TimeoutMillis = 50
	resp := dp.h.produce(context.Background(), req).(*kmsg.ProduceResponse)
	if sp := resp.Topics[0].Partitions[0]; sp.ErrorCode != kerr.RequestTimedOut.Code {
		t.Fatalf("acks=all without follower: error %d, want REQUEST_TIMED_OUT", sp.ErrorCode)
	}
	done := make(chan kmsg.ProduceResponseTopicPartition, 1)
	go func() {
		r := produceReq(9, -1, "rep", 0, plainBatch(t, 1, 1000))
		done <- dp.h.produce(context.Background(), r).(*kmsg.ProduceResponse).Topics[0].Partitions[0]
	}()
	// The follower first copies everything, then reports it has it.
	deadline := time.Now().Add(5 * time.Second)
	var leo int64
	for leo < 3 && time.Now().Before(deadline) {
		sp := dp.replicaFetch(2, leo, 3)
		if sp.ErrorCode != 0 {
			t.Fatalf("replica fetch: error %d", sp.ErrorCode)
		}
		leo += countRecords(t, sp.RecordBatches)
	}
	if sp := dp.replicaFetch(2, leo, 3); sp.ErrorCode != 0 || sp.HighWatermark != 3 {
		t.Fatalf("fetch at 3: error %d hw %d, want hw 3", sp.ErrorCode, sp.HighWatermark)
	}
	select {
	case sp := <-done:
		if sp.ErrorCode != 0 || sp.BaseOffset != 2 {
			t.Fatalf("acks=all after follower caught up: %+v", sp)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("acks=all produce not released by the follower's fetch")
	}
}

func TestReplicaFetchErrors(t *testing.T) {
	dp := newDataPath(t, replTopic("1", 1, 2, 3))
	dp.produceWith(9, 1, "rep", 0, plainBatch(t, 1, 1000))
	cases := []struct {
		name           string
		replica, epoch int32
		offset         int64
		want           int16
	}{
		{"not a replica", 4, 3, 0, kerr.NotLeaderForPartition.Code},
		{"fenced epoch", 2, 2, 0, kerr.FencedLeaderEpoch.Code},
		{"unknown epoch", 2, 4, 0, kerr.UnknownLeaderEpoch.Code},
		{"beyond leo", 2, 3, 5, kerr.OffsetOutOfRange.Code},
		{"ok", 2, 3, 0, 0},
	}
	for _, c := range cases {
		if sp := dp.replicaFetch(c.replica, c.offset, c.epoch); sp.ErrorCode != c.want {
			t.Errorf("%s: error %d, want %d", c.name, sp.ErrorCode, c.want)
		}
	}
	im := dpImage(func() *metadata.Topic { t := replTopic("1", 1, 2, 3); t.Partitions[0].Leader = 2; return t }())
	dp.setImage(im)
	if sp := dp.replicaFetch(3, 0, 3); sp.ErrorCode != kerr.NotLeaderForPartition.Code {
		t.Errorf("replica fetch from a follower: error %d", sp.ErrorCode)
	}
	if sp := dp.produce("rep", 0, plainBatch(t, 1, 1000)); sp.ErrorCode != kerr.NotLeaderForPartition.Code {
		t.Errorf("produce to a follower: error %d", sp.ErrorCode)
	}
}

func TestOffsetForLeaderEpoch(t *testing.T) {
	dp := newDataPath(t, replTopic("1", 1, 2, 3))
	dp.produceWith(9, 1, "rep", 0, plainBatch(t, 4, 1000)) // epoch 3, offsets 0..3
	ask := func(current, epoch int32) kmsg.OffsetForLeaderEpochResponseTopicPartition {
		req := kmsg.NewPtrOffsetForLeaderEpochRequest()
		req.SetVersion(4)
		req.ReplicaID = 2
		rt := kmsg.NewOffsetForLeaderEpochRequestTopic()
		rt.Topic = "rep"
		rp := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
		rp.CurrentLeaderEpoch, rp.LeaderEpoch = current, epoch
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		return dp.h.offsetForLeaderEpoch(context.Background(), req).(*kmsg.OffsetForLeaderEpochResponse).Topics[0].Partitions[0]
	}
	if sp := ask(3, 3); sp.ErrorCode != 0 || sp.LeaderEpoch != 3 || sp.EndOffset != 4 {
		t.Errorf("epoch 3: %+v, want epoch 3 end 4", sp)
	}
	if sp := ask(3, 1); sp.ErrorCode != 0 || sp.LeaderEpoch != -1 || sp.EndOffset != -1 {
		t.Errorf("epoch 1 (before any): %+v, want -1/-1", sp)
	}
	if sp := ask(2, 3); sp.ErrorCode != kerr.FencedLeaderEpoch.Code {
		t.Errorf("stale current epoch: error %d", sp.ErrorCode)
	}
}

// countRecords sums the record counts of the batches in b.
func countRecords(t *testing.T, b []byte) int64 {
	t.Helper()
	var n int64
	for len(b) > 0 {
		batch, rest, err := records.Next(b)
		if err != nil {
			t.Fatal(err)
		}
		h, _ := records.ParseHeader(batch)
		n += h.LastOffset() - h.BaseOffset + 1
		b = rest
	}
	return n
}

// acks=all appends every partition before waiting for any: a partition
// whose followers are slow does not hold back another's append.
func TestProduceAcksAllAppendsAllPartitionsFirst(t *testing.T) {
	topic := replTopic("1", 1, 2)
	topic.Partitions = append(topic.Partitions, metadata.Partition{Index: 1, Leader: 1, LeaderEpoch: 3,
		Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2}})
	dp := newDataPath(t, topic)
	req := produceReq(9, -1, "rep", 0, plainBatch(t, 2, 1000))
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Partition, rp.Records = 1, plainBatch(t, 3, 1000)
	req.Topics[0].Partitions = append(req.Topics[0].Partitions, rp)
	req.TimeoutMillis = 100
	start := time.Now()
	resp := dp.h.produce(context.Background(), req).(*kmsg.ProduceResponse)
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("waited %v: partitions were waited for one deadline each", took)
	}
	for i, want := range []int64{2, 3} {
		sp := resp.Topics[0].Partitions[i]
		if sp.ErrorCode != kerr.RequestTimedOut.Code {
			t.Errorf("partition %d: error %d, want REQUEST_TIMED_OUT", i, sp.ErrorCode)
		}
		if leo := dp.m.Partition("rep", int32(i)).LogEndOffset(); leo != want {
			t.Errorf("partition %d: log end offset %d, want %d (appended before waiting)", i, leo, want)
		}
	}
}

func TestMetadataListsOfflineReplicas(t *testing.T) {
	dp := newDataPath(t, replTopic("1", 1, 2)) // broker 3 is fenced in dpImage
	req := kmsg.NewPtrMetadataRequest()
	req.SetVersion(12)
	resp := dp.h.metadata(context.Background(), req).(*kmsg.MetadataResponse)
	mp := resp.Topics[0].Partitions[0]
	if len(mp.OfflineReplicas) != 1 || mp.OfflineReplicas[0] != 3 {
		t.Fatalf("offline replicas %v, want [3]", mp.OfflineReplicas)
	}
}
