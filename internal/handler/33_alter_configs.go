package handler

// AlterConfigs, versions 0–2.
//
// Kafka: the legacy, non-incremental API: the configs given for a resource
// replace all of its dynamic configs (a key left out goes back to its
// default). Each resource is answered on its own; a resource named twice
// and a key given twice in one resource are INVALID_REQUEST; an unknown
// key or a bad value is INVALID_CONFIG; an unknown topic is
// UNKNOWN_TOPIC_OR_PARTITION. ValidateOnly checks and changes nothing.
// BROKER resources change dynamic broker configs.
//
// Samsa: TOPIC as Kafka: every key and value is checked here, then the
// controller replaces the topic's overrides (replaceAll). BROKER replaces
// the resource's dynamic broker configs (broker_configs.go). BROKER_LOGGER
// is INVALID_REQUEST, as on Kafka (legacy AlterConfigs has no loggers).

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/controller"
)

var alterConfigsAPI = api{key: kmsg.AlterConfigs, min: 0, max: 2, serve: (*Handler).alterConfigs,
	authz: authzAlterConfigs, forward: (*Handler).brokerResourcesForwardable}

var (
	errDynamicBrokerConfigs = fmt.Errorf("%w: dynamic broker configs are not supported yet", errInvalidRequest)
	errDuplicateResource    = fmt.Errorf("%w: Each resource must appear at most once.", errInvalidRequest)
	errDuplicateConfigKey   = fmt.Errorf("%w: Error due to duplicate config keys", errInvalidRequest)
)

func (h *Handler) alterConfigs(ctx context.Context, kreq kmsg.Request) kmsg.Response {
	req := kreq.(*kmsg.AlterConfigsRequest)
	resp := req.ResponseKind().(*kmsg.AlterConfigsResponse)
	dups := duplicates(req.Resources, func(r kmsg.AlterConfigsRequestResource) string {
		return configResourceKey(r.ResourceType, r.ResourceName)
	})
	for i := range req.Resources {
		r := &req.Resources[i]
		err := errDuplicateResource
		if !dups[configResourceKey(r.ResourceType, r.ResourceName)] {
			err = h.alterResource(ctx, r, req.ValidateOnly)
		}
		rr := kmsg.NewAlterConfigsResponseResource()
		rr.ResourceType = r.ResourceType
		rr.ResourceName = r.ResourceName
		rr.ErrorCode = errorCode(err)
		rr.ErrorMessage = errorMessage(err)
		resp.Resources = append(resp.Resources, rr)
	}
	return resp
}

func (h *Handler) alterResource(ctx context.Context, r *kmsg.AlterConfigsRequestResource, validateOnly bool) error {
	if r.ResourceType == kmsg.ConfigResourceTypeBroker {
		ops, err := replaceBrokerOps(r.Configs)
		if err != nil {
			return err
		}
		return h.alterBrokerConfig(ctx, r.ResourceName, ops, true, validateOnly)
	}
	if err := configResourceSupported(r.ResourceType); err != nil {
		return err
	}
	ops, err := replaceOps(r.Configs)
	if err != nil {
		return err
	}
	return h.alterTopicConfig(ctx, r.ResourceName, ops, true, validateOnly)
}

// replaceOps checks the complete new set of a topic's overrides and
// returns it as OpSet operations.
func replaceOps(cfgs []kmsg.AlterConfigsRequestResourceConfig) ([]controller.ConfigOp, error) {
	dups := duplicates(cfgs, func(c kmsg.AlterConfigsRequestResourceConfig) string { return c.Name })
	if len(dups) > 0 {
		return nil, errDuplicateConfigKey
	}
	ops := make([]controller.ConfigOp, 0, len(cfgs))
	for _, c := range cfgs {
		if c.Value == nil {
			return nil, nullConfigValue(c.Name)
		}
		if err := checkTopicConfig(c.Name, *c.Value); err != nil {
			return nil, err
		}
		ops = append(ops, controller.ConfigOp{Key: c.Name, Value: *c.Value, Op: controller.OpSet})
	}
	return ops, nil
}

// configResourceSupported accepts the resource types whose configs can be
// altered: only TOPIC for now.
func configResourceSupported(typ kmsg.ConfigResourceType) error {
	switch typ {
	case kmsg.ConfigResourceTypeTopic:
		return nil
	case kmsg.ConfigResourceTypeBroker, kmsg.ConfigResourceTypeBrokerLogger:
		return errDynamicBrokerConfigs
	}
	return fmt.Errorf("%w: Unsupported resource type %s.", errInvalidRequest, typ)
}

// alterTopicConfig checks the topic name and has the controller apply ops.
// AlterConfigs and IncrementalAlterConfigs share it.
func (h *Handler) alterTopicConfig(ctx context.Context, name string, ops []controller.ConfigOp, replaceAll, validateOnly bool) error {
	if err := validateTopicName(name); err != nil {
		return err
	}
	return h.Controller.AlterTopicConfig(ctx, name, ops, replaceAll, validateOnly)
}

func configResourceKey(typ kmsg.ConfigResourceType, name string) string {
	return fmt.Sprintf("%d:%s", typ, name)
}

func nullConfigValue(name string) error {
	return fmt.Errorf("%w: Null value not supported for topic configs: %s", config.ErrInvalidConfigValue, name)
}
