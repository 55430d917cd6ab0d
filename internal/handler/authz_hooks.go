package handler

// The per-API authorization rules, Kafka's (KafkaApis and KIP-679):
// each hook names the operation and resource its API needs and the error
// an item or the whole request gets without it.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/acl"
)

var authzHooks = map[kmsg.Key]authzHook{
	kmsg.Produce:                      authzProduce,
	kmsg.Fetch:                        authzFetch,
	kmsg.ListOffsets:                  authzListOffsets,
	kmsg.Metadata:                     withOpsFix(authzMetadata, metadataOps),
	kmsg.OffsetForLeaderEpoch:         authzOffsetForLeaderEpoch,
	kmsg.CreateTopics:                 authzCreateTopics,
	kmsg.DeleteTopics:                 authzDeleteTopics,
	kmsg.DeleteRecords:                authzDeleteRecords,
	kmsg.CreatePartitions:             authzCreatePartitions,
	kmsg.InitProducerID:               authzInitProducerID,
	kmsg.DescribeConfigs:              authzDescribeConfigs,
	kmsg.AlterConfigs:                 authzAlterConfigs,
	kmsg.IncrementalAlterConfigs:      authzIncrementalAlterConfigs,
	kmsg.FindCoordinator:              authzFindCoordinator,
	kmsg.JoinGroup:                    wholeGroup(acl.OpRead, func(r *kmsg.JoinGroupRequest) string { return r.Group }),
	kmsg.SyncGroup:                    wholeGroup(acl.OpRead, func(r *kmsg.SyncGroupRequest) string { return r.Group }),
	kmsg.Heartbeat:                    wholeGroup(acl.OpRead, func(r *kmsg.HeartbeatRequest) string { return r.Group }),
	kmsg.LeaveGroup:                   wholeGroup(acl.OpRead, func(r *kmsg.LeaveGroupRequest) string { return r.Group }),
	kmsg.OffsetDelete:                 wholeGroup(acl.OpDelete, func(r *kmsg.OffsetDeleteRequest) string { return r.Group }),
	kmsg.ConsumerGroupHeartbeat:       wholeGroup(acl.OpRead, func(r *kmsg.ConsumerGroupHeartbeatRequest) string { return r.Group }),
	kmsg.OffsetCommit:                 authzOffsetCommit,
	kmsg.OffsetFetch:                  authzOffsetFetch,
	kmsg.DescribeGroups:               withOpsFix(authzDescribeGroups, describeGroupsOps),
	kmsg.ConsumerGroupDescribe:        authzConsumerGroupDescribe,
	kmsg.DeleteGroups:                 authzDeleteGroups,
	kmsg.ListGroups:                   authzListGroups,
	kmsg.DescribeCluster:              withOpsFix(wholeCluster(acl.OpDescribe), describeClusterOps),
	kmsg.DescribeLogDirs:              wholeCluster(acl.OpDescribe),
	kmsg.DescribeQuorum:               wholeCluster(acl.OpDescribe),
	kmsg.ListPartitionReassignments:   wholeCluster(acl.OpDescribe),
	kmsg.AlterPartitionAssignments:    wholeCluster(acl.OpAlter),
	kmsg.ElectLeaders:                 wholeCluster(acl.OpAlter),
	kmsg.AlterPartition:               wholeCluster(acl.OpClusterAction),
	kmsg.BrokerRegistration:           wholeCluster(acl.OpClusterAction),
	kmsg.BrokerHeartbeat:              wholeCluster(acl.OpClusterAction),
	kmsg.CreateACLs:                   wholeCluster(acl.OpAlter),
	kmsg.DeleteACLs:                   wholeCluster(acl.OpAlter),
	kmsg.DescribeACLs:                 wholeCluster(acl.OpDescribe),
	kmsg.DescribeClientQuotas:         wholeCluster(acl.OpDescribeConfigs),
	kmsg.AlterClientQuotas:            wholeCluster(acl.OpAlterConfigs),
	kmsg.DescribeUserSCRAMCredentials: wholeCluster(acl.OpDescribe),
	kmsg.AlterUserSCRAMCredentials:    wholeCluster(acl.OpAlter),
	kmsg.AddPartitionsToTxn:           authzAddPartitionsToTxn, // 24_add_partitions_to_txn.go
	kmsg.AddOffsetsToTxn:              authzTxn(func(r *kmsg.AddOffsetsToTxnRequest) string { return r.TransactionalID }),
	kmsg.EndTxn:                       authzTxn(func(r *kmsg.EndTxnRequest) string { return r.TransactionalID }),
	kmsg.TxnOffsetCommit:              authzTxn(func(r *kmsg.TxnOffsetCommitRequest) string { return r.TransactionalID }),
	kmsg.WriteTxnMarkers:              wholeCluster(acl.OpClusterAction),
	kmsg.DescribeTransactions:         wholeCluster(acl.OpDescribe),
	kmsg.ListTransactions:             wholeCluster(acl.OpDescribe),
	kmsg.DescribeProducers:            wholeCluster(acl.OpDescribe),
}

func authzProduce(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.ProduceRequest)
	code := kerr.TopicAuthorizationFailed.Code
	var denied []kmsg.ProduceRequestTopic
	if req.TransactionID != nil && !z.can(acl.OpWrite, acl.TransactionalID(*req.TransactionID)) {
		denied, req.Topics, code = req.Topics, nil, kerr.TransactionalIDAuthorizationFailed.Code
	} else {
		denied = splitAllowed(&req.Topics, func(t *kmsg.ProduceRequestTopic) bool {
			return z.canTopicOrID(acl.OpWrite, t.Topic, t.TopicID)
		})
	}
	if denied == nil {
		return nil, nil
	}
	return func(r kmsg.Response) {
		resp := r.(*kmsg.ProduceResponse)
		for _, t := range denied {
			rt := kmsg.NewProduceResponseTopic()
			rt.Topic, rt.TopicID = t.Topic, t.TopicID
			for _, p := range t.Partitions {
				rp := kmsg.NewProduceResponseTopicPartition()
				rp.Partition, rp.ErrorCode = p.Partition, code
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
	}, nil
}

func authzFetch(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.FetchRequest)
	if req.ReplicaID >= 0 || req.ReplicaState.ID >= 0 {
		return wholeCluster(acl.OpClusterAction)(z, kreq)
	}
	denied := splitAllowed(&req.Topics, func(t *kmsg.FetchRequestTopic) bool {
		return z.canTopicOrID(acl.OpRead, t.Topic, t.TopicID)
	})
	if denied == nil {
		return nil, nil
	}
	return func(r kmsg.Response) {
		resp := r.(*kmsg.FetchResponse)
		for _, t := range denied {
			rt := kmsg.NewFetchResponseTopic()
			rt.Topic, rt.TopicID = t.Topic, t.TopicID
			for _, p := range t.Partitions {
				rp := kmsg.NewFetchResponseTopicPartition()
				rp.Partition, rp.ErrorCode = p.Partition, kerr.TopicAuthorizationFailed.Code
				rp.HighWatermark, rp.LastStableOffset, rp.LogStartOffset = -1, -1, -1
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
	}, nil
}

func authzListOffsets(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.ListOffsetsRequest)
	denied := splitAllowed(&req.Topics, func(t *kmsg.ListOffsetsRequestTopic) bool { return z.canTopic(acl.OpDescribe)(t.Topic) })
	if denied == nil {
		return nil, nil
	}
	return func(r kmsg.Response) {
		resp := r.(*kmsg.ListOffsetsResponse)
		for _, t := range denied {
			rt := kmsg.NewListOffsetsResponseTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewListOffsetsResponseTopicPartition()
				rp.Partition, rp.ErrorCode = p.Partition, kerr.TopicAuthorizationFailed.Code
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
	}, nil
}

// authzOffsetForLeaderEpoch: a follower (ReplicaID >= 0) needs
// CLUSTER_ACTION, a consumer DESCRIBE on each topic.
func authzOffsetForLeaderEpoch(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.OffsetForLeaderEpochRequest)
	replicaOK := req.ReplicaID >= 0 && z.can(acl.OpClusterAction, acl.Cluster())
	if replicaOK {
		return nil, nil
	}
	denied := splitAllowed(&req.Topics, func(t *kmsg.OffsetForLeaderEpochRequestTopic) bool {
		return req.ReplicaID < 0 && z.can(acl.OpDescribe, acl.Topic(t.Topic))
	})
	if denied == nil {
		return nil, nil
	}
	return func(r kmsg.Response) {
		resp := r.(*kmsg.OffsetForLeaderEpochResponse)
		for _, t := range denied {
			rt := kmsg.NewOffsetForLeaderEpochResponseTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewOffsetForLeaderEpochResponseTopicPartition()
				rp.Partition, rp.ErrorCode = p.Partition, kerr.TopicAuthorizationFailed.Code
				rp.LeaderEpoch, rp.EndOffset = -1, -1
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
	}, nil
}

// authzInitProducerID: a transactional producer needs WRITE on its
// transactional id; an idempotent one IDEMPOTENT_WRITE on the cluster or,
// since Kafka 3.0 (KIP-679), WRITE on any topic.
func authzInitProducerID(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.InitProducerIDRequest)
	if req.TransactionalID != nil {
		if z.can(acl.OpWrite, acl.TransactionalID(*req.TransactionalID)) {
			return nil, nil
		}
		return nil, denyWhole(req, kerr.TransactionalIDAuthorizationFailed)
	}
	if z.can(acl.OpIdempotentWrite, acl.Cluster()) ||
		z.h.authorizer.AuthorizeAny(z.im.ACLs, z.principal, z.host, acl.OpWrite, acl.ResourceTopic) {
		return nil, nil
	}
	return nil, denyWhole(req, kerr.ClusterAuthorizationFailed)
}

// authzTxn is the hook of the transaction APIs: WRITE on the
// transactional id. Their topics and groups are checked by the serving
// coordinator's own rules where Kafka checks them.
func authzTxn[T kmsg.Request](id func(T) string) authzHook {
	return func(z *authz, req kmsg.Request) (func(kmsg.Response), kmsg.Response) {
		if z.can(acl.OpWrite, acl.TransactionalID(id(req.(T)))) {
			return nil, nil
		}
		return nil, denyWhole(req, kerr.TransactionalIDAuthorizationFailed)
	}
}
