package handler

// ShareGroupHeartbeat, version 1 (KIP-932; v0 was Kafka 4.0's early
// access and is gone).
//
// Members bring their own member id. A member joins at epoch 0 with its
// subscribed topic names, heartbeats at the epoch it was last given, and
// leaves at epoch -1. The coordinator assigns partitions as Kafka's simple
// assignor does (several members may share a partition: they split its
// records) and sends a member its assignment, as topic ids, only when it
// changed. A member silent for group.share.session.timeout.ms is removed.
// The group id must not name a classic or consumer group
// (GROUP_ID_NOT_FOUND). Needs READ on the group and DESCRIBE on every
// subscribed topic (authz_share_groups.go).
//
// A share-partition this node leads starts, the first time the group is
// assigned it, at the partition's high watermark: Kafka's
// share.auto.offset.reset=latest. Group configs that would choose
// earliest are not supported yet.

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/share"
)

var shareGroupHeartbeatAPI = api{key: kmsg.ShareGroupHeartbeat, min: 1, max: 1,
	serve: (*Handler).shareGroupHeartbeat, authz: authzShareGroupHeartbeat}

func (h *Handler) shareGroupHeartbeat(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.ShareGroupHeartbeatRequest)
	resp := req.ResponseKind().(*kmsg.ShareGroupHeartbeatResponse)
	fail := func(err error) kmsg.Response {
		resp.ErrorCode, resp.ErrorMessage = shareError(err)
		return resp
	}
	if err := h.shareCoordinatorError(req.GroupID); err != nil {
		return fail(err)
	}
	if h.notShareGroup(req.GroupID) {
		return fail(fmt.Errorf("%w: Group %s is not a share group.", share.ErrNotShareGroup, req.GroupID))
	}
	im := h.Image()
	ci := clientOf(ctx)
	now := time.Now()
	res := h.Share.Coordinator().Heartbeat(share.Heartbeat{Group: req.GroupID, MemberID: req.MemberID,
		MemberEpoch: req.MemberEpoch, RackID: req.RackID, Subscribed: req.SubscribedTopicNames,
		ClientID: ci.id, ClientHost: clientHost(ctx)}, shareTopics(im), now)
	if res.Err != nil {
		return fail(res.Err)
	}
	resp.MemberID = &req.MemberID
	resp.MemberEpoch = res.MemberEpoch
	resp.HeartbeatIntervalMillis = int32(res.Interval.Milliseconds())
	if res.Assignment == nil {
		return resp
	}
	a := kmsg.NewShareGroupHeartbeatResponseAssignment()
	a.TopicPartitions = []kmsg.ShareGroupHeartbeatResponseAssignmentTopicPartition{}
	index := make(map[string]int)
	for _, tp := range res.Assignment {
		t, ok := im.Topic(tp.Topic)
		if !ok {
			continue
		}
		h.startSharePartition(im, req.GroupID, t, tp.Partition)
		i, seen := index[tp.Topic]
		if !seen {
			i = len(a.TopicPartitions)
			index[tp.Topic] = i
			at := kmsg.NewShareGroupHeartbeatResponseAssignmentTopicPartition()
			at.TopicID = t.ID
			a.TopicPartitions = append(a.TopicPartitions, at)
		}
		a.TopicPartitions[i].Partitions = append(a.TopicPartitions[i].Partitions, tp.Partition)
	}
	resp.Assignment = &a
	return resp
}

// shareTopics is the partition count of each topic of im.
func shareTopics(im *metadata.Image) share.Topics {
	return func(name string) (int32, bool) {
		t, ok := im.Topic(name)
		if !ok {
			return 0, false
		}
		return int32(len(t.Partitions)), true
	}
}

// startSharePartition creates group's share-partition of t/partition, at
// the high watermark, if this node leads the partition and it has none.
func (h *Handler) startSharePartition(im *metadata.Image, groupID string, t *metadata.Topic, partition int32) *share.Partition {
	pm, ok := im.PartitionOf(t.Name, partition)
	if !ok || pm.Leader != h.NodeID {
		return nil
	}
	p := h.Partitions.Partition(t.Name, partition)
	if p == nil {
		return nil
	}
	key := share.PartitionKey{Group: groupID, TopicIDPartition: share.TopicIDPartition{TopicID: t.ID, Partition: partition}}
	sp := h.Share.Partition(key, p.LeaderEpoch(), p.HighWatermark)
	sp.AdvanceStart(p.LogStartOffset())
	return sp
}
