package handler

// Authorization hooks of Metadata and the topic and config admin APIs.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/acl"
)

// authzMetadata hides topics the principal may not DESCRIBE: from the
// all-topics answer silently, and as TOPIC_AUTHORIZATION_FAILED when
// named. A named topic that does not exist and would be auto-created also
// needs CREATE on the cluster or the topic.
func authzMetadata(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.MetadataRequest)
	if req.Topics == nil || (req.Version == 0 && len(req.Topics) == 0) {
		return func(r kmsg.Response) {
			resp := r.(*kmsg.MetadataResponse)
			splitAllowed(&resp.Topics, func(t *kmsg.MetadataResponseTopic) bool {
				return t.Topic == nil || z.can(acl.OpDescribe, acl.Topic(*t.Topic))
			})
		}, nil
	}
	autoCreate := (req.Version < 4 || req.AllowAutoTopicCreation) && z.h.Config.AutoCreateTopicsEnable
	denied := splitAllowed(&req.Topics, func(t *kmsg.MetadataRequestTopic) bool {
		name := z.topicName(deref(t.Topic), t.TopicID)
		if name == "" {
			return true // an unknown topic id: the handler answers UNKNOWN_TOPIC_ID
		}
		if !z.can(acl.OpDescribe, acl.Topic(name)) {
			return false
		}
		_, exists := z.im.Topic(name)
		return exists || !autoCreate || z.can(acl.OpCreate, acl.Cluster()) || z.can(acl.OpCreate, acl.Topic(name))
	})
	if denied == nil {
		return nil, nil
	}
	if len(req.Topics) == 0 {
		req.Topics = []kmsg.MetadataRequestTopic{} // not nil: that would mean every topic
	}
	return func(r kmsg.Response) {
		resp := r.(*kmsg.MetadataResponse)
		for _, t := range denied {
			mt := kmsg.NewMetadataResponseTopic()
			mt.Topic, mt.TopicID, mt.ErrorCode = t.Topic, t.TopicID, kerr.TopicAuthorizationFailed.Code
			mt.AuthorizedOperations = authorizedOpsNotRequested
			resp.Topics = append(resp.Topics, mt)
		}
	}, nil
}

// authzCreateTopics needs CREATE on the cluster or on each topic. As Kafka,
// the v5+ answer for a created topic the principal may not DESCRIBE_CONFIGS
// carries no configs, partition count or replication factor, only
// TOPIC_AUTHORIZATION_FAILED as its TopicConfigErrorCode.
func authzCreateTopics(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.CreateTopicsRequest)
	var denied []kmsg.CreateTopicsRequestTopic
	if !z.can(acl.OpCreate, acl.Cluster()) {
		denied = splitAllowed(&req.Topics, func(t *kmsg.CreateTopicsRequestTopic) bool { return z.canTopic(acl.OpCreate)(t.Topic) })
	}
	addDenied, _ := topicErrors(denied, func(r kmsg.Response, t kmsg.CreateTopicsRequestTopic) {
		resp := r.(*kmsg.CreateTopicsResponse)
		rt := kmsg.NewCreateTopicsResponseTopic()
		rt.Topic, rt.ErrorCode = t.Topic, kerr.TopicAuthorizationFailed.Code
		rt.NumPartitions, rt.ReplicationFactor = -1, -1
		resp.Topics = append(resp.Topics, rt)
	})
	return func(r kmsg.Response) {
		resp := r.(*kmsg.CreateTopicsResponse)
		for i := range resp.Topics {
			rt := &resp.Topics[i]
			if req.Version >= 5 && rt.ErrorCode == 0 && !z.can(acl.OpDescribeConfigs, acl.Topic(rt.Topic)) {
				rt.Configs, rt.NumPartitions, rt.ReplicationFactor = nil, -1, -1
				rt.ConfigErrorCode = kerr.TopicAuthorizationFailed.Code
			}
		}
		if addDenied != nil {
			addDenied(r)
		}
	}, nil
}

// authzDeleteTopics needs DELETE on the cluster or on each topic. As Kafka,
// a topic named by id that the principal may not delete is answered by
// id, with its name only when the principal may DESCRIBE it, and a topic
// named by name that does not exist is UNKNOWN_TOPIC_OR_PARTITION (served
// as usual) when the principal may DESCRIBE it.
func authzDeleteTopics(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.DeleteTopicsRequest)
	if z.can(acl.OpDelete, acl.Cluster()) {
		return nil, nil
	}
	byName := func(name string) bool {
		if z.can(acl.OpDelete, acl.Topic(name)) {
			return true
		}
		_, exists := z.im.Topic(name)
		return !exists && z.can(acl.OpDescribe, acl.Topic(name))
	}
	deniedNames := splitAllowed(&req.TopicNames, func(n *string) bool { return byName(*n) })
	denied := splitAllowed(&req.Topics, func(t *kmsg.DeleteTopicsRequestTopic) bool {
		if deref(t.Topic) != "" {
			return byName(*t.Topic)
		}
		name := z.topicName("", t.TopicID)
		return name == "" || z.can(acl.OpDelete, acl.Topic(name))
	})
	for _, n := range deniedNames {
		t := kmsg.NewDeleteTopicsRequestTopic()
		t.Topic = &n
		denied = append(denied, t)
	}
	return topicErrors(denied, func(r kmsg.Response, t kmsg.DeleteTopicsRequestTopic) {
		resp := r.(*kmsg.DeleteTopicsResponse)
		rt := kmsg.NewDeleteTopicsResponseTopic()
		rt.Topic, rt.TopicID, rt.ErrorCode = t.Topic, t.TopicID, kerr.TopicAuthorizationFailed.Code
		if deref(t.Topic) == "" {
			if name := z.topicName("", t.TopicID); name != "" && z.can(acl.OpDescribe, acl.Topic(name)) {
				rt.Topic = &name
			}
		}
		resp.Topics = append(resp.Topics, rt)
	})
}

func authzDeleteRecords(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.DeleteRecordsRequest)
	denied := splitAllowed(&req.Topics, func(t *kmsg.DeleteRecordsRequestTopic) bool { return z.canTopic(acl.OpDelete)(t.Topic) })
	return topicErrors(denied, func(r kmsg.Response, t kmsg.DeleteRecordsRequestTopic) {
		resp := r.(*kmsg.DeleteRecordsResponse)
		rt := kmsg.NewDeleteRecordsResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewDeleteRecordsResponseTopicPartition()
			rp.Partition, rp.LowWatermark, rp.ErrorCode = p.Partition, -1, kerr.TopicAuthorizationFailed.Code
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	})
}

func authzCreatePartitions(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.CreatePartitionsRequest)
	denied := splitAllowed(&req.Topics, func(t *kmsg.CreatePartitionsRequestTopic) bool { return z.canTopic(acl.OpAlter)(t.Topic) })
	return topicErrors(denied, func(r kmsg.Response, t kmsg.CreatePartitionsRequestTopic) {
		resp := r.(*kmsg.CreatePartitionsResponse)
		rt := kmsg.NewCreatePartitionsResponseTopic()
		rt.Topic, rt.ErrorCode = t.Topic, kerr.TopicAuthorizationFailed.Code
		resp.Topics = append(resp.Topics, rt)
	})
}

// configResource checks op on a config resource: a topic, or the cluster
// for broker and broker-logger resources. It returns the error code of a
// denial, 0 when allowed.
func (z *authz) configResource(op acl.Operation, typ kmsg.ConfigResourceType, name string) int16 {
	if typ == kmsg.ConfigResourceTypeTopic {
		if z.can(op, acl.Topic(name)) {
			return 0
		}
		return kerr.TopicAuthorizationFailed.Code
	}
	if z.can(op, acl.Cluster()) {
		return 0
	}
	return kerr.ClusterAuthorizationFailed.Code
}

func authzDescribeConfigs(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.DescribeConfigsRequest)
	denied := splitAllowed(&req.Resources, func(r *kmsg.DescribeConfigsRequestResource) bool {
		return z.configResource(acl.OpDescribeConfigs, r.ResourceType, r.ResourceName) == 0
	})
	return topicErrors(denied, func(r kmsg.Response, d kmsg.DescribeConfigsRequestResource) {
		resp := r.(*kmsg.DescribeConfigsResponse)
		rr := kmsg.NewDescribeConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = d.ResourceType, d.ResourceName
		rr.ErrorCode = z.configResource(acl.OpDescribeConfigs, d.ResourceType, d.ResourceName)
		resp.Resources = append(resp.Resources, rr)
	})
}

func authzAlterConfigs(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.AlterConfigsRequest)
	denied := splitAllowed(&req.Resources, func(r *kmsg.AlterConfigsRequestResource) bool {
		return z.configResource(acl.OpAlterConfigs, r.ResourceType, r.ResourceName) == 0
	})
	return topicErrors(denied, func(r kmsg.Response, d kmsg.AlterConfigsRequestResource) {
		resp := r.(*kmsg.AlterConfigsResponse)
		rr := kmsg.NewAlterConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = d.ResourceType, d.ResourceName
		rr.ErrorCode = z.configResource(acl.OpAlterConfigs, d.ResourceType, d.ResourceName)
		resp.Resources = append(resp.Resources, rr)
	})
}

func authzIncrementalAlterConfigs(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.IncrementalAlterConfigsRequest)
	denied := splitAllowed(&req.Resources, func(r *kmsg.IncrementalAlterConfigsRequestResource) bool {
		return z.configResource(acl.OpAlterConfigs, r.ResourceType, r.ResourceName) == 0
	})
	return topicErrors(denied, func(r kmsg.Response, d kmsg.IncrementalAlterConfigsRequestResource) {
		resp := r.(*kmsg.IncrementalAlterConfigsResponse)
		rr := kmsg.NewIncrementalAlterConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = d.ResourceType, d.ResourceName
		rr.ErrorCode = z.configResource(acl.OpAlterConfigs, d.ResourceType, d.ResourceName)
		resp.Resources = append(resp.Resources, rr)
	})
}

// topicErrors returns a fix that adds one error entry per denied item.
func topicErrors[T any](denied []T, add func(kmsg.Response, T)) (func(kmsg.Response), kmsg.Response) {
	if denied == nil {
		return nil, nil
	}
	return func(r kmsg.Response) {
		for _, d := range denied {
			add(r, d)
		}
	}, nil
}
