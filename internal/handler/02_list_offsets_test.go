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

// listQuery asks for one partition's offset at a timestamp.
type listQuery struct {
	topic string
	part  int32
	ts    int64
	epoch int32 // CurrentLeaderEpoch, -1 to skip
}

func (dp *dataPath) listOffsets(version int16, qs ...listQuery) []kmsg.ListOffsetsResponseTopicPartition {
	dp.t.Helper()
	req := kmsg.NewPtrListOffsetsRequest()
	req.SetVersion(version)
	req.ReplicaID = -1
	for _, q := range qs {
		n := len(req.Topics)
		if n == 0 || req.Topics[n-1].Topic != q.topic {
			rt := kmsg.NewListOffsetsRequestTopic()
			rt.Topic = q.topic
			req.Topics = append(req.Topics, rt)
			n++
		}
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition, rp.Timestamp, rp.CurrentLeaderEpoch = q.part, q.ts, q.epoch
		req.Topics[n-1].Partitions = append(req.Topics[n-1].Partitions, rp)
	}
	resp := dp.h.listOffsets(context.Background(), req).(*kmsg.ListOffsetsResponse)
	var out []kmsg.ListOffsetsResponseTopicPartition
	for i, rt := range resp.Topics {
		if rt.Topic != req.Topics[i].Topic {
			dp.t.Fatalf("topic %d answered as %q, want %q", i, rt.Topic, req.Topics[i].Topic)
		}
		out = append(out, rt.Partitions...)
	}
	if len(out) != len(qs) {
		dp.t.Fatalf("%d partitions answered, want %d", len(out), len(qs))
	}
	return out
}

// timedLog: offsets 0-2 at 1000, 1010, 1020; 3-4 at 2000, 2005 (gzip);
// 5 at 1500.
func timedLog(t *testing.T) *dataPath {
	t.Helper()
	dp := newDataPath(t, dpTopic("t", 1, 2, nil))
	plain := records.Header{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1}
	dp.mustProduce("t", 0, recordsAt(t, plain, 1000, 1010, 1020))
	zipped, err := records.AppendBatch(nil, records.Header{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
		BaseTimestamp: 2000}, []records.Record{
		{OffsetDelta: 0, Value: []byte("a")},
		{OffsetDelta: 1, TimestampDelta: 5, Value: []byte("b")},
	}, records.Gzip)
	if err != nil {
		t.Fatal(err)
	}
	dp.mustProduce("t", 0, zipped)
	dp.mustProduce("t", 0, recordsAt(t, plain, 1500))
	return dp
}

// one asks for a single partition's offset.
func (dp *dataPath) one(version int16, q listQuery) kmsg.ListOffsetsResponseTopicPartition {
	dp.t.Helper()
	return dp.listOffsets(version, q)[0]
}

func TestListOffsetsSpecialTimestamps(t *testing.T) {
	dp := timedLog(t)
	tests := []struct {
		ts             int64
		offset, tstamp int64
	}{
		{offsetEarliest, 0, -1},
		{offsetLatest, 6, -1},
		{offsetMaxTimestamp, 4, 2005},
	}
	for _, v := range []int16{1, 4, 7} {
		for _, tt := range tests {
			if tt.ts == offsetMaxTimestamp && v < 7 {
				continue
			}
			sp := dp.one(v, listQuery{"t", 0, tt.ts, -1})
			if sp.ErrorCode != 0 || sp.Offset != tt.offset || sp.Timestamp != tt.tstamp {
				t.Errorf("v%d timestamp %d: %+v, want offset %d timestamp %d", v, tt.ts, sp, tt.offset, tt.tstamp)
			}
			if v >= 4 && sp.LeaderEpoch != 0 {
				t.Errorf("v%d timestamp %d: leader epoch %d, want 0", v, tt.ts, sp.LeaderEpoch)
			}
		}
	}
	// An empty partition.
	for _, tt := range []struct{ ts, offset int64 }{{offsetEarliest, 0}, {offsetLatest, 0}, {offsetMaxTimestamp, -1}, {1000, -1}} {
		sp := dp.one(7, listQuery{"t", 1, tt.ts, -1})
		if sp.ErrorCode != 0 || sp.Offset != tt.offset || sp.Timestamp != -1 {
			t.Errorf("empty partition, timestamp %d: %+v, want offset %d timestamp -1", tt.ts, sp, tt.offset)
		}
	}
}

func TestListOffsetsByTimestamp(t *testing.T) {
	dp := timedLog(t)
	tests := []struct{ ts, offset, tstamp int64 }{
		{0, 0, 1000},
		{1000, 0, 1000},
		{1005, 1, 1010},
		{1020, 2, 1020},
		{1021, 3, 2000}, // the first record at or after, not the closest (1500 comes later)
		{1500, 3, 2000},
		{2001, 4, 2005}, // inside a compressed batch
		{2005, 4, 2005},
		{2006, -1, -1},
		{time.Now().UnixMilli(), -1, -1},
	}
	for _, tt := range tests {
		sp := dp.one(4, listQuery{"t", 0, tt.ts, -1})
		if sp.ErrorCode != 0 || sp.Offset != tt.offset || sp.Timestamp != tt.tstamp {
			t.Errorf("timestamp %d: offset %d timestamp %d (error %d), want %d/%d",
				tt.ts, sp.Offset, sp.Timestamp, sp.ErrorCode, tt.offset, tt.tstamp)
		}
	}
	// Records deleted below offset 2 are not found any more.
	if _, err := dp.m.Partition("t", 0).DeleteRecordsBefore(2); err != nil {
		t.Fatal(err)
	}
	if sp := dp.one(4, listQuery{"t", 0, 1000, -1}); sp.Offset != 2 || sp.Timestamp != 1020 {
		t.Fatalf("after deleting below 2, timestamp 1000: %+v, want offset 2", sp)
	}
	if sp := dp.one(4, listQuery{"t", 0, offsetEarliest, -1}); sp.Offset != 2 {
		t.Fatalf("after deleting below 2, earliest: %d", sp.Offset)
	}
}

func TestListOffsetsLogAppendTime(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 1, map[string]string{"message.timestamp.type": "LogAppendTime"}))
	res := dp.produce("t", 0, plainBatch(t, 2, 1000))
	if res.ErrorCode != 0 {
		t.Fatalf("produce: %d", res.ErrorCode)
	}
	// The producer's timestamp 1000 is replaced by the broker's time.
	sp := dp.one(4, listQuery{"t", 0, 1000, -1})
	if sp.Offset != 0 || sp.Timestamp != res.LogAppendTime {
		t.Fatalf("timestamp 1000: %+v, want offset 0 at log append time %d", sp, res.LogAppendTime)
	}
	if sp := dp.one(4, listQuery{"t", 0, res.LogAppendTime + 1, -1}); sp.Offset != -1 {
		t.Fatalf("after the log append time: offset %d, want -1", sp.Offset)
	}
	if sp := dp.one(7, listQuery{"t", 0, offsetMaxTimestamp, -1}); sp.Offset != 0 || sp.Timestamp != res.LogAppendTime {
		t.Fatalf("max timestamp: %+v", sp)
	}
}

func TestListOffsetsErrors(t *testing.T) {
	other := &metadata.Topic{Name: "o", ID: [16]byte{9}, Partitions: []metadata.Partition{
		{Index: 0, Leader: 2, Replicas: []int32{2}, ISR: []int32{2}}}}
	topic := dpTopic("t", 1, 2, nil)
	topic.Partitions[0].LeaderEpoch = 3
	dp := newDataPath(t, topic, other)
	got := dp.listOffsets(4,
		listQuery{"nope", 0, offsetLatest, -1},
		listQuery{"t", 5, offsetLatest, -1},
		listQuery{"t", 0, offsetLatest, 2},
		listQuery{"t", 1, offsetLatest, 1},
		listQuery{"o", 0, offsetLatest, -1},
	)
	want := []*kerr.Error{kerr.UnknownTopicOrPartition, kerr.UnknownTopicOrPartition, kerr.FencedLeaderEpoch,
		kerr.UnknownLeaderEpoch, kerr.NotLeaderForPartition}
	for i, sp := range got {
		if sp.ErrorCode != want[i].Code || sp.Offset != -1 || sp.Timestamp != -1 {
			t.Errorf("query %d (partition %d): %+v, want %s with offset -1", i, sp.Partition, sp, want[i].Message)
		}
	}
	if sp := dp.one(4, listQuery{"t", 0, offsetLatest, 3}); sp.ErrorCode != 0 || sp.LeaderEpoch != 3 {
		t.Fatalf("matching epoch: %+v", sp)
	}
}

func TestListOffsetsDuplicatePartition(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 2, nil))
	got := dp.listOffsets(4,
		listQuery{"t", 0, offsetLatest, -1},
		listQuery{"t", 1, offsetLatest, -1},
		listQuery{"t", 0, offsetEarliest, -1},
	)
	if got[1].ErrorCode != 0 {
		t.Errorf("distinct partition: error %d", got[1].ErrorCode)
	}
	if got[2].ErrorCode != kerr.InvalidRequest.Code || got[2].Offset != -1 {
		t.Errorf("repeated partition: %+v, want INVALID_REQUEST", got[2])
	}
}

// Kafka answers every occurrence of a partition named twice with
// INVALID_REQUEST (KafkaApis: offsetRequest.duplicatePartitions), the
// first one too.
func TestListOffsetsDuplicateFirstOccurrence(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 1, nil))
	got := dp.listOffsets(4, listQuery{"t", 0, offsetLatest, -1}, listQuery{"t", 0, offsetEarliest, -1})
	for i, sp := range got {
		if sp.ErrorCode != kerr.InvalidRequest.Code {
			t.Errorf("occurrence %d: error %d, want INVALID_REQUEST (42)", i, sp.ErrorCode)
		}
	}
}

// ListOffsets from a consumer must reach the leader (Kafka: fetchOnlyFromLeader
// unless replica id is the debugging id -2); a follower answers
// NOT_LEADER_OR_FOLLOWER.
func TestListOffsetsOnFollower(t *testing.T) {
	follower := &metadata.Topic{Name: "f", ID: [16]byte{8}, Partitions: []metadata.Partition{
		{Index: 0, Leader: 2, Replicas: []int32{1, 2}, ISR: []int32{1, 2}}}}
	dp := newDataPath(t, follower)
	if sp := dp.one(4, listQuery{"f", 0, offsetLatest, -1}); sp.ErrorCode != kerr.NotLeaderForPartition.Code {
		t.Fatalf("error %d, want NOT_LEADER_OR_FOLLOWER (6)", sp.ErrorCode)
	}
}

// Kafka answers a lookup by timestamp (and -3) with the leader epoch of the
// batch holding the offset found (UnifiedLog.fetchOffsetByTimestamp:
// batch.partitionLeaderEpoch), which clients use to validate the position
// (KIP-320); Samsa answers with the current epoch.
func TestListOffsetsByTimestampLeaderEpoch(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 1, nil))
	dp.mustProduce("t", 0, plainBatch(t, 1, 1000))
	moved := dpTopic("t", 1, 1, nil)
	moved.Partitions[0].LeaderEpoch = 2
	dp.setImage(dpImage(moved))
	for _, ts := range []int64{1000, offsetMaxTimestamp} {
		if sp := dp.one(7, listQuery{"t", 0, ts, -1}); sp.Offset != 0 || sp.LeaderEpoch != 0 {
			t.Errorf("timestamp %d: offset %d leader epoch %d, want offset 0 epoch 0 (the batch's)", ts, sp.Offset, sp.LeaderEpoch)
		}
	}
}
