package handler

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/protocol/records"
)

func TestProduceAcks(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 1, nil))
	b := plainBatch(t, 3, 1000)

	if resp := dp.h.produce(context.Background(), produceReq(9, 0, "t", 0, append([]byte(nil), b...))); resp != nil {
		t.Fatalf("acks=0: got response %+v, want none", resp)
	}
	if leo := dp.m.Partition("t", 0).LogEndOffset(); leo != 3 {
		t.Fatalf("acks=0: log end offset %d, want 3 (the batch is still written)", leo)
	}
	for i, acks := range []int16{1, -1} {
		sp := dp.produceWith(9, acks, "t", 0, b)
		if sp.ErrorCode != 0 || sp.BaseOffset != int64(3+3*i) || sp.LogAppendTime != -1 || sp.LogStartOffset != 0 {
			t.Fatalf("acks=%d: %+v", acks, sp)
		}
	}
	if hw := dp.m.Partition("t", 0).HighWatermark(); hw != 9 {
		t.Fatalf("high watermark %d, want 9", hw)
	}
}

func TestProduceInvalidAcks(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 1, nil))
	for _, acks := range []int16{2, -2, 5} {
		sp := dp.produceWith(9, acks, "t", 0, plainBatch(t, 1, 1000))
		if sp.ErrorCode != kerr.InvalidRequiredAcks.Code {
			t.Errorf("acks=%d: error %d, want INVALID_REQUIRED_ACKS", acks, sp.ErrorCode)
		}
	}
	if leo := dp.m.Partition("t", 0).LogEndOffset(); leo != 0 {
		t.Fatalf("invalid acks wrote records: log end offset %d", leo)
	}
}

func TestProduceOldVersionsUnsupported(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 1, nil))
	for v := int16(0); v <= 2; v++ {
		sp := dp.produceWith(v, 1, "t", 0, plainBatch(t, 1, 1000))
		if sp.ErrorCode != kerr.UnsupportedVersion.Code {
			t.Errorf("v%d: error %d, want UNSUPPORTED_VERSION", v, sp.ErrorCode)
		}
	}
	if sp := dp.produceWith(3, 1, "t", 0, plainBatch(t, 1, 1000)); sp.ErrorCode != 0 || sp.BaseOffset != 0 {
		t.Fatalf("v3: %+v, want offset 0", sp)
	}
}

func TestProducePartitionErrors(t *testing.T) {
	other := &metadata.Topic{Name: "elsewhere", ID: [16]byte{9}, Partitions: []metadata.Partition{
		{Index: 0, Leader: 2, Replicas: []int32{2}, ISR: []int32{2}},
		{Index: 1, Leader: 2, Replicas: []int32{1, 2}, ISR: []int32{1, 2}}, // follower here
	}}
	dp := newDataPath(t, dpTopic("t", 1, 1, nil), other)
	tests := []struct {
		topic string
		part  int32
		want  *kerr.Error
	}{
		{"missing", 0, kerr.UnknownTopicOrPartition},
		{"t", 7, kerr.UnknownTopicOrPartition},
		{"elsewhere", 0, kerr.NotLeaderForPartition},
		{"elsewhere", 1, kerr.NotLeaderForPartition},
	}
	for _, tt := range tests {
		sp := dp.produce(tt.topic, tt.part, plainBatch(t, 1, 1000))
		if sp.ErrorCode != tt.want.Code || sp.BaseOffset != -1 || sp.LogStartOffset != -1 {
			t.Errorf("%s-%d: %+v, want %s", tt.topic, tt.part, sp, tt.want.Message)
		}
	}
	if leo := dp.m.Partition("elsewhere", 1).LogEndOffset(); leo != 0 {
		t.Fatalf("follower replica was written: log end offset %d", leo)
	}
}

func TestProduceCorruptCRC(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 1, nil))
	b := plainBatch(t, 2, 1000)
	b[len(b)-1] ^= 0xFF
	if sp := dp.produce("t", 0, b); sp.ErrorCode != kerr.CorruptMessage.Code {
		t.Fatalf("corrupt batch: error %d, want CORRUPT_MESSAGE", sp.ErrorCode)
	}
	if leo := dp.m.Partition("t", 0).LogEndOffset(); leo != 0 {
		t.Fatalf("corrupt batch written: log end offset %d", leo)
	}
}

func TestProduceMessageTooLarge(t *testing.T) {
	small := plainBatch(t, 1, 1000)
	big := plainBatch(t, 20, 1000)
	limit := (len(small) + len(big)) / 2
	dp := newDataPath(t, dpTopic("t", 1, 1, map[string]string{"max.message.bytes": strconv.Itoa(limit)}))
	if sp := dp.produce("t", 0, big); sp.ErrorCode != kerr.MessageTooLarge.Code {
		t.Fatalf("batch of %d bytes over %d: error %d, want MESSAGE_TOO_LARGE", len(big), limit, sp.ErrorCode)
	}
	if sp := dp.produce("t", 0, small); sp.ErrorCode != 0 || sp.BaseOffset != 0 {
		t.Fatalf("batch of %d bytes under %d: %+v", len(small), limit, sp)
	}
}

func TestProduceIdempotentSequences(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 1, nil))
	const pid = 42
	first := idemBatch(t, pid, 1, 0, 3)
	if off := dp.mustProduce("t", 0, first); off != 0 {
		t.Fatalf("first batch at %d", off)
	}
	if off := dp.mustProduce("t", 0, idemBatch(t, pid, 1, 3, 2)); off != 3 {
		t.Fatalf("second batch at %d, want 3", off)
	}
	// A retry of the first batch is answered with its original offset.
	if sp := dp.produce("t", 0, first); sp.ErrorCode != 0 || sp.BaseOffset != 0 {
		t.Fatalf("retried batch: %+v, want offset 0 and no error", sp)
	}
	if leo := dp.m.Partition("t", 0).LogEndOffset(); leo != 5 {
		t.Fatalf("duplicate was written: log end offset %d, want 5", leo)
	}
	if sp := dp.produce("t", 0, idemBatch(t, pid, 1, 9, 1)); sp.ErrorCode != kerr.OutOfOrderSequenceNumber.Code {
		t.Fatalf("sequence gap: error %d, want OUT_OF_ORDER_SEQUENCE_NUMBER", sp.ErrorCode)
	}
	if sp := dp.produce("t", 0, idemBatch(t, pid, 0, 5, 1)); sp.ErrorCode != kerr.InvalidProducerEpoch.Code {
		t.Fatalf("old epoch: error %d, want INVALID_PRODUCER_EPOCH", sp.ErrorCode)
	}
	if sp := dp.produce("t", 0, idemBatch(t, pid, 2, 4, 1)); sp.ErrorCode != kerr.OutOfOrderSequenceNumber.Code {
		t.Fatalf("new epoch not at sequence 0: error %d", sp.ErrorCode)
	}
	if off := dp.mustProduce("t", 0, idemBatch(t, pid, 2, 0, 1)); off != 5 {
		t.Fatalf("new epoch at sequence 0: offset %d, want 5", off)
	}
	if leo := dp.m.Partition("t", 0).LogEndOffset(); leo != 6 {
		t.Fatalf("log end offset %d, want 6", leo)
	}
}

func TestProduceLogAppendTime(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 1, map[string]string{"message.timestamp.type": "LogAppendTime"}))
	before := time.Now().UnixMilli()
	sp := dp.produce("t", 0, plainBatch(t, 2, 1000))
	after := time.Now().UnixMilli()
	if sp.ErrorCode != 0 || sp.LogAppendTime < before || sp.LogAppendTime > after {
		t.Fatalf("LogAppendTime %d not in [%d, %d] (%+v)", sp.LogAppendTime, before, after, sp)
	}
	data, err := dp.m.Partition("t", 0).Read(0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	hs := batchHeaders(t, data) // checks the recomputed CRC
	if len(hs) != 1 || !hs[0].LogAppendTime() || hs[0].MaxTimestamp != sp.LogAppendTime {
		t.Fatalf("stored header %+v, want the LogAppendTime bit and max timestamp %d", hs, sp.LogAppendTime)
	}
	recs, err := records.Records(data)
	if err != nil || len(recs) != 2 || recs[1].Timestamp(hs[0]) != sp.LogAppendTime {
		t.Fatalf("stored records %+v %v", recs, err)
	}
}

func TestProduceCreateTimeKeepsBytes(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 1, nil))
	dp.mustProduce("t", 0, plainBatch(t, 1, 1000))
	b := plainBatch(t, 3, 2000)
	dp.mustProduce("t", 0, b)
	data, err := dp.m.Partition("t", 0).Read(1, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]byte(nil), b...)
	records.SetBaseOffset(want, 1)
	records.SetLeaderEpoch(want, 0)
	if !bytes.Equal(data, want) {
		t.Fatalf("stored batch differs from the produced one beyond offset and epoch")
	}
}

func TestProduceNotEnoughReplicas(t *testing.T) {
	topic := &metadata.Topic{Name: "t", ID: [16]byte{7}, Configs: map[string]string{"min.insync.replicas": "2"},
		Partitions: []metadata.Partition{{Index: 0, Leader: 1, Replicas: []int32{1, 2}, ISR: []int32{1}}}}
	dp := newDataPath(t, topic)
	sp := dp.produceWith(9, -1, "t", 0, plainBatch(t, 1, 1000))
	if sp.ErrorCode != kerr.NotEnoughReplicas.Code || sp.ErrorMessage == nil {
		t.Fatalf("acks=-1 with ISR 1 < 2: %+v, want NOT_ENOUGH_REPLICAS with a message", sp)
	}
	if leo := dp.m.Partition("t", 0).LogEndOffset(); leo != 0 {
		t.Fatalf("refused batch was written: log end offset %d", leo)
	}
	// acks=1 does not need the ISR.
	if sp := dp.produceWith(9, 1, "t", 0, plainBatch(t, 1, 1000)); sp.ErrorCode != 0 {
		t.Fatalf("acks=1: error %d", sp.ErrorCode)
	}
}

func TestProduceManyPartitions(t *testing.T) {
	dp := newDataPath(t, dpTopic("a", 1, 2, nil), dpTopic("b", 2, 1, nil))
	req := kmsg.NewPtrProduceRequest()
	req.SetVersion(11)
	req.Acks = 1
	for _, name := range []string{"a", "b", "nope"} {
		rt := kmsg.NewProduceRequestTopic()
		rt.Topic = name
		for p := int32(0); p < 2; p++ {
			rp := kmsg.NewProduceRequestTopicPartition()
			rp.Partition, rp.Records = p, plainBatch(t, 1, 1000)
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
	}
	resp := dp.h.produce(context.Background(), req).(*kmsg.ProduceResponse)
	want := map[string][]int16{
		"a":    {0, 0},
		"b":    {0, kerr.UnknownTopicOrPartition.Code},
		"nope": {kerr.UnknownTopicOrPartition.Code, kerr.UnknownTopicOrPartition.Code},
	}
	if len(resp.Topics) != 3 {
		t.Fatalf("%d topics answered, want 3", len(resp.Topics))
	}
	for _, rt := range resp.Topics {
		for i, sp := range rt.Partitions {
			if sp.Partition != int32(i) || sp.ErrorCode != want[rt.Topic][i] {
				t.Errorf("%s-%d: error %d, want %d", rt.Topic, sp.Partition, sp.ErrorCode, want[rt.Topic][i])
			}
		}
	}
}

// Kafka (ProduceRequest.validateRecords) allows exactly one batch per
// partition from v3 and answers INVALID_RECORD otherwise.
func TestProduceMultipleBatchesPerPartition(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 1, nil))
	two := append(plainBatch(t, 1, 1000), plainBatch(t, 1, 1000)...)
	if sp := dp.produce("t", 0, two); sp.ErrorCode != kerr.InvalidRecord.Code {
		t.Fatalf("two batches: error %d, want INVALID_RECORD (87)", sp.ErrorCode)
	}
}

// Kafka answers a partition with no record batch (null or empty records)
// with INVALID_RECORD ("must have at least one record batch per partition").
func TestProduceEmptyRecordsInvalidRecord(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 1, nil))
	if sp := dp.produce("t", 0, nil); sp.ErrorCode != kerr.InvalidRecord.Code {
		t.Fatalf("no records: error %d, want INVALID_RECORD (87)", sp.ErrorCode)
	}
}

// Kafka answers a retried batch with the original batch's metadata,
// including its log append time (UnifiedLog: appendInfo.setLogAppendTime(duplicate.timestamp)).
func TestProduceDuplicateKeepsLogAppendTime(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 1, map[string]string{"message.timestamp.type": "LogAppendTime"}))
	b := idemBatch(t, 5, 0, 0, 1)
	first := dp.produce("t", 0, b)
	again := dp.produce("t", 0, b)
	if again.ErrorCode != 0 || again.BaseOffset != first.BaseOffset || again.LogAppendTime != first.LogAppendTime {
		t.Fatalf("retry answered %+v, want offset %d and LogAppendTime %d", again, first.BaseOffset, first.LogAppendTime)
	}
}
