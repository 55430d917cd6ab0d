package handler

// ShareGroupDescribe, version 1 (KIP-932).
//
// Reports each share group's state (Empty or Stable), group and
// assignment epochs, the "simple" assignor and its members with their
// subscriptions and assignments (topic ids and names). A group this node
// does not coordinate gets NOT_COORDINATOR; an unknown id, or one of a
// classic or consumer group, GROUP_ID_NOT_FOUND. Needs DESCRIBE on each
// group.

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/share"
)

var shareGroupDescribeAPI = api{key: kmsg.ShareGroupDescribe, min: 1, max: 1,
	serve: (*Handler).shareGroupDescribe, authz: authzShareGroupDescribe}

func (h *Handler) shareGroupDescribe(_ context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.ShareGroupDescribeRequest)
	resp := req.ResponseKind().(*kmsg.ShareGroupDescribeResponse)
	im := h.Image()
	for _, id := range req.GroupIDs {
		rg := kmsg.NewShareGroupDescribeResponseGroup()
		rg.GroupID = id
		if req.IncludeAuthorizedOperations {
			rg.AuthorizedOperations = groupOperations
		}
		d, err := h.describeShareGroup(id)
		if err != nil {
			rg.ErrorCode, rg.ErrorMessage = shareError(err)
			resp.Groups = append(resp.Groups, rg)
			continue
		}
		rg.GroupState, rg.GroupEpoch, rg.AssignmentEpoch, rg.Assignor = d.State, d.Epoch, d.AssignmentEpoch, share.AssignorName
		for _, m := range d.Members {
			rm := kmsg.NewShareGroupDescribeResponseGroupMember()
			rm.MemberID, rm.RackID, rm.MemberEpoch = m.MemberID, nullable(m.RackID), m.MemberEpoch
			rm.ClientID, rm.ClientHost, rm.SubscribedTopicNames = m.ClientID, m.ClientHost, m.Subscribed
			rm.Assignment = describeShareAssignment(im, m.Assignment)
			rg.Members = append(rg.Members, rm)
		}
		resp.Groups = append(resp.Groups, rg)
	}
	return resp
}

func (h *Handler) describeShareGroup(id string) (share.GroupDescription, error) {
	if err := h.shareCoordinatorError(id); err != nil {
		return share.GroupDescription{}, err
	}
	if h.notShareGroup(id) {
		return share.GroupDescription{}, fmt.Errorf("%w: Group %s is not a share group.", share.ErrNotShareGroup, id)
	}
	return h.Share.Coordinator().Describe(id, time.Now())
}

func describeShareAssignment(im *metadata.Image, tps []share.TopicPartition) kmsg.ShareGroupDescribeResponseGroupMemberAssignment {
	a := kmsg.NewShareGroupDescribeResponseGroupMemberAssignment()
	index := make(map[string]int)
	for _, tp := range tps {
		t, ok := im.Topic(tp.Topic)
		if !ok {
			continue
		}
		i, seen := index[tp.Topic]
		if !seen {
			i = len(a.TopicPartitions)
			index[tp.Topic] = i
			at := kmsg.NewShareGroupDescribeResponseGroupMemberAssignmentTopicPartition()
			at.TopicID, at.Topic = t.ID, t.Name
			a.TopicPartitions = append(a.TopicPartitions, at)
		}
		a.TopicPartitions[i].Partitions = append(a.TopicPartitions[i].Partitions, tp.Partition)
	}
	return a
}
