package handler

import (
	"context"
	"slices"
	"syscall"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// A produce whose write fails for lack of disk space is answered
// KAFKA_STORAGE_ERROR (as Kafka does), not UNKNOWN_SERVER_ERROR; the
// partition then stays offline for fetches and offset lookups too, and
// other partitions serve.
func TestProduceStorageFailureIsKafkaStorageError(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 2, nil))
	dp.mustProduce("t", 0, plainBatch(t, 2, 1000))
	dp.m.Partition("t", 0).SetWriteFault(func() error { return syscall.ENOSPC })

	if sp := dp.produce("t", 0, plainBatch(t, 2, 1000)); sp.ErrorCode != kerr.KafkaStorageError.Code {
		t.Fatalf("produce on a full disk: error %d (%v), want KAFKA_STORAGE_ERROR", sp.ErrorCode, kerr.ErrorForCode(sp.ErrorCode))
	}
	id := dp.im.Load().Topics["t"].ID
	resp := dp.fetch(context.Background(), fetchReq(12, 0, 0, 1<<20,
		fetchPart{topic: "t", id: id, part: 0, offset: 0, maxBytes: 1 << 20, epoch: -1}))
	if sp := onlyPartition(t, resp); sp.ErrorCode != kerr.KafkaStorageError.Code {
		t.Fatalf("fetch from the failed partition: error %d (%v), want KAFKA_STORAGE_ERROR", sp.ErrorCode, kerr.ErrorForCode(sp.ErrorCode))
	}
	lreq := kmsg.NewPtrListOffsetsRequest()
	lreq.SetVersion(7)
	lreq.ReplicaID = -1
	lt := kmsg.NewListOffsetsRequestTopic()
	lt.Topic = "t"
	lp := kmsg.NewListOffsetsRequestTopicPartition()
	lp.Partition, lp.Timestamp, lp.CurrentLeaderEpoch = 0, -1, -1
	lt.Partitions = append(lt.Partitions, lp)
	lreq.Topics = append(lreq.Topics, lt)
	lresp := dp.h.listOffsets(context.Background(), lreq).(*kmsg.ListOffsetsResponse)
	if code := lresp.Topics[0].Partitions[0].ErrorCode; code != kerr.KafkaStorageError.Code {
		t.Fatalf("list offsets of the failed partition: error %d (%v), want KAFKA_STORAGE_ERROR", code, kerr.ErrorForCode(code))
	}
	md := dp.h.metadata(context.Background(), metadataReq(12, false, []string{"t"})).(*kmsg.MetadataResponse)
	for _, mp := range md.Topics[0].Partitions {
		offline := mp.Partition == 0
		if got := mp.ErrorCode == kerr.LeaderNotAvailable.Code && slices.Contains(mp.OfflineReplicas, 1); got != offline {
			t.Errorf("metadata of partition %d: error %d, offline replicas %v; offline = %v", mp.Partition, mp.ErrorCode, mp.OfflineReplicas, offline)
		}
	}
	if sp := dp.produce("t", 1, plainBatch(t, 2, 1000)); sp.ErrorCode != 0 {
		t.Fatalf("produce to a healthy partition: error %d (%v)", sp.ErrorCode, kerr.ErrorForCode(sp.ErrorCode))
	}
}
