package handler

// OffsetCommit, versions 2–9.
//
// Members commit with their member id and generation (and v7+ instance
// id); a commit with generation -1 and no member id comes from outside the
// group (manually assigned consumers) and is accepted while the group has
// no members. Commits are answered after their records are in
// __consumer_offsets. v2–4 retention_time_ms sets an explicit expiry;
// -1 uses offsets.retention.minutes. Partitions of unknown topics get
// UNKNOWN_TOPIC_OR_PARTITION; metadata over 4096 bytes
// OFFSET_METADATA_TOO_LARGE. A group-level error is repeated on every
// partition, as Kafka's response has no top-level code. v9's KIP-848
// member-epoch checks are not implemented (classic groups only).

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/group"
)

var offsetCommitAPI = api{key: kmsg.OffsetCommit, min: 2, max: 9, serve: (*Handler).offsetCommit,
	authz: authzOffsetCommit}

func (h *Handler) offsetCommit(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.OffsetCommitRequest)
	resp := req.ResponseKind().(*kmsg.OffsetCommitResponse)
	im := h.Image()
	cr := group.CommitRequest{Group: req.Group, MemberID: req.MemberID, InstanceID: deref(req.InstanceID),
		Generation: req.Generation, Retention: -1}
	if req.Version <= 4 && req.RetentionTimeMillis >= 0 {
		cr.Retention = time.Duration(req.RetentionTimeMillis) * time.Millisecond
	}
	codes := make([][]int16, len(req.Topics))
	var where [][2]int // index in cr.Offsets -> (topic, partition) position
	for i, t := range req.Topics {
		codes[i] = make([]int16, len(t.Partitions))
		for j, p := range t.Partitions {
			if _, ok := im.PartitionOf(t.Topic, p.Partition); !ok {
				codes[i][j] = kerr.UnknownTopicOrPartition.Code
				continue
			}
			epoch := int32(-1)
			if req.Version >= 6 {
				epoch = p.LeaderEpoch
			}
			cr.Offsets = append(cr.Offsets, group.OffsetCommit{TopicPartition: group.TopicPartition{Topic: t.Topic,
				Partition: p.Partition}, Offset: p.Offset, LeaderEpoch: epoch, Metadata: deref(p.Metadata)})
			where = append(where, [2]int{i, j})
		}
	}
	if len(cr.Offsets) > 0 {
		errs, err := h.Groups.Commit(ctx, cr)
		for k, w := range where {
			if err != nil {
				codes[w[0]][w[1]] = errorCode(err)
			} else {
				codes[w[0]][w[1]] = errorCode(errs[k])
			}
		}
	}
	for i, t := range req.Topics {
		rt := kmsg.NewOffsetCommitResponseTopic()
		rt.Topic = t.Topic
		for j, p := range t.Partitions {
			rp := kmsg.NewOffsetCommitResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p.Partition, codes[i][j]
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}
