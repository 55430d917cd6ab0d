package handler

// Authorization of the share-group APIs (KIP-932), as Kafka's KafkaApis
// checks them: READ on the group for ShareGroupHeartbeat, ShareFetch and
// ShareAcknowledge (the whole request fails with
// GROUP_AUTHORIZATION_FAILED), DESCRIBE on each subscribed topic for
// ShareGroupHeartbeat (TOPIC_AUTHORIZATION_FAILED for the whole request),
// READ on each fetched or acknowledged topic (TOPIC_AUTHORIZATION_FAILED
// for its partitions), DESCRIBE on each described group, and for
// DescribeShareGroupOffsets DESCRIBE on each group and each named topic.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/acl"
)

func authzShareGroupHeartbeat(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.ShareGroupHeartbeatRequest)
	if !z.can(acl.OpRead, acl.Group(req.GroupID)) {
		return nil, z.denyWhole(req, kerr.GroupAuthorizationFailed)
	}
	for _, name := range req.SubscribedTopicNames {
		if !z.can(acl.OpDescribe, acl.Topic(name)) {
			return nil, z.denyWhole(req, kerr.TopicAuthorizationFailed)
		}
	}
	return nil, nil
}

func authzShareGroupDescribe(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.ShareGroupDescribeRequest)
	denied := splitAllowed(&req.GroupIDs, func(g *string) bool { return z.can(acl.OpDescribe, acl.Group(*g)) })
	return topicErrors(denied, func(r kmsg.Response, g string) {
		resp := r.(*kmsg.ShareGroupDescribeResponse)
		rg := kmsg.NewShareGroupDescribeResponseGroup()
		rg.GroupID, rg.ErrorCode = g, kerr.GroupAuthorizationFailed.Code
		resp.Groups = append(resp.Groups, rg)
	})
}

func authzShareFetch(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.ShareFetchRequest)
	if !z.can(acl.OpRead, acl.Group(deref(req.GroupID))) {
		return nil, z.denyWhole(req, kerr.GroupAuthorizationFailed)
	}
	denied := splitAllowed(&req.Topics, func(t *kmsg.ShareFetchRequestTopic) bool { return z.canTopicOrID(acl.OpRead, "", t.TopicID) })
	return topicErrors(denied, func(r kmsg.Response, t kmsg.ShareFetchRequestTopic) {
		resp := r.(*kmsg.ShareFetchResponse)
		rt := kmsg.NewShareFetchResponseTopic()
		rt.TopicID = t.TopicID
		for _, p := range t.Partitions {
			rp := kmsg.NewShareFetchResponseTopicPartition()
			rp.Partition, rp.ErrorCode, rp.Records = p.Partition, kerr.TopicAuthorizationFailed.Code, []byte{}
			rp.CurrentLeader.LeaderID, rp.CurrentLeader.LeaderEpoch = -1, -1
			if len(p.AcknowledgementBatches) > 0 {
				rp.AcknowledgeErrorCode = kerr.TopicAuthorizationFailed.Code
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	})
}

func authzShareAcknowledge(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.ShareAcknowledgeRequest)
	if !z.can(acl.OpRead, acl.Group(deref(req.GroupID))) {
		return nil, z.denyWhole(req, kerr.GroupAuthorizationFailed)
	}
	denied := splitAllowed(&req.Topics, func(t *kmsg.ShareAcknowledgeRequestTopic) bool {
		return z.canTopicOrID(acl.OpRead, "", t.TopicID)
	})
	return topicErrors(denied, func(r kmsg.Response, t kmsg.ShareAcknowledgeRequestTopic) {
		resp := r.(*kmsg.ShareAcknowledgeResponse)
		rt := kmsg.NewShareAcknowledgeResponseTopic()
		rt.TopicID = t.TopicID
		for _, p := range t.Partitions {
			rp := kmsg.NewShareAcknowledgeResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p.Partition, kerr.TopicAuthorizationFailed.Code
			rp.CurrentLeader.LeaderID, rp.CurrentLeader.LeaderEpoch = -1, -1
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	})
}

func authzDescribeShareGroupOffsets(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.DescribeShareGroupOffsetsRequest)
	deniedGroups := splitAllowed(&req.Groups, func(g *kmsg.DescribeShareGroupOffsetsRequestGroup) bool {
		return z.can(acl.OpDescribe, acl.Group(g.GroupID))
	})
	deniedTopics := make(map[string][]kmsg.DescribeShareGroupOffsetsRequestGroupTopic)
	for i := range req.Groups {
		g := &req.Groups[i]
		if g.Topics == nil {
			continue
		}
		if d := splitAllowed(&g.Topics, func(t *kmsg.DescribeShareGroupOffsetsRequestGroupTopic) bool {
			return z.can(acl.OpDescribe, acl.Topic(t.Topic))
		}); d != nil {
			deniedTopics[g.GroupID] = d
		}
	}
	if deniedGroups == nil && len(deniedTopics) == 0 {
		return nil, nil
	}
	return func(r kmsg.Response) {
		resp := r.(*kmsg.DescribeShareGroupOffsetsResponse)
		for i := range resp.Groups {
			rg := &resp.Groups[i]
			for _, t := range deniedTopics[rg.GroupID] {
				rt := kmsg.NewDescribeShareGroupOffsetsResponseGroupTopic()
				rt.Topic = t.Topic
				for _, p := range t.Partitions {
					rp := kmsg.NewDescribeShareGroupOffsetsResponseGroupTopicPartition()
					rp.Partition, rp.StartOffset, rp.LeaderEpoch = p, -1, -1
					rp.ErrorCode = kerr.TopicAuthorizationFailed.Code
					rt.Partitions = append(rt.Partitions, rp)
				}
				rg.Topics = append(rg.Topics, rt)
			}
		}
		for _, g := range deniedGroups {
			rg := kmsg.NewDescribeShareGroupOffsetsResponseGroup()
			rg.GroupID, rg.ErrorCode = g.GroupID, kerr.GroupAuthorizationFailed.Code
			resp.Groups = append(resp.Groups, rg)
		}
	}, nil
}
