package handler

// DescribeTopicPartitions, version 0 (KIP-966's client side, Kafka 3.8).
//
// Metadata with paging, which Kafka 4.x's Admin.describeTopics and
// `kafka-topics --describe` use. The requested topics (every topic when the
// list is empty) from the cursor's topic on are described in name order,
// the cursor's topic from the cursor's partition and each later topic from
// partition 0, until response_partition_limit partitions (at most 2000, at
// least 1, as Kafka's max.request.partition.size.limit default) are in the
// answer; next_cursor then names the first partition left out. A topic
// whose listed partitions run out of the limit exactly ends the page, and
// a topic that had no room left at all is where the next page starts, at
// partition 0. A named topic that does not exist is answered
// UNKNOWN_TOPIC_OR_PARTITION (INVALID_TOPIC_EXCEPTION for an illegal name)
// when the page reaches it; with the list empty only existing topics are
// listed. A cursor with a negative partition, or one whose topic the
// request's list does not name, makes the request INVALID_REQUEST: every
// requested topic answers that code and nothing else.
//
// Each partition's eligible_leader_replicas and last_known_elr are the
// controller's (KIP-966, internal/controller/elr.go), empty lists when it
// has none. The leader is -1 when its broker has
// no endpoint on the request's listener, and offline replicas are those of
// fenced or unregistered brokers and this node's replica of a failed log.
// Every described topic carries every topic operation; with ACLs, DESCRIBE
// on each topic is needed and the operations are the principal's
// (authzDescribeTopicPartitions).

import (
	"context"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/metadata"
)

var describeTopicPartitionsAPI = api{key: kmsg.DescribeTopicPartitions, min: 0, max: 0, serve: (*Handler).describeTopicPartitions,
	authz: withOpsFix(authzDescribeTopicPartitions, describeTopicPartitionsOps)}

// maxDescribedPartitions is Kafka's max.request.partition.size.limit
// default: the most partitions one DescribeTopicPartitions answer holds.
const maxDescribedPartitions = 2000

func (h *Handler) describeTopicPartitions(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.DescribeTopicPartitionsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeTopicPartitionsResponse)
	if !validTopicPartitionsCursor(req) {
		for _, t := range req.Topics {
			rt := kmsg.NewDescribeTopicPartitionsResponseTopic()
			rt.Topic, rt.ErrorCode = kmsg.StringPtr(t.Topic), kerr.InvalidRequest.Code
			resp.Topics = append(resp.Topics, rt)
		}
		return resp
	}
	im := h.Image()
	all := len(req.Topics) == 0
	names := pagedTopicNames(im, req)
	start := func(name string) int32 {
		if req.Cursor != nil && name == req.Cursor.Topic {
			return req.Cursor.Partition
		}
		return 0
	}
	remaining := max(min(req.ResponsePartitionLimit, maxDescribedPartitions), 1)
	listener := clientOf(ctx).listener
	for _, name := range names {
		if remaining == 0 {
			// The page is full: the next one starts at this topic.
			resp.NextCursor = &kmsg.DescribeTopicPartitionsResponseNextCursor{Topic: name}
			break
		}
		t, ok := im.Topic(name)
		if !ok {
			if !all {
				rt := kmsg.NewDescribeTopicPartitionsResponseTopic()
				rt.Topic, rt.IsInternal = kmsg.StringPtr(name), internalTopics[name]
				rt.ErrorCode = kerr.UnknownTopicOrPartition.Code
				if validateTopicName(name) != nil {
					rt.ErrorCode = kerr.InvalidTopicException.Code
				}
				rt.AuthorizedOperations = topicOperations
				resp.Topics = append(resp.Topics, rt)
			}
			continue
		}
		from := start(name)
		upto := int32(min(int64(len(t.Partitions)), int64(from)+int64(remaining)))
		rt := kmsg.NewDescribeTopicPartitionsResponseTopic()
		rt.Topic, rt.TopicID, rt.IsInternal = kmsg.StringPtr(name), t.ID, internalTopics[name]
		rt.AuthorizedOperations = topicOperations
		for i := from; i < upto; i++ {
			rt.Partitions = append(rt.Partitions, h.describedPartition(im, listener, t.Name, t.Partitions[i]))
		}
		resp.Topics = append(resp.Topics, rt)
		if upto < int32(len(t.Partitions)) {
			resp.NextCursor = &kmsg.DescribeTopicPartitionsResponseNextCursor{Topic: name, Partition: upto}
			break
		}
		remaining -= int32(len(rt.Partitions))
	}
	return resp
}

// validTopicPartitionsCursor reports whether the request's cursor, if any,
// has a partition index of 0 or more and, when topics are named, names one
// of them.
func validTopicPartitionsCursor(req *kmsg.DescribeTopicPartitionsRequest) bool {
	c := req.Cursor
	if c == nil {
		return true
	}
	return c.Partition >= 0 && (len(req.Topics) == 0 ||
		slices.ContainsFunc(req.Topics, func(t kmsg.DescribeTopicPartitionsRequestTopic) bool { return t.Topic == c.Topic }))
}

// pagedTopicNames are the names a request pages through: the named topics
// (every topic when none is named) from the cursor's topic on, sorted and
// without repeats.
func pagedTopicNames(im *metadata.Image, req *kmsg.DescribeTopicPartitionsRequest) []string {
	var names []string
	if len(req.Topics) == 0 {
		names = im.SortedTopicNames()
	} else {
		for _, t := range req.Topics {
			names = append(names, t.Topic)
		}
		slices.Sort(names)
		names = slices.Compact(names)
	}
	if req.Cursor != nil {
		names = slices.DeleteFunc(names, func(n string) bool { return strings.Compare(n, req.Cursor.Topic) < 0 })
	}
	return names
}

func (h *Handler) describedPartition(im *metadata.Image, listener, topic string, p metadata.Partition) kmsg.DescribeTopicPartitionsResponseTopicPartition {
	dp := kmsg.NewDescribeTopicPartitionsResponseTopicPartition()
	dp.Partition, dp.LeaderID, dp.LeaderEpoch = p.Index, p.Leader, p.LeaderEpoch
	if b, ok := im.Brokers[p.Leader]; !ok {
		dp.LeaderID = -1
	} else if _, ok := b.EndpointFor(listener); !ok {
		dp.LeaderID = -1 // unreachable on this listener, as Kafka
	}
	dp.Replicas, dp.ISR = p.Replicas, p.ISR
	dp.EligibleLeaderReplicas = append([]int32{}, p.ELR...) // [] when none, not null, as Kafka
	dp.LastKnownELR = append([]int32{}, p.LastKnownELR...)
	dp.OfflineReplicas = offlineReplicas(im, p.Replicas)
	if h.Partitions.Offline(topic, p.Index) != nil && !slices.Contains(dp.OfflineReplicas, h.NodeID) {
		dp.OfflineReplicas = append(dp.OfflineReplicas, h.NodeID)
	}
	return dp
}
