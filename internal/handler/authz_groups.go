package handler

// Authorization hooks of the group APIs whose items (groups, topics) are
// checked one by one.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/acl"
)

// Coordinator types of FindCoordinator.
const (
	coordinatorGroup int8 = 0
	coordinatorTxn   int8 = 1
)

// authzFindCoordinator needs DESCRIBE on the group or transactional id.
func authzFindCoordinator(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.FindCoordinatorRequest)
	allowed := func(key string) (bool, *kerr.Error) {
		if req.CoordinatorType == coordinatorTxn {
			return z.can(acl.OpDescribe, acl.TransactionalID(key)), kerr.TransactionalIDAuthorizationFailed
		}
		return z.can(acl.OpDescribe, acl.Group(key)), kerr.GroupAuthorizationFailed
	}
	if req.Version < 4 {
		if ok, code := allowed(req.CoordinatorKey); !ok {
			return nil, z.denyWhole(req, code)
		}
		return nil, nil
	}
	denied := splitAllowed(&req.CoordinatorKeys, func(k *string) bool { ok, _ := allowed(*k); return ok })
	return topicErrors(denied, func(r kmsg.Response, key string) {
		resp := r.(*kmsg.FindCoordinatorResponse)
		c := kmsg.NewFindCoordinatorResponseCoordinator()
		_, code := allowed(key)
		c.Key, c.NodeID, c.Port, c.ErrorCode = key, -1, -1, code.Code
		resp.Coordinators = append(resp.Coordinators, c)
	})
}

// authzOffsetCommit needs READ on the group and READ on each topic.
func authzOffsetCommit(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.OffsetCommitRequest)
	code := kerr.TopicAuthorizationFailed.Code
	var denied []kmsg.OffsetCommitRequestTopic
	if !z.can(acl.OpRead, acl.Group(req.Group)) {
		denied, req.Topics, code = req.Topics, nil, kerr.GroupAuthorizationFailed.Code
	} else {
		denied = splitAllowed(&req.Topics, func(t *kmsg.OffsetCommitRequestTopic) bool {
			return z.canTopicOrID(acl.OpRead, t.Topic, t.TopicID)
		})
	}
	return topicErrors(denied, func(r kmsg.Response, t kmsg.OffsetCommitRequestTopic) {
		resp := r.(*kmsg.OffsetCommitResponse)
		rt := kmsg.NewOffsetCommitResponseTopic()
		rt.Topic, rt.TopicID = t.Topic, t.TopicID
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetCommitResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p.Partition, code
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	})
}

// authzOffsetFetch needs DESCRIBE on the group; topics the principal may
// not DESCRIBE are left out of an all-topics answer and answer
// TOPIC_AUTHORIZATION_FAILED when named.
func authzOffsetFetch(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.OffsetFetchRequest)
	canTopic := z.canTopic(acl.OpDescribe)
	if req.Version < 8 {
		if !z.can(acl.OpDescribe, acl.Group(req.Group)) {
			return nil, z.denyWhole(req, kerr.GroupAuthorizationFailed)
		}
		denied := splitAllowed(&req.Topics, func(t *kmsg.OffsetFetchRequestTopic) bool { return canTopic(t.Topic) })
		all := req.Topics == nil && denied == nil
		return func(r kmsg.Response) {
			resp := r.(*kmsg.OffsetFetchResponse)
			if all {
				splitAllowed(&resp.Topics, func(t *kmsg.OffsetFetchResponseTopic) bool { return canTopic(t.Topic) })
			}
			for _, t := range denied {
				rt := kmsg.NewOffsetFetchResponseTopic()
				rt.Topic = t.Topic
				for _, p := range t.Partitions {
					rp := kmsg.NewOffsetFetchResponseTopicPartition()
					rp.Partition, rp.Offset, rp.LeaderEpoch = p, -1, -1
					rp.ErrorCode = kerr.TopicAuthorizationFailed.Code
					rt.Partitions = append(rt.Partitions, rp)
				}
				resp.Topics = append(resp.Topics, rt)
			}
		}, nil
	}
	deniedGroups := splitAllowed(&req.Groups, func(g *kmsg.OffsetFetchRequestGroup) bool {
		return z.can(acl.OpDescribe, acl.Group(g.Group))
	})
	deniedTopics := map[string][]kmsg.OffsetFetchRequestGroupTopic{} // by group
	allTopics := map[string]bool{}
	for i := range req.Groups {
		g := &req.Groups[i]
		if g.Topics == nil {
			allTopics[g.Group] = true
			continue
		}
		if d := splitAllowed(&g.Topics, func(t *kmsg.OffsetFetchRequestGroupTopic) bool {
			return canTopic(z.topicName(t.Topic, t.TopicID))
		}); d != nil {
			deniedTopics[g.Group] = d
		}
	}
	return func(r kmsg.Response) {
		resp := r.(*kmsg.OffsetFetchResponse)
		for i := range resp.Groups {
			rg := &resp.Groups[i]
			if allTopics[rg.Group] {
				splitAllowed(&rg.Topics, func(t *kmsg.OffsetFetchResponseGroupTopic) bool {
					return canTopic(z.topicName(t.Topic, t.TopicID))
				})
			}
			if rg.ErrorCode != 0 {
				continue
			}
			for _, t := range deniedTopics[rg.Group] {
				rt := kmsg.NewOffsetFetchResponseGroupTopic()
				rt.Topic, rt.TopicID = t.Topic, t.TopicID
				for _, p := range t.Partitions {
					rp := kmsg.NewOffsetFetchResponseGroupTopicPartition()
					rp.Partition, rp.Offset, rp.LeaderEpoch = p, -1, -1
					rp.ErrorCode = kerr.TopicAuthorizationFailed.Code
					rt.Partitions = append(rt.Partitions, rp)
				}
				rg.Topics = append(rg.Topics, rt)
			}
		}
		for _, g := range deniedGroups {
			rg := kmsg.NewOffsetFetchResponseGroup()
			rg.Group, rg.ErrorCode = g.Group, kerr.GroupAuthorizationFailed.Code
			resp.Groups = append(resp.Groups, rg)
		}
	}, nil
}

func authzDescribeGroups(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.DescribeGroupsRequest)
	denied := splitAllowed(&req.Groups, func(g *string) bool { return z.can(acl.OpDescribe, acl.Group(*g)) })
	return topicErrors(denied, func(r kmsg.Response, g string) {
		resp := r.(*kmsg.DescribeGroupsResponse)
		rg := kmsg.NewDescribeGroupsResponseGroup()
		rg.Group, rg.ErrorCode = g, kerr.GroupAuthorizationFailed.Code
		resp.Groups = append(resp.Groups, rg)
	})
}

func authzConsumerGroupDescribe(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.ConsumerGroupDescribeRequest)
	denied := splitAllowed(&req.Groups, func(g *string) bool { return z.can(acl.OpDescribe, acl.Group(*g)) })
	return topicErrors(denied, func(r kmsg.Response, g string) {
		resp := r.(*kmsg.ConsumerGroupDescribeResponse)
		rg := kmsg.NewConsumerGroupDescribeResponseGroup()
		rg.Group, rg.ErrorCode = g, kerr.GroupAuthorizationFailed.Code
		resp.Groups = append(resp.Groups, rg)
	})
}

func authzDeleteGroups(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.DeleteGroupsRequest)
	denied := splitAllowed(&req.Groups, func(g *string) bool { return z.can(acl.OpDelete, acl.Group(*g)) })
	return topicErrors(denied, func(r kmsg.Response, g string) {
		resp := r.(*kmsg.DeleteGroupsResponse)
		rg := kmsg.NewDeleteGroupsResponseGroup()
		rg.Group, rg.ErrorCode = g, kerr.GroupAuthorizationFailed.Code
		resp.Groups = append(resp.Groups, rg)
	})
}

// authzListGroups lists every group with DESCRIBE on the cluster, else
// only the groups the principal may DESCRIBE.
func authzListGroups(z *authz, _ kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	if z.can(acl.OpDescribe, acl.Cluster()) {
		return nil, nil
	}
	return func(r kmsg.Response) {
		resp := r.(*kmsg.ListGroupsResponse)
		splitAllowed(&resp.Groups, func(g *kmsg.ListGroupsResponseGroup) bool { return z.can(acl.OpDescribe, acl.Group(g.Group)) })
	}, nil
}

// authzOffsetDelete needs DELETE on the group and READ on each topic.
func authzOffsetDelete(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.OffsetDeleteRequest)
	if !z.can(acl.OpDelete, acl.Group(req.Group)) {
		return nil, z.denyWhole(req, kerr.GroupAuthorizationFailed)
	}
	denied := splitAllowed(&req.Topics, func(t *kmsg.OffsetDeleteRequestTopic) bool { return z.can(acl.OpRead, acl.Topic(t.Topic)) })
	return topicErrors(denied, func(r kmsg.Response, t kmsg.OffsetDeleteRequestTopic) {
		resp := r.(*kmsg.OffsetDeleteResponse)
		rt := kmsg.NewOffsetDeleteResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetDeleteResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p.Partition, kerr.TopicAuthorizationFailed.Code
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	})
}

// authzConsumerGroupHeartbeat needs READ on the group and DESCRIBE on
// every subscribed topic name (KIP-848): a subscription naming a topic
// the principal may not see fails whole with TOPIC_AUTHORIZATION_FAILED.
func authzConsumerGroupHeartbeat(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.ConsumerGroupHeartbeatRequest)
	if !z.can(acl.OpRead, acl.Group(req.Group)) {
		return nil, z.denyWhole(req, kerr.GroupAuthorizationFailed)
	}
	for _, name := range req.SubscribedTopicNames {
		if !z.can(acl.OpDescribe, acl.Topic(name)) {
			return nil, z.denyWhole(req, kerr.TopicAuthorizationFailed)
		}
	}
	return nil, nil
}
