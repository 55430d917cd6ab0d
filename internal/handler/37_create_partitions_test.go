package handler

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/controller"
)

func partitionsReq(topics ...kmsg.CreatePartitionsRequestTopic) *kmsg.CreatePartitionsRequest {
	req := kmsg.NewPtrCreatePartitionsRequest()
	req.Version = 3
	req.TimeoutMillis = 5000
	req.Topics = topics
	return req
}

func growTopic(name string, count int32, assignments ...[]int32) kmsg.CreatePartitionsRequestTopic {
	t := kmsg.NewCreatePartitionsRequestTopic()
	t.Topic, t.Count = name, count
	for _, a := range assignments {
		t.Assignment = append(t.Assignment, kmsg.CreatePartitionsRequestTopicAssignment{Replicas: a})
	}
	return t
}

func TestCreatePartitionsHappyPath(t *testing.T) {
	h, fc := newAdminHandler()
	req := partitionsReq(growTopic("orders", 5, []int32{1, 2}, []int32{2, 1}), growTopic("logs", 4))
	req.ValidateOnly = true
	resp := h.createPartitions(context.Background(), req).(*kmsg.CreatePartitionsResponse)
	if len(resp.Topics) != 2 {
		t.Fatalf("got %d results", len(resp.Topics))
	}
	for _, rt := range resp.Topics {
		if rt.ErrorCode != 0 || rt.ErrorMessage != nil {
			t.Errorf("%s: %d %q", rt.Topic, rt.ErrorCode, msgOf(rt.ErrorMessage))
		}
	}
	if len(fc.parts) != 2 || !fc.deadline {
		t.Fatalf("controller calls %+v, deadline %v", fc.parts, fc.deadline)
	}
	orders, logs := fc.parts[0], fc.parts[1]
	if orders.name != "orders" || orders.count != 5 || len(orders.assignments) != 2 || orders.assignments[1][0] != 2 || !orders.validateOnly {
		t.Errorf("orders call %+v", orders)
	}
	if logs.name != "logs" || logs.count != 4 || logs.assignments != nil {
		t.Errorf("logs call %+v, want no assignments", logs)
	}
}

func TestCreatePartitionsErrors(t *testing.T) {
	tests := []struct {
		name    string
		topic   kmsg.CreatePartitionsRequestTopic
		ctrlErr error
		code    int16
		msg     string
	}{
		{"fewer", growTopic("orders", 2), nil, 37, "Topic currently has 3 partitions, which is higher than the requested 2."},
		{"same", growTopic("orders", 3), nil, 37, "Topic already has 3 partitions."},
		{"unknown topic", growTopic("nope", 5), nil, 3, "The topic 'nope' does not exist."},
		{"controller rejects", growTopic("orders", 5, []int32{1}),
			&kindError{controller.ErrInvalidReplicaAssignment, "Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified."},
			39, "Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, fc := newAdminHandler()
			fc.errs[tt.topic.Topic] = tt.ctrlErr
			rt := h.createPartitions(context.Background(), partitionsReq(tt.topic)).(*kmsg.CreatePartitionsResponse).Topics[0]
			if rt.Topic != tt.topic.Topic || rt.ErrorCode != tt.code || msgOf(rt.ErrorMessage) != tt.msg {
				t.Fatalf("got %s %d %q, want %d %q", rt.Topic, rt.ErrorCode, msgOf(rt.ErrorMessage), tt.code, tt.msg)
			}
			if asked := len(fc.parts) == 1; asked != (tt.ctrlErr != nil) {
				t.Errorf("controller calls %+v", fc.parts)
			}
		})
	}
}

func TestCreatePartitionsDuplicates(t *testing.T) {
	h, fc := newAdminHandler()
	resp := h.createPartitions(context.Background(), partitionsReq(
		growTopic("orders", 5), growTopic("logs", 2), growTopic("orders", 6))).(*kmsg.CreatePartitionsResponse)
	if len(resp.Topics) != 2 {
		t.Fatalf("got %d results, want one per distinct topic", len(resp.Topics))
	}
	if rt := resp.Topics[0]; rt.Topic != "orders" || rt.ErrorCode != 42 || msgOf(rt.ErrorMessage) != "Duplicate topic name." {
		t.Errorf("orders: %s %d %q", rt.Topic, rt.ErrorCode, msgOf(rt.ErrorMessage))
	}
	if rt := resp.Topics[1]; rt.Topic != "logs" || rt.ErrorCode != 0 {
		t.Errorf("logs: %d %q", rt.ErrorCode, msgOf(rt.ErrorMessage))
	}
	if len(fc.parts) != 1 || fc.parts[0].name != "logs" {
		t.Errorf("controller calls %+v, want only logs", fc.parts)
	}
}

// More than 10,000 new partitions in one request is POLICY_VIOLATION in
// every entry, as for CreateTopics, and nothing reaches the controller: a
// huge count must not reach placement, which allocates per partition.
func TestCreatePartitionsPartitionsPerRequestLimit(t *testing.T) {
	// orders has 3 partitions and logs 1 (adminImage).
	for _, tt := range []struct {
		name    string
		topics  []kmsg.CreatePartitionsRequestTopic
		refused bool
	}{
		{"exactly the limit", []kmsg.CreatePartitionsRequestTopic{growTopic("orders", 5_003), growTopic("logs", 5_001)}, false},
		{"one beyond", []kmsg.CreatePartitionsRequestTopic{growTopic("orders", 10_004)}, true},
		{"in all", []kmsg.CreatePartitionsRequestTopic{growTopic("orders", 5_003), growTopic("logs", 5_002)}, true},
		{"the largest count", []kmsg.CreatePartitionsRequestTopic{growTopic("orders", 1<<31-1)}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, fc := newAdminHandler()
			resp := h.createPartitions(context.Background(), partitionsReq(tt.topics...)).(*kmsg.CreatePartitionsResponse)
			for _, rt := range resp.Topics {
				refused := rt.ErrorCode == kerr.PolicyViolation.Code
				if refused != tt.refused || (!refused && rt.ErrorCode != 0) {
					t.Errorf("%s: error %d %q, want refused=%v", rt.Topic, rt.ErrorCode, msgOf(rt.ErrorMessage), tt.refused)
				}
				if refused && msgOf(rt.ErrorMessage) != "Excessively large number of partitions per request." {
					t.Errorf("%s: message %q", rt.Topic, msgOf(rt.ErrorMessage))
				}
			}
			if tt.refused && len(fc.parts) != 0 {
				t.Errorf("the controller was asked to grow %d topics", len(fc.parts))
			}
		})
	}
}
