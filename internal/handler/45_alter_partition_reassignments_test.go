package handler

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/controller"
	"github.com/samsa-io/samsa/internal/metadata"
)

// The shared admin fake answers reassignments and elections with the
// error set for the topic.

func (c *adminController) AlterPartitionReassignment(ctx context.Context, topic string, _ int32, _ []int32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.begin(ctx, topic)
}

func (c *adminController) ElectLeaders(ctx context.Context, _ controller.ElectionType, parts []controller.TopicPartition) ([]controller.ElectionResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]controller.ElectionResult, 0, len(parts))
	for _, tp := range parts {
		out = append(out, controller.ElectionResult{TopicPartition: tp, Err: c.begin(ctx, tp.Topic)})
	}
	return out, nil
}

// opsController records reassignment and election calls.
type opsController struct {
	*adminController
	reassigns []string
	electType controller.ElectionType
	electAll  bool
	notCtl    bool
}

func (c *opsController) AlterPartitionReassignment(ctx context.Context, topic string, p int32, replicas []int32) error {
	if c.notCtl {
		return fmt.Errorf("%w: not me", controller.ErrNotController)
	}
	c.reassigns = append(c.reassigns, fmt.Sprintf("%s-%d:%v:%v", topic, p, replicas, replicas == nil))
	return c.adminController.AlterPartitionReassignment(ctx, topic, p, replicas)
}

func (c *opsController) ElectLeaders(ctx context.Context, typ controller.ElectionType, parts []controller.TopicPartition) ([]controller.ElectionResult, error) {
	if c.notCtl {
		return nil, fmt.Errorf("%w: not me", controller.ErrNotController)
	}
	c.electType, c.electAll = typ, parts == nil
	return c.adminController.ElectLeaders(ctx, typ, parts)
}

func newOpsHandler() (*Handler, *opsController) {
	h, fc := newAdminHandler()
	oc := &opsController{adminController: fc}
	h.Controller = oc
	return h, oc
}

func TestAlterPartitionReassignments(t *testing.T) {
	h, oc := newOpsHandler()
	oc.errs["missing"] = fmt.Errorf("%w: Unable to find topic missing.", controller.ErrUnknownTopic)
	oc.errs["idle"] = fmt.Errorf("%w: none", controller.ErrNoReassignmentInProgress)
	req := kmsg.NewPtrAlterPartitionAssignmentsRequest()
	for _, tc := range []struct {
		topic    string
		replicas []int32
	}{{"orders", []int32{2, 1}}, {"missing", []int32{1}}, {"idle", nil}} {
		rt := kmsg.NewAlterPartitionAssignmentsRequestTopic()
		rt.Topic = tc.topic
		rp := kmsg.NewAlterPartitionAssignmentsRequestTopicPartition()
		rp.Partition, rp.Replicas = 0, tc.replicas
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
	}
	resp := h.alterPartitionAssignments(context.Background(), req).(*kmsg.AlterPartitionAssignmentsResponse)
	want := []int16{0, kerr.UnknownTopicOrPartition.Code, kerr.NoReassignmentInProgress.Code}
	for i, rt := range resp.Topics {
		if got := rt.Partitions[0].ErrorCode; got != want[i] {
			t.Errorf("%s: code %d, want %d", rt.Topic, got, want[i])
		}
	}
	if msg := msgOf(resp.Topics[1].Partitions[0].ErrorMessage); msg != "Unable to find topic missing." {
		t.Errorf("message %q", msg)
	}
	if !slices.Equal(oc.reassigns, []string{"orders-0:[2 1]:false", "missing-0:[1]:false", "idle-0:[]:true"}) {
		t.Errorf("calls %q (null replicas must reach the controller as nil)", oc.reassigns)
	}
	oc.notCtl = true
	resp = h.alterPartitionAssignments(context.Background(), req).(*kmsg.AlterPartitionAssignmentsResponse)
	if resp.ErrorCode != kerr.NotController.Code || resp.Topics != nil {
		t.Errorf("not controller: code %d topics %v", resp.ErrorCode, resp.Topics)
	}
}

func TestListPartitionReassignments(t *testing.T) {
	h, _ := newOpsHandler()
	im := adminImage()
	orders := im.Topics["orders"].Clone()
	orders.Partitions[1] = metadata.Partition{Index: 1, Leader: 2, Replicas: []int32{2, 3, 1},
		ISR: []int32{1, 2}, AddingReplicas: []int32{3}, RemovingReplicas: []int32{1}}
	im.Topics["orders"], im.TopicsByID[orders.ID] = orders, orders
	h.Image = func() *metadata.Image { return im }

	all := kmsg.NewPtrListPartitionReassignmentsRequest()
	resp := h.listPartitionReassignments(context.Background(), all).(*kmsg.ListPartitionReassignmentsResponse)
	if len(resp.Topics) != 1 || resp.Topics[0].Topic != "orders" || len(resp.Topics[0].Partitions) != 1 {
		t.Fatalf("all: %+v", resp.Topics)
	}
	p := resp.Topics[0].Partitions[0]
	if p.Partition != 1 || !slices.Equal(p.Replicas, []int32{2, 3, 1}) || !slices.Equal(p.AddingReplicas, []int32{3}) ||
		!slices.Equal(p.RemovingReplicas, []int32{1}) {
		t.Fatalf("partition %+v", p)
	}
	some := kmsg.NewPtrListPartitionReassignmentsRequest()
	for _, name := range []string{"orders", "logs", "missing"} {
		rt := kmsg.NewListPartitionReassignmentsRequestTopic()
		rt.Topic, rt.Partitions = name, []int32{0, 2}
		some.Topics = append(some.Topics, rt)
	}
	resp = h.listPartitionReassignments(context.Background(), some).(*kmsg.ListPartitionReassignmentsResponse)
	if len(resp.Topics) != 0 {
		t.Fatalf("partitions not being reassigned listed: %+v", resp.Topics)
	}
}

func TestElectLeaders(t *testing.T) {
	h, oc := newOpsHandler()
	oc.errs["logs"] = fmt.Errorf("%w: x", controller.ErrElectionNotNeeded)
	oc.errs["missing"] = fmt.Errorf("%w: x", controller.ErrUnknownTopic)
	req := kmsg.NewPtrElectLeadersRequest()
	req.ElectionType = 1
	for _, name := range []string{"orders", "logs", "missing"} {
		rt := kmsg.NewElectLeadersRequestTopic()
		rt.Topic, rt.Partitions = name, []int32{0, 1}
		req.Topics = append(req.Topics, rt)
	}
	for _, v := range []int16{0, 1, 2} {
		req.Version = v
		resp := h.electLeaders(context.Background(), req).(*kmsg.ElectLeadersResponse)
		wantType := controller.ElectUnclean
		if v == 0 {
			wantType = controller.ElectPreferred // v0 has no election type
		}
		if oc.electType != wantType || oc.electAll {
			t.Errorf("v%d: type %d all %v", v, oc.electType, oc.electAll)
		}
		codes := map[string]int16{}
		for _, rt := range resp.Topics {
			if len(rt.Partitions) != 2 {
				t.Fatalf("v%d %s: %+v", v, rt.Topic, rt.Partitions)
			}
			codes[rt.Topic] = rt.Partitions[1].ErrorCode
		}
		if codes["orders"] != 0 || codes["logs"] != kerr.ElectionNotNeeded.Code || codes["missing"] != kerr.UnknownTopicOrPartition.Code {
			t.Errorf("v%d codes %v", v, codes)
		}
	}
	req.Topics = nil
	h.electLeaders(context.Background(), req)
	if !oc.electAll {
		t.Error("null topics did not ask for every partition")
	}
	oc.notCtl = true
	req.Version = 1
	req.Topics = []kmsg.ElectLeadersRequestTopic{{Topic: "orders", Partitions: []int32{0}}}
	if resp := h.electLeaders(context.Background(), req).(*kmsg.ElectLeadersResponse); resp.ErrorCode != kerr.NotController.Code ||
		len(resp.Topics) != 1 || resp.Topics[0].Partitions[0].ErrorCode != kerr.NotController.Code {
		t.Errorf("v1 not controller: %d %+v", resp.ErrorCode, resp.Topics)
	}
	req.Version = 0
	rt := kmsg.NewElectLeadersRequestTopic()
	rt.Topic, rt.Partitions = "orders", []int32{0}
	req.Topics = []kmsg.ElectLeadersRequestTopic{rt}
	resp := h.electLeaders(context.Background(), req).(*kmsg.ElectLeadersResponse)
	if len(resp.Topics) != 1 || resp.Topics[0].Partitions[0].ErrorCode != kerr.NotController.Code {
		t.Errorf("v0 not controller: %+v", resp.Topics)
	}
}
