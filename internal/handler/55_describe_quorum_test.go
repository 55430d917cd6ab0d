package handler

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestDescribeQuorumWithoutQuorumView(t *testing.T) {
	dp := newDataPath(t)
	req := kmsg.NewPtrDescribeQuorumRequest()
	for _, name := range []string{"__cluster_metadata", "other"} {
		rt := kmsg.NewDescribeQuorumRequestTopic()
		rt.Topic = name
		rt.Partitions = append(rt.Partitions, kmsg.NewDescribeQuorumRequestTopicPartition())
		req.Topics = append(req.Topics, rt)
	}
	resp := dp.h.describeQuorum(context.Background(), req).(*kmsg.DescribeQuorumResponse)
	// The fake controller has no quorum view; a wrong partition is unknown.
	if got := resp.Topics[0].Partitions[0].ErrorCode; got != unknownServerErrorCode {
		t.Errorf("metadata partition error %d", got)
	}
	if got := resp.Topics[1].Partitions[0].ErrorCode; got != 3 {
		t.Errorf("other topic error %d, want UNKNOWN_TOPIC_OR_PARTITION (3)", got)
	}
}

const unknownServerErrorCode = -1
