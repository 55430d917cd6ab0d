package handler

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/controller"
)

func deleteByName(version int16, names ...string) *kmsg.DeleteTopicsRequest {
	req := kmsg.NewPtrDeleteTopicsRequest()
	req.Version = version
	req.TimeoutMillis = 5000
	req.TopicNames = names
	return req
}

func deleteV6(topics ...kmsg.DeleteTopicsRequestTopic) *kmsg.DeleteTopicsRequest {
	req := kmsg.NewPtrDeleteTopicsRequest()
	req.Version = 6
	req.TimeoutMillis = 5000
	req.Topics = topics
	return req
}

func TestDeleteTopicsByName(t *testing.T) {
	h, fc := newAdminHandler()
	fc.errs["gone"] = &kindError{controller.ErrUnknownTopic, "Topic 'gone' does not exist."}
	resp := h.deleteTopics(context.Background(), deleteByName(5, "orders", "gone")).(*kmsg.DeleteTopicsResponse)
	if len(resp.Topics) != 2 {
		t.Fatalf("got %d results", len(resp.Topics))
	}
	ok, gone := resp.Topics[0], resp.Topics[1]
	if msgOf(ok.Topic) != "orders" || ok.ErrorCode != 0 || ok.TopicID != ordersID {
		t.Errorf("orders: %+v", ok)
	}
	if msgOf(gone.Topic) != "gone" || gone.ErrorCode != 3 || msgOf(gone.ErrorMessage) != "Topic 'gone' does not exist." {
		t.Errorf("gone: %s %d %q", msgOf(gone.Topic), gone.ErrorCode, msgOf(gone.ErrorMessage))
	}
	if len(fc.deletes) != 2 || !fc.deadline {
		t.Errorf("controller deletes %v, deadline %v", fc.deletes, fc.deadline)
	}
}

func TestDeleteTopicsV6(t *testing.T) {
	tests := []struct {
		name       string
		topic      kmsg.DeleteTopicsRequestTopic
		code       int16
		wantName   string
		wantID     [16]byte
		controlled bool // the controller was asked
	}{
		{"by id", kmsg.DeleteTopicsRequestTopic{TopicID: logsID}, 0, "logs", logsID, true},
		{"by name", kmsg.DeleteTopicsRequestTopic{Topic: strp("orders")}, 0, "orders", ordersID, true},
		{"unknown id", kmsg.DeleteTopicsRequestTopic{TopicID: [16]byte{9}}, 100, "<nil>", [16]byte{9}, false},
		{"neither", kmsg.DeleteTopicsRequestTopic{}, 42, "<nil>", [16]byte{}, false},
		{"both", kmsg.DeleteTopicsRequestTopic{Topic: strp("logs"), TopicID: logsID}, 42, "logs", logsID, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, fc := newAdminHandler()
			rt := h.deleteTopics(context.Background(), deleteV6(tt.topic)).(*kmsg.DeleteTopicsResponse).Topics[0]
			if rt.ErrorCode != tt.code || msgOf(rt.Topic) != tt.wantName || rt.TopicID != tt.wantID {
				t.Fatalf("got code %d name %s id %x (%s)", rt.ErrorCode, msgOf(rt.Topic), rt.TopicID, msgOf(rt.ErrorMessage))
			}
			if (len(fc.deletes) == 1) != tt.controlled {
				t.Errorf("controller deletes %v", fc.deletes)
			}
			if tt.controlled && fc.deletes[0] != tt.wantName {
				t.Errorf("controller deleted %q, want %q", fc.deletes[0], tt.wantName)
			}
		})
	}
}

func TestDeleteTopicsDuplicates(t *testing.T) {
	h, fc := newAdminHandler()
	resp := h.deleteTopics(context.Background(), deleteV6(
		kmsg.DeleteTopicsRequestTopic{Topic: strp("orders")},
		kmsg.DeleteTopicsRequestTopic{TopicID: logsID},
		kmsg.DeleteTopicsRequestTopic{Topic: strp("orders")},
		kmsg.DeleteTopicsRequestTopic{TopicID: logsID},
	)).(*kmsg.DeleteTopicsResponse)
	if len(resp.Topics) != 2 {
		t.Fatalf("got %d results, want one per distinct topic", len(resp.Topics))
	}
	if r := resp.Topics[0]; r.ErrorCode != 42 || msgOf(r.ErrorMessage) != "Duplicate topic name." {
		t.Errorf("duplicate name: %d %q", r.ErrorCode, msgOf(r.ErrorMessage))
	}
	if r := resp.Topics[1]; r.ErrorCode != 42 || msgOf(r.ErrorMessage) != "Duplicate topic id." {
		t.Errorf("duplicate id: %d %q", r.ErrorCode, msgOf(r.ErrorMessage))
	}
	if len(fc.deletes) != 0 {
		t.Errorf("controller deleted %v", fc.deletes)
	}
}

func TestDeleteTopicsDisabled(t *testing.T) {
	h, fc := newAdminHandler()
	h.Config.DeleteTopicEnable = false
	resp := h.deleteTopics(context.Background(), deleteByName(1, "orders", "logs")).(*kmsg.DeleteTopicsResponse)
	for _, r := range resp.Topics {
		if r.ErrorCode != 73 {
			t.Errorf("%s: code %d, want TOPIC_DELETION_DISABLED (73)", msgOf(r.Topic), r.ErrorCode)
		}
	}
	if len(resp.Topics) != 2 || len(fc.deletes) != 0 {
		t.Errorf("results %d, controller deletes %v", len(resp.Topics), fc.deletes)
	}
}
