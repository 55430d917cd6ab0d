package handler

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/controller"
)

func alterReq(resources ...kmsg.AlterConfigsRequestResource) *kmsg.AlterConfigsRequest {
	req := kmsg.NewPtrAlterConfigsRequest()
	req.Version = 2
	req.Resources = resources
	return req
}

func alterResource(typ kmsg.ConfigResourceType, name string, kv ...string) kmsg.AlterConfigsRequestResource {
	r := kmsg.NewAlterConfigsRequestResource()
	r.ResourceType, r.ResourceName = typ, name
	for i := 0; i+1 < len(kv); i += 2 {
		r.Configs = append(r.Configs, kmsg.AlterConfigsRequestResourceConfig{Name: kv[i], Value: strp(kv[i+1])})
	}
	return r
}

func TestAlterConfigsTopic(t *testing.T) {
	h, fc := newAdminHandler()
	req := alterReq(alterResource(kmsg.ConfigResourceTypeTopic, "orders", "retention.ms", "2000", "cleanup.policy", "compact"))
	req.ValidateOnly = true
	resp := h.alterConfigs(context.Background(), req).(*kmsg.AlterConfigsResponse)
	r := resp.Resources[0]
	if r.ErrorCode != 0 || r.ResourceName != "orders" || r.ResourceType != kmsg.ConfigResourceTypeTopic {
		t.Fatalf("got %+v (%s)", r, msgOf(r.ErrorMessage))
	}
	if len(fc.alters) != 1 {
		t.Fatalf("controller calls %+v", fc.alters)
	}
	call := fc.alters[0]
	want := []controller.ConfigOp{
		{Key: "retention.ms", Value: "2000", Op: controller.OpSet},
		{Key: "cleanup.policy", Value: "compact", Op: controller.OpSet},
	}
	if call.name != "orders" || !call.replaceAll || !call.validateOnly || len(call.ops) != len(want) {
		t.Fatalf("controller call %+v", call)
	}
	for i := range want {
		if call.ops[i] != want[i] {
			t.Errorf("op %d = %+v, want %+v", i, call.ops[i], want[i])
		}
	}
}

func TestAlterConfigsErrors(t *testing.T) {
	nullValue := alterResource(kmsg.ConfigResourceTypeTopic, "orders")
	nullValue.Configs = []kmsg.AlterConfigsRequestResourceConfig{{Name: "retention.ms"}}
	tests := []struct {
		name     string
		resource kmsg.AlterConfigsRequestResource
		ctrlErr  error
		code     int16
		msg      string
	}{
		{"unknown key", alterResource(kmsg.ConfigResourceTypeTopic, "orders", "no.such", "1"), nil, 40, "Unknown topic config name: no.such"},
		{"bad value", alterResource(kmsg.ConfigResourceTypeTopic, "orders", "segment.bytes", "big"), nil, 40, ""},
		{"null value", nullValue, nil, 40, "Null value not supported for topic configs: retention.ms"},
		{"duplicate key", alterResource(kmsg.ConfigResourceTypeTopic, "orders", "retention.ms", "1", "retention.ms", "2"), nil, 42,
			"Error due to duplicate config keys"},
		{"bad topic name", alterResource(kmsg.ConfigResourceTypeTopic, "", "retention.ms", "1"), nil, 17, "Topic name is illegal, it can't be empty"},
		{"broker", alterResource(kmsg.ConfigResourceTypeBroker, "1", "num.io.threads", "4"), nil, 42, "Cannot update these configs dynamically: [num.io.threads]"},
		{"broker logger", alterResource(kmsg.ConfigResourceTypeBrokerLogger, "1", "kafka", "DEBUG"), nil, 42, "dynamic broker configs are not supported yet"},
		{"unknown topic", alterResource(kmsg.ConfigResourceTypeTopic, "orders", "retention.ms", "1"),
			&kindError{controller.ErrUnknownTopic, "Topic 'orders' does not exist."}, 3, "Topic 'orders' does not exist."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, fc := newAdminHandler()
			fc.errs["orders"] = tt.ctrlErr
			r := h.alterConfigs(context.Background(), alterReq(tt.resource)).(*kmsg.AlterConfigsResponse).Resources[0]
			if r.ErrorCode != tt.code || r.ErrorMessage == nil || (tt.msg != "" && *r.ErrorMessage != tt.msg) {
				t.Fatalf("got %d %q, want %d %q", r.ErrorCode, msgOf(r.ErrorMessage), tt.code, tt.msg)
			}
			if asked := len(fc.alters) == 1; asked != (tt.ctrlErr != nil) {
				t.Errorf("controller calls %+v", fc.alters)
			}
		})
	}
}

func TestAlterConfigsDuplicateResources(t *testing.T) {
	h, fc := newAdminHandler()
	resp := h.alterConfigs(context.Background(), alterReq(
		alterResource(kmsg.ConfigResourceTypeTopic, "orders", "retention.ms", "1"),
		alterResource(kmsg.ConfigResourceTypeTopic, "logs", "retention.ms", "1"),
		alterResource(kmsg.ConfigResourceTypeTopic, "orders", "retention.ms", "2"),
	)).(*kmsg.AlterConfigsResponse)
	codes := []int16{42, 0, 42}
	if len(resp.Resources) != len(codes) {
		t.Fatalf("got %d results", len(resp.Resources))
	}
	for i, r := range resp.Resources {
		if r.ErrorCode != codes[i] {
			t.Errorf("resource %d (%s): code %d, want %d", i, r.ResourceName, r.ErrorCode, codes[i])
		}
	}
	if len(fc.alters) != 1 || fc.alters[0].name != "logs" {
		t.Errorf("controller calls %+v, want only logs", fc.alters)
	}
}
