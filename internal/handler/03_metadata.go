package handler

// Metadata, versions 0–12.
//
// Lists the live brokers (as advertised on the listener the request
// arrived on; brokers without that listener are left out, and a partition
// led by one has no leader and LISTENER_NOT_FOUND, LEADER_NOT_AVAILABLE
// before v6, as in Kafka) and the requested topics, or all
// topics when the request's topic list is null (v1+) or empty (v0). Topics
// may be named or, from v10, given by topic ID. Unknown topics are created
// when the request allows it (always before v4) and
// auto.create.topics.enable is true; like Kafka, a topic created this way is
// reported with LEADER_NOT_AVAILABLE until its partitions are open here, and
// the client retries. __consumer_offsets and __transaction_state are
// created as their coordinators create them (offsets.topic.num.partitions,
// ...), or refused with INVALID_REPLICATION_FACTOR while fewer brokers are
// alive than their replication factor. Authorized-operations fields carry
// Kafka's "not requested" value unless asked for (v8+); then every
// operation, narrowed to the principal's when ACLs are on (authz_ops.go).

import (
	"context"
	"errors"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/controller"
	"github.com/samsa-io/samsa/internal/group"
	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/txn"
)

var metadataAPI = api{key: kmsg.Metadata, min: 0, max: 12, serve: (*Handler).metadata,
	authz: withOpsFix(authzMetadata, metadataOps)}

const authorizedOpsNotRequested = -2147483648

// internalTopics are the topics Kafka itself owns and flags as internal; a
// user topic that merely starts with "__" is not one of them.
var internalTopics = map[string]bool{
	"__consumer_offsets": true, "__transaction_state": true, "__share_group_state": true,
}

func (h *Handler) metadata(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.MetadataRequest)
	resp := req.ResponseKind().(*kmsg.MetadataResponse)
	im := h.Image()
	resp.ClusterID = &im.ClusterID
	resp.ControllerID = im.ControllerID
	resp.AuthorizedOperations = authorizedOpsNotRequested
	listener := clientOf(ctx).listener
	for _, b := range im.LiveBrokers() {
		ep, ok := b.EndpointFor(listener)
		if !ok {
			continue // Kafka lists only brokers reachable on this listener
		}
		mb := kmsg.NewMetadataResponseBroker()
		mb.NodeID, mb.Host, mb.Port = b.ID, ep.Host, ep.Port
		if b.Rack != "" {
			rack := b.Rack
			mb.Rack = &rack
		}
		resp.Brokers = append(resp.Brokers, mb)
	}
	h.metadataTopics(ctx, req, resp, im)
	hideUnlistedLeaders(im, listener, req.Version, resp)
	offerOperations(req, resp)
	resp.ControllerID = reachableController(resp.ControllerID, h.NodeID, resp.Brokers)
	return resp
}

// offerOperations fills the authorized-operation bit fields a v8+ request
// asks for with every operation of the resource type, what Kafka answers
// without an authorizer; with ACLs the Metadata hook (authz_ops.go)
// narrows them to the principal's.
func offerOperations(req *kmsg.MetadataRequest, resp *kmsg.MetadataResponse) {
	if req.IncludeClusterAuthorizedOperations {
		resp.AuthorizedOperations = clusterOperations
	}
	if !req.IncludeTopicAuthorizedOperations {
		return
	}
	for i := range resp.Topics {
		if resp.Topics[i].ErrorCode == 0 {
			resp.Topics[i].AuthorizedOperations = topicOperations
		}
	}
}

// reachableController is the controller id to give clients. Kafka's KRaft
// brokers answer with a live broker rather than the active controller, whom
// clients cannot reach when it is a controller-only node; that broker
// forwards the admin request. Samsa keeps the active controller when it is
// a listed broker, else this node if listed, else the first listed broker.
func reachableController(active, self int32, brokers []kmsg.MetadataResponseBroker) int32 {
	fallback := int32(-1)
	for i, b := range brokers {
		if b.NodeID == active {
			return active
		}
		if b.NodeID == self || i == 0 && fallback < 0 {
			fallback = b.NodeID
		}
	}
	return fallback
}

// hideUnlistedLeaders answers, as Kafka does, a partition whose leader is
// registered but has no endpoint for the request's listener with no
// leader and LISTENER_NOT_FOUND (LEADER_NOT_AVAILABLE before v6), since
// the client could not reach that leader.
func hideUnlistedLeaders(im *metadata.Image, listener string, version int16, resp *kmsg.MetadataResponse) {
	if listener == "" {
		return
	}
	code := kerr.ListenerNotFound.Code
	if version < 6 {
		code = kerr.LeaderNotAvailable.Code
	}
	for i := range resp.Topics {
		for j := range resp.Topics[i].Partitions {
			p := &resp.Topics[i].Partitions[j]
			b, ok := im.Brokers[p.Leader]
			if !ok || p.ErrorCode != 0 {
				continue
			}
			if _, ok := b.EndpointFor(listener); !ok {
				p.Leader, p.ErrorCode = -1, code
			}
		}
	}
}

// metadataTopics fills resp.Topics: every topic, or the requested ones
// (auto-creating as allowed).
func (h *Handler) metadataTopics(ctx context.Context, req *kmsg.MetadataRequest, resp *kmsg.MetadataResponse, im *metadata.Image) {
	allTopics := req.Topics == nil || (req.Version == 0 && len(req.Topics) == 0)
	if allTopics {
		for _, name := range im.SortedTopicNames() {
			t, _ := im.Topic(name)
			resp.Topics = append(resp.Topics, h.describeTopic(im, t))
		}
		return
	}
	autoCreate := (req.Version < 4 || req.AllowAutoTopicCreation) && h.Config.AutoCreateTopicsEnable
	for _, rt := range req.Topics {
		resp.Topics = append(resp.Topics, h.metadataTopic(ctx, im, rt, autoCreate))
	}
}

func (h *Handler) metadataTopic(ctx context.Context, im *metadata.Image, rt kmsg.MetadataRequestTopic,
	autoCreate bool) kmsg.MetadataResponseTopic {
	// By id when the name is null or, as the Java client sends it when it
	// looks up the topic ids of a KIP-848 assignment, empty.
	if rt.Topic == nil || (*rt.Topic == "" && rt.TopicID != [16]byte{}) {
		if t, ok := im.TopicByID(rt.TopicID); ok {
			return h.describeTopic(im, t)
		}
		mt := kmsg.NewMetadataResponseTopic()
		mt.TopicID, mt.ErrorCode = rt.TopicID, kerr.UnknownTopicID.Code
		return mt
	}
	if t, ok := im.Topic(*rt.Topic); ok {
		return h.describeTopic(im, t)
	}
	mt := kmsg.NewMetadataResponseTopic()
	mt.Topic = rt.Topic
	mt.AuthorizedOperations = authorizedOpsNotRequested
	mt.ErrorCode = h.autoCreateTopic(ctx, *rt.Topic, autoCreate)
	return mt
}

// autoCreateTopic creates a topic a Metadata request named, returning the
// error code to report for it.
func (h *Handler) autoCreateTopic(ctx context.Context, name string, enabled bool) int16 {
	if err := validateTopicName(name); err != nil {
		return kerr.InvalidTopicException.Code
	}
	if !enabled {
		return kerr.UnknownTopicOrPartition.Code
	}
	var err error
	switch name {
	// Like Kafka's auto topic creation, the internal topics get their own
	// partition count, replication factor and configs: created with
	// num.partitions, __consumer_offsets would not have the partitions the
	// group coordinator hashes group ids onto (sarama's transactional
	// producer asks Metadata for it before its first group use).
	case group.OffsetsTopic:
		_, err = h.offsetsTopic(ctx)
	case txn.StateTopic:
		_, err = h.txnStateTopic(ctx)
	default:
		_, err = h.createTopicOnController(ctx, controller.CreateTopicRequest{
			Name:              name,
			NumPartitions:     h.Config.NumPartitions,
			ReplicationFactor: h.Config.DefaultReplicationFactor,
		})
	}
	if errors.Is(err, errNoOffsetsTopic) {
		return kerr.InvalidReplicationFactor.Code // fewer live brokers than its replication factor, as Kafka
	}
	if err != nil && !errors.Is(err, controller.ErrTopicExists) && !errors.Is(err, errCreationForwarded) {
		h.Logger.Warn("auto-create topic failed", "topic", name, "err", err)
		return errorCode(err)
	}
	return kerr.LeaderNotAvailable.Code
}

func (h *Handler) describeTopic(im *metadata.Image, t *metadata.Topic) kmsg.MetadataResponseTopic {
	mt := kmsg.NewMetadataResponseTopic()
	name := t.Name
	mt.Topic, mt.TopicID = &name, t.ID
	mt.IsInternal = internalTopics[name]
	mt.AuthorizedOperations = authorizedOpsNotRequested
	for _, p := range t.Partitions {
		mp := kmsg.NewMetadataResponseTopicPartition()
		mp.Partition, mp.Leader, mp.LeaderEpoch = p.Index, p.Leader, p.LeaderEpoch
		mp.Replicas, mp.ISR = p.Replicas, p.ISR
		mp.OfflineReplicas = offlineReplicas(im, p.Replicas)
		if p.Leader < 0 {
			mp.ErrorCode = kerr.LeaderNotAvailable.Code
		} else if p.Leader == h.NodeID {
			if h.Partitions.Partition(t.Name, p.Index) == nil {
				mp.ErrorCode = kerr.LeaderNotAvailable.Code // not opened here yet, or offline
			}
			if h.Partitions.Offline(t.Name, p.Index) != nil {
				// Our log failed to open or to write: Kafka lists the
				// replica of a failed log dir as offline, and it cannot lead.
				mp.ErrorCode = kerr.LeaderNotAvailable.Code
				if !slices.Contains(mp.OfflineReplicas, h.NodeID) {
					mp.OfflineReplicas = append(mp.OfflineReplicas, h.NodeID)
				}
			}
		}
		mt.Partitions = append(mt.Partitions, mp)
	}
	return mt
}

// offlineReplicas lists the replicas whose broker is fenced or unknown
// (Kafka: not alive), never nil.
func offlineReplicas(im *metadata.Image, replicas []int32) []int32 {
	out := []int32{}
	for _, r := range replicas {
		if b, ok := im.Brokers[r]; !ok || b.Fenced {
			out = append(out, r)
		}
	}
	return out
}
