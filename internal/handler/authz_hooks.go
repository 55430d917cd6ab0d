package handler

// The per-API authorization rules, Kafka's (KafkaApis and KIP-679):
// each hook names the operation and resource its API needs and the error
// an item or the whole request gets without it.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/acl"
	"github.com/samsa-io/samsa/protocol/records"
)

var authzHooks = map[kmsg.Key]authzHook{
	kmsg.Produce:                 authzProduce,
	kmsg.Fetch:                   authzFetch,
	kmsg.ListOffsets:             authzListOffsets,
	kmsg.Metadata:                withOpsFix(authzMetadata, metadataOps),
	kmsg.DescribeTopicPartitions: withOpsFix(authzDescribeTopicPartitions, describeTopicPartitionsOps),
	kmsg.OffsetForLeaderEpoch:    authzOffsetForLeaderEpoch,
	kmsg.CreateTopics:            authzCreateTopics,
	kmsg.DeleteTopics:            authzDeleteTopics,
	kmsg.DeleteRecords:           authzDeleteRecords,
	kmsg.CreatePartitions:        authzCreatePartitions,
	kmsg.InitProducerID:          authzInitProducerID,
	kmsg.DescribeConfigs:         authzDescribeConfigs,
	kmsg.AlterConfigs:            authzAlterConfigs,
	kmsg.IncrementalAlterConfigs: authzIncrementalAlterConfigs,
	kmsg.FindCoordinator:         authzFindCoordinator,
	kmsg.JoinGroup:               wholeGroup(kmsg.JoinGroup, func(r *kmsg.JoinGroupRequest) string { return r.Group }),
	kmsg.SyncGroup:               wholeGroup(kmsg.SyncGroup, func(r *kmsg.SyncGroupRequest) string { return r.Group }),
	kmsg.Heartbeat:               wholeGroup(kmsg.Heartbeat, func(r *kmsg.HeartbeatRequest) string { return r.Group }),
	kmsg.LeaveGroup:              wholeGroup(kmsg.LeaveGroup, func(r *kmsg.LeaveGroupRequest) string { return r.Group }),
	kmsg.OffsetDelete:            authzOffsetDelete,
	kmsg.ConsumerGroupHeartbeat:  authzConsumerGroupHeartbeat,
	kmsg.OffsetCommit:            authzOffsetCommit,
	kmsg.OffsetFetch:             authzOffsetFetch,
	kmsg.DescribeGroups:          withOpsFix(authzDescribeGroups, describeGroupsOps),
	kmsg.ConsumerGroupDescribe:   authzConsumerGroupDescribe,
	kmsg.DeleteGroups:            authzDeleteGroups,
	kmsg.ListGroups:              authzListGroups,
	kmsg.DescribeCluster:         withOpsFix(wholeCluster(acl.OpDescribe), describeClusterOps),
	kmsg.AddPartitionsToTxn:      authzAddPartitionsToTxn, // 24_add_partitions_to_txn.go
	kmsg.AddOffsetsToTxn:         authzAddOffsetsToTxn,
	kmsg.EndTxn:                  authzTxn(kmsg.EndTxn, func(r *kmsg.EndTxnRequest) string { return r.TransactionalID }),
	kmsg.TxnOffsetCommit:         authzTxnOffsetCommit,
	kmsg.DescribeTransactions:    authzDescribeTransactions,
	kmsg.ListTransactions:        authzListTransactions,
	kmsg.DescribeProducers:       authzDescribeProducers,
	kmsg.ShareGroupHeartbeat:     authzShareGroupHeartbeat, // authz_share_groups.go
	kmsg.ShareGroupDescribe:      authzShareGroupDescribe,
	kmsg.ShareFetch:              authzShareFetch,
	kmsg.ShareAcknowledge:        authzShareAcknowledge,

	kmsg.DescribeShareGroupOffsets: authzDescribeShareGroupOffsets,
}

func authzProduce(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.ProduceRequest)
	code := kerr.TopicAuthorizationFailed.Code
	var denied []kmsg.ProduceRequestTopic
	// As Kafka, transactional batches need WRITE on the request's
	// transactional id, so one cannot be written by leaving the id out.
	transactional := req.TransactionID != nil || hasTransactionalBatch(req)
	if transactional && (req.TransactionID == nil || !z.can(acl.OpWrite, acl.TransactionalID(*req.TransactionID))) {
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

// hasTransactionalBatch reports whether any record batch of req is
// transactional. Every batch is looked at, not only each partition's first
// as Kafka does, because the append takes every batch of the payload.
func hasTransactionalBatch(req *kmsg.ProduceRequest) bool {
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			for b := p.Records; len(b) >= records.HeaderSize; {
				h, err := records.ParseHeader(b)
				if err != nil || h.BatchLength < 0 {
					break // malformed: the append refuses it
				}
				if h.Magic == 2 && h.IsTransactional() {
					return true
				}
				b = b[min(h.Size(), len(b)):]
			}
		}
	}
	return false
}

func authzFetch(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.FetchRequest)
	var denied []kmsg.FetchRequestTopic
	if req.ReplicaID >= 0 || req.ReplicaState.ID >= 0 {
		// A follower needs CLUSTER_ACTION; without it every partition
		// answers TOPIC_AUTHORIZATION_FAILED, as Kafka.
		if z.can(acl.OpClusterAction, acl.Cluster()) {
			return nil, nil
		}
		denied, req.Topics = req.Topics, []kmsg.FetchRequestTopic{}
	} else {
		denied = splitAllowed(&req.Topics, func(t *kmsg.FetchRequestTopic) bool {
			return z.canTopicOrID(acl.OpRead, t.Topic, t.TopicID)
		})
	}
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
// CLUSTER_ACTION (else every partition answers CLUSTER_AUTHORIZATION_FAILED),
// a consumer DESCRIBE on each topic.
func authzOffsetForLeaderEpoch(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.OffsetForLeaderEpochRequest)
	code := kerr.TopicAuthorizationFailed.Code
	var denied []kmsg.OffsetForLeaderEpochRequestTopic
	if req.ReplicaID >= 0 {
		if z.can(acl.OpClusterAction, acl.Cluster()) {
			return nil, nil
		}
		denied, req.Topics, code = req.Topics, nil, kerr.ClusterAuthorizationFailed.Code
	} else {
		denied = splitAllowed(&req.Topics, func(t *kmsg.OffsetForLeaderEpochRequestTopic) bool {
			return z.can(acl.OpDescribe, acl.Topic(t.Topic))
		})
	}
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
				rp.Partition, rp.ErrorCode = p.Partition, code
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

// authzTxn is the hook of EndTxn: its row's operation on the
// transactional id.
func authzTxn[T kmsg.Request](key kmsg.Key, id func(T) string) authzHook {
	op := tableOp(key, resTxnID)
	return func(z *authz, req kmsg.Request) (func(kmsg.Response), kmsg.Response) {
		if z.can(op, acl.TransactionalID(id(req.(T)))) {
			return nil, nil
		}
		return nil, denyWhole(req, kerr.TransactionalIDAuthorizationFailed)
	}
}

// authzAddOffsetsToTxn needs WRITE on the transactional id and READ on
// the group: the transaction's offsets will become the group's.
func authzAddOffsetsToTxn(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.AddOffsetsToTxnRequest)
	if !z.can(acl.OpWrite, acl.TransactionalID(req.TransactionalID)) {
		return nil, denyWhole(req, kerr.TransactionalIDAuthorizationFailed)
	}
	if !z.can(acl.OpRead, acl.Group(req.Group)) {
		return nil, denyWhole(req, kerr.GroupAuthorizationFailed)
	}
	return nil, nil
}

// authzTxnOffsetCommit needs WRITE on the transactional id and READ on the
// group (else every partition answers the error) and READ on each topic
// (else that topic's partitions answer TOPIC_AUTHORIZATION_FAILED and the
// others are committed), as OffsetCommit.
func authzTxnOffsetCommit(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.TxnOffsetCommitRequest)
	if !z.can(acl.OpWrite, acl.TransactionalID(req.TransactionalID)) {
		return nil, denyWhole(req, kerr.TransactionalIDAuthorizationFailed)
	}
	if !z.can(acl.OpRead, acl.Group(req.Group)) {
		return nil, denyWhole(req, kerr.GroupAuthorizationFailed)
	}
	denied := splitAllowed(&req.Topics, func(t *kmsg.TxnOffsetCommitRequestTopic) bool { return z.can(acl.OpRead, acl.Topic(t.Topic)) })
	return topicErrors(denied, func(r kmsg.Response, t kmsg.TxnOffsetCommitRequestTopic) {
		resp := r.(*kmsg.TxnOffsetCommitResponse)
		resp.Topics = append(resp.Topics, txnOffsetCommitErrors(t, kerr.TopicAuthorizationFailed.Code))
	})
}

// txnOffsetCommitErrors answers each of t's partitions with code.
func txnOffsetCommitErrors(t kmsg.TxnOffsetCommitRequestTopic, code int16) kmsg.TxnOffsetCommitResponseTopic {
	rt := kmsg.NewTxnOffsetCommitResponseTopic()
	rt.Topic = t.Topic
	for _, p := range t.Partitions {
		rp := kmsg.NewTxnOffsetCommitResponseTopicPartition()
		rp.Partition, rp.ErrorCode = p.Partition, code
		rt.Partitions = append(rt.Partitions, rp)
	}
	return rt
}

// authzDescribeProducers needs READ on each topic (KIP-664).
func authzDescribeProducers(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.DescribeProducersRequest)
	denied := splitAllowed(&req.Topics, func(t *kmsg.DescribeProducersRequestTopic) bool { return z.can(acl.OpRead, acl.Topic(t.Topic)) })
	return topicErrors(denied, func(r kmsg.Response, t kmsg.DescribeProducersRequestTopic) {
		resp := r.(*kmsg.DescribeProducersResponse)
		rt := kmsg.NewDescribeProducersResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewDescribeProducersResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p, kerr.TopicAuthorizationFailed.Code
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	})
}

// authzDescribeTransactions needs DESCRIBE on each transactional id
// (KIP-664); the partitions of topics the principal may not DESCRIBE are
// left out of the answer.
func authzDescribeTransactions(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.DescribeTransactionsRequest)
	denied := splitAllowed(&req.TransactionalIDs, func(id *string) bool { return z.can(acl.OpDescribe, acl.TransactionalID(*id)) })
	return func(r kmsg.Response) {
		resp := r.(*kmsg.DescribeTransactionsResponse)
		for i := range resp.TransactionStates {
			splitAllowed(&resp.TransactionStates[i].Topics, func(t *kmsg.DescribeTransactionsResponseTransactionStateTopic) bool {
				return z.can(acl.OpDescribe, acl.Topic(t.Topic))
			})
		}
		for _, id := range denied {
			st := kmsg.NewDescribeTransactionsResponseTransactionState()
			st.TransactionalID, st.ErrorCode = id, kerr.TransactionalIDAuthorizationFailed.Code
			st.ProducerID, st.ProducerEpoch = -1, -1
			resp.TransactionStates = append(resp.TransactionStates, st)
		}
	}, nil
}

// authzListTransactions lists only the transactional ids the principal
// may DESCRIBE (KIP-664).
func authzListTransactions(z *authz, _ kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	return func(r kmsg.Response) {
		resp := r.(*kmsg.ListTransactionsResponse)
		splitAllowed(&resp.TransactionStates, func(s *kmsg.ListTransactionsResponseTransactionState) bool {
			return z.can(acl.OpDescribe, acl.TransactionalID(s.TransactionalID))
		})
	}, nil
}
