package handler

// CreatePartitions, versions 0–3.
//
// Kafka: grows each topic to Count partitions. Count must exceed the
// current count (INVALID_PARTITIONS otherwise, with the current count in
// the message); Assignment, when given, lists the replicas of each new
// partition and must have one entry per new partition
// (INVALID_REPLICA_ASSIGNMENT otherwise). An unknown topic is
// UNKNOWN_TOPIC_OR_PARTITION; a topic named twice is INVALID_REQUEST in
// every entry. ValidateOnly checks and creates nothing.
//
// Samsa: the same. The count checks run here against the metadata image;
// placement and assignment checks are the controller's, which repeats the
// count checks against the latest image. TimeoutMillis bounds the request.
// A request adding more than 10,000 partitions in all is POLICY_VIOLATION
// in every entry, CreateTopics' limit (maxPartitionsPerCreate): Kafka 4.0
// bounds it only by its controller's 10,000 records per operation, with a
// less clear error, and KAFKA-19673 gives it CreateTopics' limit.

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/controller"
)

var createPartitionsAPI = api{key: kmsg.CreatePartitions, min: 0, max: 3, serve: (*Handler).createPartitions,
	authz: authzCreatePartitions, forward: forwardAlways}

func (h *Handler) createPartitions(ctx context.Context, kreq kmsg.Request) kmsg.Response {
	req := kreq.(*kmsg.CreatePartitionsRequest)
	resp := req.ResponseKind().(*kmsg.CreatePartitionsResponse)
	ctx, cancel := withRequestTimeout(ctx, req.TimeoutMillis)
	defer cancel()

	dups := duplicates(req.Topics, func(t kmsg.CreatePartitionsRequestTopic) string { return t.Topic })
	tooMany := h.addedPartitions(req.Topics, dups) > maxPartitionsPerCreate
	answered := map[string]bool{}
	for i := range req.Topics {
		t := &req.Topics[i]
		if answered[t.Topic] {
			continue
		}
		answered[t.Topic] = true
		var err error
		switch {
		case dups[t.Topic]:
			err = errDuplicateTopic
		case tooMany:
			err = errTooManyPartitions
		default:
			err = h.createTopicPartitions(ctx, t, req.ValidateOnly)
		}
		rt := kmsg.NewCreatePartitionsResponseTopic()
		rt.Topic = t.Topic
		rt.ErrorCode = errorCode(err)
		rt.ErrorMessage = errorMessage(err)
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

// addedPartitions counts the partitions the request would add to the
// topics it names once (an unknown topic or a count not above the current
// one adds none).
func (h *Handler) addedPartitions(topics []kmsg.CreatePartitionsRequestTopic, dups map[string]bool) int64 {
	im := h.Image()
	var n int64
	for _, t := range topics {
		if cur, ok := im.Topic(t.Topic); ok && !dups[t.Topic] {
			n += max(0, int64(t.Count)-int64(len(cur.Partitions)))
		}
	}
	return n
}

// createTopicPartitions grows one topic.
func (h *Handler) createTopicPartitions(ctx context.Context, t *kmsg.CreatePartitionsRequestTopic, validateOnly bool) error {
	topic, ok := h.Image().Topic(t.Topic)
	if !ok {
		return fmt.Errorf("%w: The topic '%s' does not exist.", controller.ErrUnknownTopic, t.Topic)
	}
	cur := int32(len(topic.Partitions))
	switch {
	case t.Count < cur:
		return fmt.Errorf("%w: Topic currently has %d partitions, which is higher than the requested %d.",
			controller.ErrInvalidPartitions, cur, t.Count)
	case t.Count == cur:
		return fmt.Errorf("%w: Topic already has %d partitions.", controller.ErrInvalidPartitions, cur)
	}
	var assignments [][]int32
	if t.Assignment != nil {
		assignments = make([][]int32, len(t.Assignment))
		for i, a := range t.Assignment {
			assignments[i] = a.Replicas
		}
	}
	return h.Controller.CreatePartitions(ctx, t.Topic, t.Count, assignments, validateOnly)
}
