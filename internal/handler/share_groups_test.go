package handler

import (
	"github.com/twmb/franz-go/pkg/kmsg"
)

// shareAuthzSample is the authorization table test's request of a share
// API, naming its group and topic.
func shareAuthzSample(key kmsg.Key, topicID [16]byte) kmsg.Request {
	switch key {
	case kmsg.ShareGroupHeartbeat:
		r := kmsg.NewPtrShareGroupHeartbeatRequest()
		r.GroupID, r.MemberID, r.SubscribedTopicNames = tabGroup, "m", []string{tabTopic}
		return r
	case kmsg.ShareGroupDescribe:
		r := kmsg.NewPtrShareGroupDescribeRequest()
		r.GroupIDs = []string{tabGroup}
		return r
	case kmsg.ShareFetch:
		r := kmsg.NewPtrShareFetchRequest()
		r.GroupID, r.MemberID, r.MaxRecords = kmsg.StringPtr(tabGroup), kmsg.StringPtr("m"), 10
		r.Topics = []kmsg.ShareFetchRequestTopic{{TopicID: topicID, Partitions: []kmsg.ShareFetchRequestTopicPartition{{Partition: 0}}}}
		return r
	case kmsg.DescribeShareGroupOffsets:
		r := kmsg.NewPtrDescribeShareGroupOffsetsRequest()
		r.Groups = []kmsg.DescribeShareGroupOffsetsRequestGroup{{GroupID: tabGroup,
			Topics: []kmsg.DescribeShareGroupOffsetsRequestGroupTopic{{Topic: tabTopic, Partitions: []int32{0}}}}}
		return r
	default:
		r := kmsg.NewPtrShareAcknowledgeRequest()
		r.GroupID, r.MemberID, r.ShareSessionEpoch = kmsg.StringPtr(tabGroup), kmsg.StringPtr("m"), -1
		r.Topics = []kmsg.ShareAcknowledgeRequestTopic{{TopicID: topicID, Partitions: []kmsg.ShareAcknowledgeRequestTopicPartition{{Partition: 0,
			AcknowledgementBatches: []kmsg.ShareAcknowledgeRequestTopicPartitionAcknowledgementBatch{{FirstOffset: 0, LastOffset: 0, AcknowledgeTypes: []int8{1}}}}}}}
		return r
	}
}
