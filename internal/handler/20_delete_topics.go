package handler

// DeleteTopics, versions 1–6.
//
// Kafka: topics are named in TopicNames (v0–v5) or, from v6, in Topics by
// name or by TopicID (exactly one of the two). Each gets its own result
// carrying the name and, from v6, the ID. An unknown name is
// UNKNOWN_TOPIC_OR_PARTITION, an unknown ID UNKNOWN_TOPIC_ID; a topic
// named twice is INVALID_REQUEST; with delete.topic.enable=false every
// topic gets TOPIC_DELETION_DISABLED. ErrorMessage is v5+.
//
// Samsa: the same. An ID is resolved to its name through the metadata
// image, then the controller deletes by name and returns the ID it
// removed. TimeoutMillis bounds the request.

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"
)

var deleteTopicsAPI = api{key: kmsg.DeleteTopics, min: 1, max: 6, serve: (*Handler).deleteTopics,
	authz: authzDeleteTopics, forward: forwardAlways}

func (h *Handler) deleteTopics(ctx context.Context, kreq kmsg.Request) kmsg.Response {
	req := kreq.(*kmsg.DeleteTopicsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteTopicsResponse)
	ctx, cancel := withRequestTimeout(ctx, req.TimeoutMillis)
	defer cancel()

	targets := deleteTargets(req)
	dups := duplicates(targets, deleteTopicKey)
	answered := map[string]bool{}
	for _, t := range targets {
		key := deleteTopicKey(t)
		if answered[key] {
			continue
		}
		answered[key] = true
		rt := kmsg.NewDeleteTopicsResponseTopic()
		rt.Topic, rt.TopicID = t.Topic, t.TopicID
		var err error
		if dups[key] {
			err = duplicateDeleteErr(t)
		} else {
			err = h.deleteTopic(ctx, &rt)
		}
		rt.ErrorCode = errorCode(err)
		rt.ErrorMessage = errorMessage(err)
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

// deleteTargets returns the requested topics in the v6 form.
func deleteTargets(req *kmsg.DeleteTopicsRequest) []kmsg.DeleteTopicsRequestTopic {
	if req.Version >= 6 {
		return req.Topics
	}
	out := make([]kmsg.DeleteTopicsRequestTopic, len(req.TopicNames))
	for i := range req.TopicNames {
		out[i].Topic = &req.TopicNames[i]
	}
	return out
}

// deleteTopicKey identifies a target for duplicate detection.
func deleteTopicKey(t kmsg.DeleteTopicsRequestTopic) string {
	if t.Topic != nil {
		return "name:" + *t.Topic
	}
	return "id:" + topicIDString(t.TopicID)
}

func duplicateDeleteErr(t kmsg.DeleteTopicsRequestTopic) error {
	if t.Topic != nil {
		return errDuplicateTopic
	}
	return fmt.Errorf("%w: Duplicate topic id.", errInvalidRequest)
}

// deleteTopic deletes one topic, filling rt's name and ID as it learns
// them.
func (h *Handler) deleteTopic(ctx context.Context, rt *kmsg.DeleteTopicsResponseTopic) error {
	if !h.Config.DeleteTopicEnable {
		return fmt.Errorf("%w: Topic deletion is disabled.", errTopicDeletionDisabled)
	}
	zero := rt.TopicID == [16]byte{}
	switch {
	case rt.Topic == nil && zero:
		return fmt.Errorf("%w: Neither topic name nor id were specified.", errInvalidRequest)
	case rt.Topic != nil && !zero:
		return fmt.Errorf("%w: You may not specify both topic name and topic id.", errInvalidRequest)
	case rt.Topic == nil:
		t, ok := h.Image().TopicByID(rt.TopicID)
		if !ok {
			return fmt.Errorf("%w: Topic id %s does not exist.", errUnknownTopicID, topicIDString(rt.TopicID))
		}
		rt.Topic = kmsg.StringPtr(t.Name)
	}
	id, err := h.Controller.DeleteTopic(ctx, *rt.Topic)
	if err != nil {
		return err
	}
	rt.TopicID = id
	return nil
}

// topicIDString formats a topic ID as Kafka prints a Uuid: URL-safe
// base64 without padding.
func topicIDString(id [16]byte) string {
	return base64.RawURLEncoding.EncodeToString(id[:])
}
