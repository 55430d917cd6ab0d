package handler

// IncrementalAlterConfigs, versions 0–1.
//
// Kafka: each config of a resource carries an operation: SET (0) a value,
// DELETE (1) the override (back to the default), APPEND (2) or SUBTRACT (3)
// items of a list-type config. Keys not named keep their values. Each
// resource is answered on its own; a resource named twice and a key named
// twice in one resource are INVALID_REQUEST; an unknown key, a bad value,
// or APPEND/SUBTRACT on a config that is not a list is INVALID_CONFIG; an
// unknown topic is UNKNOWN_TOPIC_OR_PARTITION. ValidateOnly checks and
// changes nothing. A DELETE of an unknown topic key succeeds (Kafka 4.4
// checks only the names of the configs that remain): MirrorMaker 2 sends a
// DELETE for every config left at its default on the source cluster, so a
// Kafka 4.4 source names configs Samsa does not have.
//
// Samsa: TOPIC as Kafka: operations are checked here, then applied by the
// controller, which validates the resulting values too. BROKER changes
// dynamic broker configs (broker_configs.go); deleting one that is not set
// changes nothing and succeeds, as on Kafka (reassign-partitions --verify
// deletes its replication throttles so). BROKER_LOGGER is INVALID_REQUEST
// ("dynamic broker configs are not supported yet"): Samsa has no runtime
// log levels.

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/controller"
)

var incrementalAlterConfigsAPI = api{key: kmsg.IncrementalAlterConfigs, min: 0, max: 1, serve: (*Handler).incrementalAlterConfigs,
	authz: authzIncrementalAlterConfigs, forward: (*Handler).brokerResourcesForwardable}

func (h *Handler) incrementalAlterConfigs(ctx context.Context, kreq kmsg.Request) kmsg.Response {
	req := kreq.(*kmsg.IncrementalAlterConfigsRequest)
	resp := req.ResponseKind().(*kmsg.IncrementalAlterConfigsResponse)
	dups := duplicates(req.Resources, func(r kmsg.IncrementalAlterConfigsRequestResource) string {
		return configResourceKey(r.ResourceType, r.ResourceName)
	})
	for i := range req.Resources {
		r := &req.Resources[i]
		err := errDuplicateResource
		if !dups[configResourceKey(r.ResourceType, r.ResourceName)] {
			err = h.incrementalAlterResource(ctx, r, req.ValidateOnly)
		}
		rr := kmsg.NewIncrementalAlterConfigsResponseResource()
		rr.ResourceType = r.ResourceType
		rr.ResourceName = r.ResourceName
		rr.ErrorCode = errorCode(err)
		rr.ErrorMessage = errorMessage(err)
		resp.Resources = append(resp.Resources, rr)
	}
	return resp
}

func (h *Handler) incrementalAlterResource(ctx context.Context, r *kmsg.IncrementalAlterConfigsRequestResource, validateOnly bool) error {
	if r.ResourceType == kmsg.ConfigResourceTypeBroker {
		ops, err := incrementalBrokerOps(r.Configs)
		if err != nil {
			return err
		}
		return h.alterBrokerConfig(ctx, r.ResourceName, ops, false, validateOnly)
	}
	if err := configResourceSupported(r.ResourceType); err != nil {
		return err
	}
	ops, err := incrementalOps(r.Configs)
	if err != nil {
		return err
	}
	return h.alterTopicConfig(ctx, r.ResourceName, ops, false, validateOnly)
}

// incrementalOps checks a resource's operations and converts them.
func incrementalOps(cfgs []kmsg.IncrementalAlterConfigsRequestResourceConfig) ([]controller.ConfigOp, error) {
	dups := duplicates(cfgs, func(c kmsg.IncrementalAlterConfigsRequestResourceConfig) string { return c.Name })
	if len(dups) > 0 {
		return nil, errDuplicateConfigKey
	}
	ops := make([]controller.ConfigOp, 0, len(cfgs))
	for _, c := range cfgs {
		op, err := incrementalOp(c)
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// incrementalOp checks one operation against the topic config table.
func incrementalOp(c kmsg.IncrementalAlterConfigsRequestResourceConfig) (controller.ConfigOp, error) {
	op := controller.ConfigOp{Key: c.Name}
	if c.Op == kmsg.IncrementalAlterConfigOpDelete {
		// Known or not: removing an override that is not there changes
		// nothing, and the controller validates what remains.
		op.Op = controller.OpDelete
		return op, nil
	}
	def, ok := config.LookupTopicConfig(c.Name)
	if !ok {
		return op, fmt.Errorf("%w: Unknown topic config name: %s", config.ErrUnknownTopicConfig, c.Name)
	}
	switch c.Op {
	case kmsg.IncrementalAlterConfigOpSet:
		op.Op = controller.OpSet
	case kmsg.IncrementalAlterConfigOpAppend, kmsg.IncrementalAlterConfigOpSubtract:
		if def.Type != config.List {
			return op, fmt.Errorf("%w: Config value %s is not allowed for config key: %s",
				config.ErrInvalidConfigValue, listOpName(c.Op), c.Name)
		}
		op.Op = controller.OpAppend
		if c.Op == kmsg.IncrementalAlterConfigOpSubtract {
			op.Op = controller.OpSubtract
		}
	default:
		return op, fmt.Errorf("%w: Unknown operation %d for config key: %s", errInvalidRequest, c.Op, c.Name)
	}
	if c.Value == nil {
		return op, nullConfigValue(c.Name)
	}
	op.Value = *c.Value
	return op, def.Validate(op.Value)
}

func listOpName(op kmsg.IncrementalAlterConfigOp) string {
	if op == kmsg.IncrementalAlterConfigOpAppend {
		return "append"
	}
	return "subtract"
}
