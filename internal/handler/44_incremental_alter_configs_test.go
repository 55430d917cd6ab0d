package handler

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/controller"
)

type incOp struct {
	key   string
	op    kmsg.IncrementalAlterConfigOp
	value *string
}

func incReq(typ kmsg.ConfigResourceType, name string, ops ...incOp) *kmsg.IncrementalAlterConfigsRequest {
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	req.Version = 1
	r := kmsg.NewIncrementalAlterConfigsRequestResource()
	r.ResourceType, r.ResourceName = typ, name
	for _, o := range ops {
		r.Configs = append(r.Configs, kmsg.IncrementalAlterConfigsRequestResourceConfig{Name: o.key, Op: o.op, Value: o.value})
	}
	req.Resources = append(req.Resources, r)
	return req
}

func TestIncrementalAlterConfigsOps(t *testing.T) {
	h, fc := newAdminHandler()
	req := incReq(kmsg.ConfigResourceTypeTopic, "orders",
		incOp{"retention.ms", kmsg.IncrementalAlterConfigOpSet, strp("3000")},
		incOp{"segment.ms", kmsg.IncrementalAlterConfigOpDelete, nil},
		incOp{"cleanup.policy", kmsg.IncrementalAlterConfigOpAppend, strp("compact")},
		incOp{"leader.replication.throttled.replicas", kmsg.IncrementalAlterConfigOpSubtract, strp("0:1")},
	)
	r := h.incrementalAlterConfigs(context.Background(), req).(*kmsg.IncrementalAlterConfigsResponse).Resources[0]
	if r.ErrorCode != 0 || r.ResourceName != "orders" {
		t.Fatalf("got %d %q for %q", r.ErrorCode, msgOf(r.ErrorMessage), r.ResourceName)
	}
	want := []controller.ConfigOp{
		{Key: "retention.ms", Value: "3000", Op: controller.OpSet},
		{Key: "segment.ms", Op: controller.OpDelete},
		{Key: "cleanup.policy", Value: "compact", Op: controller.OpAppend},
		{Key: "leader.replication.throttled.replicas", Value: "0:1", Op: controller.OpSubtract},
	}
	if len(fc.alters) != 1 || fc.alters[0].replaceAll || fc.alters[0].validateOnly || len(fc.alters[0].ops) != len(want) {
		t.Fatalf("controller calls %+v", fc.alters)
	}
	for i := range want {
		if fc.alters[0].ops[i] != want[i] {
			t.Errorf("op %d = %+v, want %+v", i, fc.alters[0].ops[i], want[i])
		}
	}
}

// Kafka 4.4 answers a DELETE of a topic config name it does not know with
// success (a SET of one is INVALID_CONFIG). MirrorMaker 2 relies on it: it
// sends a DELETE for every config a Kafka 4.4 source leaves at its default,
// errors.deadletterqueue.group.enable among them, and one refused name
// failed the whole config sync of the remote topic.
func TestIncrementalAlterConfigsDeleteUnknownKey(t *testing.T) {
	h, fc := newAdminHandler()
	req := incReq(kmsg.ConfigResourceTypeTopic, "orders",
		incOp{"errors.deadletterqueue.group.enable", kmsg.IncrementalAlterConfigOpDelete, nil},
		incOp{"retention.ms", kmsg.IncrementalAlterConfigOpSet, strp("7200000")},
	)
	r := h.incrementalAlterConfigs(context.Background(), req).(*kmsg.IncrementalAlterConfigsResponse).Resources[0]
	if r.ErrorCode != 0 {
		t.Fatalf("got %d %q, want success", r.ErrorCode, msgOf(r.ErrorMessage))
	}
	want := []controller.ConfigOp{
		{Key: "errors.deadletterqueue.group.enable", Op: controller.OpDelete},
		{Key: "retention.ms", Value: "7200000", Op: controller.OpSet},
	}
	if len(fc.alters) != 1 || len(fc.alters[0].ops) != len(want) {
		t.Fatalf("controller calls %+v", fc.alters)
	}
	for i := range want {
		if fc.alters[0].ops[i] != want[i] {
			t.Errorf("op %d = %+v, want %+v", i, fc.alters[0].ops[i], want[i])
		}
	}
}

func TestIncrementalAlterConfigsErrors(t *testing.T) {
	set := kmsg.IncrementalAlterConfigOpSet
	tests := []struct {
		name string
		typ  kmsg.ConfigResourceType
		ops  []incOp
		code int16
		msg  string
	}{
		{"unknown key", kmsg.ConfigResourceTypeTopic, []incOp{{"no.such", set, strp("1")}}, 40, "Unknown topic config name: no.such"},
		{"bad value", kmsg.ConfigResourceTypeTopic, []incOp{{"retention.ms", set, strp("-5")}}, 40, ""},
		{"null set", kmsg.ConfigResourceTypeTopic, []incOp{{"retention.ms", set, nil}}, 40, "Null value not supported for topic configs: retention.ms"},
		{"append to non-list", kmsg.ConfigResourceTypeTopic, []incOp{{"retention.ms", kmsg.IncrementalAlterConfigOpAppend, strp("1")}}, 40,
			"Config value append is not allowed for config key: retention.ms"},
		{"subtract from non-list", kmsg.ConfigResourceTypeTopic, []incOp{{"segment.bytes", kmsg.IncrementalAlterConfigOpSubtract, strp("1")}}, 40,
			"Config value subtract is not allowed for config key: segment.bytes"},
		{"unknown op", kmsg.ConfigResourceTypeTopic, []incOp{{"retention.ms", 9, strp("1")}}, 42, "Unknown operation 9 for config key: retention.ms"},
		{"duplicate key", kmsg.ConfigResourceTypeTopic, []incOp{{"retention.ms", set, strp("1")}, {"retention.ms", kmsg.IncrementalAlterConfigOpDelete, nil}}, 42,
			"Error due to duplicate config keys"},
		{"broker", kmsg.ConfigResourceTypeBroker, []incOp{{"log.cleaner.threads", set, strp("2")}}, 42, "Node id must be an integer, but it is: orders"},
		{"broker logger", kmsg.ConfigResourceTypeBrokerLogger, []incOp{{"root", set, strp("DEBUG")}}, 42, "dynamic broker configs are not supported yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, fc := newAdminHandler()
			r := h.incrementalAlterConfigs(context.Background(), incReq(tt.typ, "orders", tt.ops...)).(*kmsg.IncrementalAlterConfigsResponse).Resources[0]
			if r.ErrorCode != tt.code || r.ErrorMessage == nil || (tt.msg != "" && *r.ErrorMessage != tt.msg) {
				t.Fatalf("got %d %q, want %d %q", r.ErrorCode, msgOf(r.ErrorMessage), tt.code, tt.msg)
			}
			if len(fc.alters) != 0 {
				t.Errorf("controller called: %+v", fc.alters)
			}
		})
	}
}

// Kafka's reassign-partitions --verify clears replication throttles with
// DELETEs on every broker: deleting configs that are not set is a no-op,
// not an error, as on Kafka. A SET of a key that cannot change at runtime
// is refused.
func TestIncrementalAlterConfigsBrokerDeletes(t *testing.T) {
	del := kmsg.IncrementalAlterConfigOpDelete
	tests := []struct {
		name string
		ops  []incOp
		code int16
	}{
		{"throttle deletes", []incOp{{"leader.replication.throttled.rate", del, nil},
			{"follower.replication.throttled.rate", del, nil}, {"replica.alter.log.dirs.io.max.bytes.per.second", del, nil}}, 0},
		{"delete and set", []incOp{{"leader.replication.throttled.rate", del, nil}, {"log.dirs", kmsg.IncrementalAlterConfigOpSet, strp("/x")}}, 42},
		{"duplicate delete", []incOp{{"leader.replication.throttled.rate", del, nil}, {"leader.replication.throttled.rate", del, nil}}, 42},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, fc := newAdminHandler()
			r := h.incrementalAlterConfigs(context.Background(), incReq(kmsg.ConfigResourceTypeBroker, "1", tt.ops...)).(*kmsg.IncrementalAlterConfigsResponse).Resources[0]
			if r.ErrorCode != tt.code {
				t.Fatalf("got %d %q, want %d", r.ErrorCode, msgOf(r.ErrorMessage), tt.code)
			}
			if len(fc.alters) != 0 {
				t.Errorf("controller called: %+v", fc.alters)
			}
		})
	}
}

func TestIncrementalAlterConfigsResources(t *testing.T) {
	h, fc := newAdminHandler()
	fc.errs["logs"] = &kindError{controller.ErrInvalidConfig, "bad final value"}
	req := incReq(kmsg.ConfigResourceTypeTopic, "orders", incOp{"retention.ms", kmsg.IncrementalAlterConfigOpSet, strp("1")})
	req.Resources = append(req.Resources, req.Resources[0])
	logs := req.Resources[0]
	logs.ResourceName = "logs"
	req.Resources = append(req.Resources, logs)
	req.ValidateOnly = true
	resp := h.incrementalAlterConfigs(context.Background(), req).(*kmsg.IncrementalAlterConfigsResponse)
	codes := []int16{42, 42, 40}
	for i, r := range resp.Resources {
		if r.ErrorCode != codes[i] {
			t.Errorf("resource %d (%s): code %d, want %d", i, r.ResourceName, r.ErrorCode, codes[i])
		}
	}
	if len(resp.Resources) != 3 || len(fc.alters) != 1 || fc.alters[0].name != "logs" || !fc.alters[0].validateOnly {
		t.Errorf("results %d, controller calls %+v", len(resp.Resources), fc.alters)
	}
}
