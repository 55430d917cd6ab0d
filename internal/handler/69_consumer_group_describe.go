package handler

// ConsumerGroupDescribe, versions 0–1 (KIP-848 groups).
//
// Reports each group's state (Empty, Assigning, Reconciling, Stable), group
// and assignment epochs, assignor and members with their current and
// target assignments. A classic or unknown group gets GROUP_ID_NOT_FOUND.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/group"
	"github.com/samsa-io/samsa/internal/metadata"
)

var consumerGroupDescribeAPI = api{key: kmsg.ConsumerGroupDescribe, min: 0, max: 1, serve: (*Handler).consumerGroupDescribe,
	authz: authzConsumerGroupDescribe}

func (h *Handler) consumerGroupDescribe(_ context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.ConsumerGroupDescribeRequest)
	resp := req.ResponseKind().(*kmsg.ConsumerGroupDescribeResponse)
	im := h.Image()
	for _, id := range req.Groups {
		rg := kmsg.NewConsumerGroupDescribeResponseGroup()
		rg.Group = id
		if req.IncludeAuthorizedOperations {
			rg.AuthorizedOperations = groupOperations
		}
		d, err := h.Groups.DescribeConsumerGroup(id)
		if err != nil {
			rg.ErrorCode, rg.ErrorMessage = errorCode(err), errorMessage(err)
			resp.Groups = append(resp.Groups, rg)
			continue
		}
		rg.State, rg.Epoch, rg.AssignmentEpoch, rg.AssignorName = d.State, d.Epoch, d.AssignmentEpoch, d.Assignor
		for _, m := range d.Members {
			rm := kmsg.NewConsumerGroupDescribeResponseGroupMember()
			rm.MemberID, rm.InstanceID, rm.RackID = m.MemberID, nullable(m.InstanceID), nullable(m.RackID)
			rm.MemberEpoch, rm.ClientID, rm.ClientHost, rm.SubscribedTopics = m.MemberEpoch, m.ClientID, m.ClientHost, m.Subscribed
			rm.SubscribedTopicRegex = nullable(m.SubscribedRegex)
			rm.Assignment, rm.TargetAssignment = describeAssignment(im, m.Assignment), describeAssignment(im, m.Target)
			rm.MemberType = 1 // consumer protocol
			rg.Members = append(rg.Members, rm)
		}
		resp.Groups = append(resp.Groups, rg)
	}
	return resp
}

func describeAssignment(im *metadata.Image, tps []group.TopicPartition) kmsg.Assignment {
	a := kmsg.NewAssignment()
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
			at := kmsg.NewAssignmentTopicPartition()
			at.TopicID, at.Topic = t.ID, t.Name
			a.TopicPartitions = append(a.TopicPartitions, at)
		}
		a.TopicPartitions[i].Partitions = append(a.TopicPartitions[i].Partitions, tp.Partition)
	}
	return a
}
