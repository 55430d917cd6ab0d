package handler

// CreateTopics, versions 2–7.
//
// Kafka: each topic is checked on its own and gets its own error. The name
// must be legal; NumPartitions and ReplicationFactor are positive or -1 for
// the broker defaults (num.partitions, default.replication.factor). KIP-464
// made clients send -1 from v4, but the broker resolves it at every version
// (kafkajs 2.x sends -1 by default over v3);
// a manual ReplicaAssignment replaces both, which must then be -1. A name
// differing from an existing topic's only by '.' versus '_' is
// INVALID_TOPIC_EXCEPTION (they collide in metric names). Configs
// must be known topic configs with valid values. A topic named twice in one
// request is rejected (INVALID_REQUEST) in every entry. ValidateOnly checks
// everything, placement included, and creates nothing. From v5 a success
// carries the partition count, the replication factor and every topic
// config with its value and source; v7 adds the topic ID.
//
// Samsa: the same. Checks that need only the request run here; placement
// (enough live brokers, a valid assignment) is the controller's, whose
// messages are Kafka's. TimeoutMillis bounds the whole request; a
// non-positive timeout leaves only the controller's own deadline.

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/controller"
	"github.com/samsa-io/samsa/internal/metadata"
)

var createTopicsAPI = api{key: kmsg.CreateTopics, min: 2, max: 7, serve: (*Handler).createTopics,
	authz: authzCreateTopics, forward: forwardAlways}

func (h *Handler) createTopics(ctx context.Context, kreq kmsg.Request) kmsg.Response {
	req := kreq.(*kmsg.CreateTopicsRequest)
	resp := req.ResponseKind().(*kmsg.CreateTopicsResponse)
	ctx, cancel := withRequestTimeout(ctx, req.TimeoutMillis)
	defer cancel()

	dups := duplicates(req.Topics, func(t kmsg.CreateTopicsRequestTopic) string { return t.Topic })
	tooMany := h.requestedPartitions(req.Topics, dups) > maxPartitionsPerCreate
	answered := map[string]bool{}
	for i := range req.Topics {
		t := &req.Topics[i]
		switch {
		case dups[t.Topic]:
			if !answered[t.Topic] {
				resp.Topics = append(resp.Topics, createTopicError(t.Topic, errDuplicateTopic))
			}
			answered[t.Topic] = true
		case tooMany:
			resp.Topics = append(resp.Topics, createTopicError(t.Topic, errTooManyPartitions))
		default:
			resp.Topics = append(resp.Topics, h.createTopic(ctx, req, t))
		}
	}
	return resp
}

// maxPartitionsPerCreate is the most partitions one CreateTopics request
// may create in all: Kafka's controller limit (MAX_PARTITIONS_PER_BATCH,
// KAFKA-17870, Kafka 4.0), which is not configurable. Beyond it every
// topic of the request fails with POLICY_VIOLATION, before anything is
// placed or allocated.
const maxPartitionsPerCreate = 10_000

var errTooManyPartitions = fmt.Errorf("%w: Excessively large number of partitions per request.", errPolicyViolation)

// requestedPartitions counts the partitions the request asks for, as
// Kafka does: a manual assignment by its entries, -1 as num.partitions, a
// non-positive count (rejected later) as none. Duplicated topics are
// answered apart and not counted.
func (h *Handler) requestedPartitions(topics []kmsg.CreateTopicsRequestTopic, dups map[string]bool) int64 {
	var n int64
	for _, t := range topics {
		switch {
		case dups[t.Topic]:
		case len(t.ReplicaAssignment) > 0:
			n += int64(len(t.ReplicaAssignment))
		case t.NumPartitions == -1:
			n += int64(h.Config.NumPartitions)
		case t.NumPartitions > 0:
			n += int64(t.NumPartitions)
		}
	}
	return n
}

// createTopic creates (or, with ValidateOnly, checks) one topic.
func (h *Handler) createTopic(ctx context.Context, req *kmsg.CreateTopicsRequest, t *kmsg.CreateTopicsRequestTopic) kmsg.CreateTopicsResponseTopic {
	creq, err := h.createTopicRequest(t)
	if err != nil {
		return createTopicError(t.Topic, err)
	}
	creq.ValidateOnly = req.ValidateOnly
	created, err := h.Controller.CreateTopic(ctx, creq)
	if err != nil {
		return createTopicError(t.Topic, err)
	}
	rt := kmsg.NewCreateTopicsResponseTopic()
	rt.Topic = t.Topic
	if req.Version >= 5 {
		h.describeCreated(&rt, created)
	}
	return rt
}

// createTopicRequest checks one requested topic and turns it into the
// controller's request, defaults applied.
func (h *Handler) createTopicRequest(t *kmsg.CreateTopicsRequestTopic) (controller.CreateTopicRequest, error) {
	creq := controller.CreateTopicRequest{Name: t.Topic, NumPartitions: t.NumPartitions, ReplicationFactor: t.ReplicationFactor}
	if err := validateTopicName(t.Topic); err != nil {
		return creq, err
	}
	if err := topicCollision(h.Image(), t.Topic); err != nil {
		return creq, err
	}
	if _, ok := h.Image().Topic(t.Topic); ok {
		// Before the counts are checked, as Kafka's controller does: an
		// existing topic is TOPIC_ALREADY_EXISTS whatever else is asked.
		return creq, fmt.Errorf("%w: Topic '%s' already exists.", controller.ErrTopicExists, t.Topic)
	}
	var err error
	if len(t.ReplicaAssignment) > 0 {
		creq.Assignments, err = manualAssignment(t)
	} else {
		err = h.applyTopicDefaults(&creq)
	}
	if err != nil {
		return creq, err
	}
	creq.Configs, err = createConfigs(t.Configs)
	return creq, err
}

// manualAssignment converts ReplicaAssignment; the controller checks that
// the partitions are 0..n-1 and the replicas live brokers.
func manualAssignment(t *kmsg.CreateTopicsRequestTopic) (map[int32][]int32, error) {
	if t.NumPartitions != -1 || t.ReplicationFactor != -1 {
		return nil, fmt.Errorf("%w: Both numPartitions or replicationFactor and replicasAssignments were set. "+
			"Both cannot be used at the same time.", errInvalidRequest)
	}
	out := make(map[int32][]int32, len(t.ReplicaAssignment))
	for _, a := range t.ReplicaAssignment {
		if _, ok := out[a.Partition]; ok {
			return nil, fmt.Errorf("%w: Partition %d is assigned twice.", controller.ErrInvalidReplicaAssignment, a.Partition)
		}
		out[a.Partition] = a.Replicas
	}
	return out, nil
}

// applyTopicDefaults replaces -1 by the broker defaults, whatever the
// request version (as Kafka's controller does), and rejects other
// non-positive counts.
func (h *Handler) applyTopicDefaults(creq *controller.CreateTopicRequest) error {
	if creq.NumPartitions == -1 {
		creq.NumPartitions = h.Config.NumPartitions
	}
	if creq.ReplicationFactor == -1 {
		creq.ReplicationFactor = h.Config.DefaultReplicationFactor
	}
	if creq.NumPartitions <= 0 {
		return fmt.Errorf("%w: Number of partitions was set to an invalid non-positive value.", controller.ErrInvalidPartitions)
	}
	if creq.ReplicationFactor <= 0 {
		return fmt.Errorf("%w: Replication factor must be larger than 0, or -1 to use the default value.",
			controller.ErrInvalidReplicationFactor)
	}
	return nil
}

// createConfigs checks the requested topic configs; nil when none.
func createConfigs(cfgs []kmsg.CreateTopicsRequestTopicConfig) (map[string]string, error) {
	if len(cfgs) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(cfgs))
	for _, c := range cfgs {
		if c.Value == nil {
			return nil, nullConfigValue(c.Name)
		}
		if err := checkTopicConfig(c.Name, *c.Value); err != nil {
			return nil, err
		}
		out[c.Name] = *c.Value
	}
	return out, nil
}

// checkTopicConfig is config.ValidateTopicConfig with Kafka's message for
// an unknown name.
func checkTopicConfig(name, value string) error {
	if _, ok := config.LookupTopicConfig(name); !ok {
		return fmt.Errorf("%w: Unknown topic config name: %s", config.ErrUnknownTopicConfig, name)
	}
	return config.ValidateTopicConfig(name, value)
}

// describeCreated fills the v5+ fields of a created topic.
func (h *Handler) describeCreated(rt *kmsg.CreateTopicsResponseTopic, t *metadata.Topic) {
	if t == nil {
		return
	}
	rt.TopicID = t.ID
	rt.NumPartitions = int32(len(t.Partitions))
	if len(t.Partitions) > 0 {
		rt.ReplicationFactor = int16(len(t.Partitions[0].Replicas))
	}
	for _, def := range config.TopicConfigDefs() {
		value, source := h.topicConfigValue(def, t.Configs)
		c := kmsg.NewCreateTopicsResponseTopicConfig()
		c.Name = def.Name
		c.Value = &value
		c.Source = int8(source)
		rt.Configs = append(rt.Configs, c)
	}
}

func createTopicError(name string, err error) kmsg.CreateTopicsResponseTopic {
	rt := kmsg.NewCreateTopicsResponseTopic()
	rt.Topic = name
	rt.ErrorCode = errorCode(err)
	rt.ErrorMessage = errorMessage(err)
	return rt
}

// withRequestTimeout bounds ctx by an admin request's TimeoutMillis. Zero or
// negative sets no deadline of our own: the caller's context and the
// controller's proposal timeout still apply. DeleteTopics and
// CreatePartitions use it too.
func withRequestTimeout(ctx context.Context, ms int32) (context.Context, context.CancelFunc) {
	if ms <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, time.Duration(ms)*time.Millisecond)
}
