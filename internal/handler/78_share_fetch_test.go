package handler

import (
	"context"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/share"
	"github.com/samsa-io/samsa/protocol/records"
)

// shareFetchOf is a record-limit ShareFetch of partition 0 of topic id by
// member m of group g, answered at once.
func shareFetchOf(dp *dataPath, id [16]byte, epoch, maxRecords int32, acks ...kmsg.ShareFetchRequestTopicPartitionAcknowledgementBatch) *kmsg.ShareFetchResponse {
	req := kmsg.NewPtrShareFetchRequest()
	req.SetVersion(2)
	req.GroupID, req.MemberID, req.ShareSessionEpoch = kmsg.StringPtr("g"), kmsg.StringPtr("m"), epoch
	req.MaxRecords, req.BatchSize, req.ShareAcquireMode = maxRecords, maxRecords, 1
	req.Topics = []kmsg.ShareFetchRequestTopic{{TopicID: id, Partitions: []kmsg.ShareFetchRequestTopicPartition{{Partition: 0, AcknowledgementBatches: acks}}}}
	return dp.h.shareFetch(context.Background(), req).(*kmsg.ShareFetchResponse)
}

// acquiredOf is the one partition's acquired ranges ("first-last/count")
// and the base offsets of the batches its records hold.
func acquiredOf(t *testing.T, resp *kmsg.ShareFetchResponse) (ranges []string, bases []int64) {
	t.Helper()
	if resp.ErrorCode != 0 || len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		t.Fatalf("ShareFetch: %v, %+v", kerr.ErrorForCode(resp.ErrorCode), resp.Topics)
	}
	rp := resp.Topics[0].Partitions[0]
	if rp.ErrorCode != 0 || rp.AcknowledgeErrorCode != 0 {
		t.Fatalf("partition: %v, acknowledge %v", kerr.ErrorForCode(rp.ErrorCode), kerr.ErrorForCode(rp.AcknowledgeErrorCode))
	}
	for _, a := range rp.AcquiredRecords {
		ranges = append(ranges, fmt.Sprintf("%d-%d/%d", a.FirstOffset, a.LastOffset, a.DeliveryCount))
	}
	for _, h := range batchHeaders(t, rp.Records) {
		bases = append(bases, h.BaseOffset)
	}
	return ranges, bases
}

// The batches returned are those holding acquired offsets, and a
// transaction marker is never acquired: it is archived, and the SPSO
// moves past it once the records around it are accepted.
func TestShareFetchReturnsAcquiredBatchesOnly(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 1, nil))
	id := dp.im.Load().Topics["t"].ID
	// Offsets 0-2 plain, 3-4 a committed transaction, 5 its marker, 6-8 plain.
	dp.mustProduce("t", 0, plainBatch(t, 3, 1000))
	p := dp.m.Partition("t", 0)
	txn := recordsAt(t, records.Header{ProducerID: 7, ProducerEpoch: 0, BaseSequence: 0, Attributes: 0x10}, 1000, 1000)
	if _, err := p.Append(txn); err != nil {
		t.Fatalf("append transactional batch: %v", err)
	}
	if _, err := p.WriteMarker(7, 0, true, 0); err != nil {
		t.Fatalf("write marker: %v", err)
	}
	dp.mustProduce("t", 0, plainBatch(t, 3, 1000))
	if hw := p.HighWatermark(); hw != 9 {
		t.Fatalf("high watermark %d, want 9", hw)
	}
	// The share-partition starts at offset 0, as if assigned before the
	// records were produced.
	dp.h.Share.Partition(share.PartitionKey{Group: "g", TopicIDPartition: share.TopicIDPartition{TopicID: id}}, p.LeaderEpoch(),
		func() int64 { return 0 })

	ranges, bases := acquiredOf(t, shareFetchOf(dp, id, 0, 2))
	if fmt.Sprint(ranges) != "[0-1/1]" || fmt.Sprint(bases) != "[0]" {
		t.Fatalf("first fetch: acquired %v in batches %v, want [0-1/1] in [0]", ranges, bases)
	}
	ranges, bases = acquiredOf(t, shareFetchOf(dp, id, 1, 100))
	if fmt.Sprint(ranges) != "[2-4/1 6-8/1]" || fmt.Sprint(bases) != "[0 3 5 6]" {
		t.Fatalf("second fetch: acquired %v in batches %v, want [2-4/1 6-8/1] in [0 3 5 6]", ranges, bases)
	}
	accept := func(first, last int64) kmsg.ShareFetchRequestTopicPartitionAcknowledgementBatch {
		return kmsg.ShareFetchRequestTopicPartitionAcknowledgementBatch{FirstOffset: first, LastOffset: last, AcknowledgeTypes: []int8{1}}
	}
	if ranges, _ := acquiredOf(t, shareFetchOf(dp, id, 2, 100, accept(0, 4), accept(6, 8))); len(ranges) != 0 {
		t.Fatalf("acquired %v with nothing left", ranges)
	}
	sp := dp.h.Share.Existing(share.PartitionKey{Group: "g", TopicIDPartition: share.TopicIDPartition{TopicID: id}})
	if sp.StartOffset() != 9 {
		t.Fatalf("SPSO %d after accepting every record, want 9 (past the marker)", sp.StartOffset())
	}
	// Acknowledging the marker, which was never acquired, is refused.
	resp := shareFetchOf(dp, id, 3, 100, accept(5, 5))
	if code := resp.Topics[0].Partitions[0].AcknowledgeErrorCode; code != kerr.InvalidRecordState.Code {
		t.Fatalf("acknowledging the marker: %v, want INVALID_RECORD_STATE", kerr.ErrorForCode(code))
	}
}
