package handler

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/controller"
	"github.com/samsa-io/samsa/internal/metadata"
)

// Dynamic broker configs (KIP-226) through AlterConfigs and
// IncrementalAlterConfigs on a BROKER resource.
//
// Kafka: the receiving broker checks the resource and the new values (its
// ConfigAdminManager), then the controller stores them. The name is ""
// (the cluster-wide default) or the receiving broker's own id; another id
// is INVALID_REQUEST "Unexpected broker id, expected <id>, but received
// <name>". The resource's complete new set of dynamic configs is checked:
// a key that cannot change at runtime is INVALID_REQUEST "Cannot update
// these configs dynamically: ...", a bad value INVALID_REQUEST "Invalid
// value ... for configuration ...". APPEND or SUBTRACT on a key that is
// not a list is INVALID_CONFIG. ValidateOnly checks and stores nothing.
//
// Samsa: as Kafka, for the keys config.DynamicBrokerKeys lists: those it
// applies at once on every node (see internal/config/dynamic.go). Kafka
// accepts more keys dynamically; Samsa refuses them as Kafka refuses a
// static key, rather than store a value it would not use.

// BrokerConfigControl is what dynamic broker configs need from the
// active controller; the controller package's *Controller satisfies it.
type BrokerConfigControl interface {
	AlterBrokerConfig(ctx context.Context, resource string, edit controller.BrokerConfigEdit, validateOnly bool) error
}

// brokerConfigOp is one change to a dynamic broker config.
type brokerConfigOp struct {
	key   string
	value string
	op    kmsg.IncrementalAlterConfigOp
}

// alterBrokerConfig applies ops to the dynamic configs of the BROKER
// resource name; with replaceAll (AlterConfigs) they replace them all.
func (h *Handler) alterBrokerConfig(ctx context.Context, name string, ops []brokerConfigOp, replaceAll, validateOnly bool) error {
	if err := h.checkAlterBrokerResource(name); err != nil {
		return err
	}
	bc, ok := h.Controller.(BrokerConfigControl)
	if !ok {
		return errDynamicBrokerConfigs
	}
	edit := func(current map[string]string) (map[string]string, error) {
		if replaceAll {
			current = map[string]string{}
		}
		for _, op := range ops {
			switch op.op {
			case kmsg.IncrementalAlterConfigOpSet:
				current[op.key] = op.value
			case kmsg.IncrementalAlterConfigOpDelete:
				delete(current, op.key)
			case kmsg.IncrementalAlterConfigOpAppend, kmsg.IncrementalAlterConfigOpSubtract:
				if brokerConfigType(op.key) != kmsg.ConfigTypeList {
					return nil, fmt.Errorf("%w: Config value %s is not allowed for config key: %s",
						config.ErrInvalidConfigValue, listOpName(op.op), op.key)
				}
				cur, ok := current[op.key]
				if !ok {
					cur = h.brokerKeyValue(op.key)
				}
				current[op.key] = controller.EditList(cur, op.value, op.op == kmsg.IncrementalAlterConfigOpAppend)
			}
		}
		if err := h.Config.CheckDynamic(current); err != nil {
			return nil, dynamicConfigError(err)
		}
		if err := h.checkCleanerThreads(name, current); err != nil {
			return nil, err
		}
		return current, nil
	}
	return bc.AlterBrokerConfig(ctx, name, edit, validateOnly)
}

// checkCleanerThreads applies Kafka's limits on a change of
// log.cleaner.threads (its LogCleaner.validateReconfiguration): at least
// 1, at least half and at most double the value the broker runs with. The
// broker is the resource's, or this one for the cluster-wide default.
func (h *Handler) checkCleanerThreads(resource string, final map[string]string) error {
	im := h.Image()
	broker := resource
	if broker == "" {
		broker = metadata.BrokerConfigResource(h.NodeID)
	}
	runs := func(dyn dynamicSources) int32 {
		return h.effectiveConfig(dyn).LogCleanerThreads
	}
	before := dynamicSources{broker: im.BrokerConfig(broker), clusterDefault: im.BrokerConfig(metadata.DefaultBrokerConfigResource)}
	after := before
	if resource == "" {
		after.clusterDefault = final
	} else {
		after.broker = final
	}
	current, next := runs(before), runs(after)
	switch {
	case next == current:
		return nil
	case next < current/2:
		return fmt.Errorf("%w: Log cleaner threads cannot be reduced to less than half the current value %d", errInvalidRequest, current)
	case next > current*2:
		return fmt.Errorf("%w: Log cleaner threads cannot be increased to more than double the current value %d", errInvalidRequest, current)
	}
	return nil
}

// brokerKeyValue is the value this broker runs a key with, the base of an
// APPEND or SUBTRACT on a key with no dynamic value.
func (h *Handler) brokerKeyValue(key string) string {
	if chain := h.brokerConfigChain(key, h.dynamicSources()); len(chain) > 0 && chain[0].Value != nil {
		return *chain[0].Value
	}
	return ""
}

// dynamicConfigError is a refused dynamic config as Kafka answers it:
// INVALID_REQUEST with the validation's message (KAFKA-13609).
func dynamicConfigError(err error) error {
	msg := err.Error()
	for _, sentinel := range []error{config.ErrNotDynamic, config.ErrInvalidConfigValue} {
		if errors.Is(err, sentinel) {
			msg = strings.TrimPrefix(msg, sentinel.Error()+": ")
		}
	}
	return fmt.Errorf("%w: %s", errInvalidRequest, msg)
}

// checkAlterBrokerResource accepts "" and this broker's id, with the
// messages of Kafka's ConfigAdminManager. The active controller also
// accepts the id of another registered broker: a broker that is not the
// controller checks the name (brokerResourcesForwardable) and forwards the
// request, which arrives here naming that broker. Kafka's envelope tells
// the controller it was forwarded; a forwarded Samsa request looks like a
// direct one, so a request sent straight to the controller naming another
// broker is accepted too.
func (h *Handler) checkAlterBrokerResource(name string) error {
	if name == "" {
		return nil
	}
	id, err := strconv.ParseInt(name, 10, 32)
	if err != nil {
		return fmt.Errorf("%w: Node id must be an integer, but it is: %s", errInvalidRequest, name)
	}
	if int32(id) == h.NodeID {
		return nil
	}
	if im := h.Image(); im.ControllerID == h.NodeID {
		if _, ok := im.Brokers[int32(id)]; ok {
			return nil
		}
	}
	return fmt.Errorf("%w: Unexpected broker id, expected %d, but received %s", errInvalidRequest, h.NodeID, name)
}

// brokerResourcesForwardable reports whether every BROKER resource of an
// AlterConfigs or IncrementalAlterConfigs request names "" or this broker,
// the check Kafka's broker makes before forwarding: the forward policy of
// both APIs. If one does not, the request is served here, which refuses it
// with Kafka's message.
func (h *Handler) brokerResourcesForwardable(req kmsg.Request) bool {
	var names []string
	switch r := req.(type) {
	case *kmsg.AlterConfigsRequest:
		for _, res := range r.Resources {
			if res.ResourceType == kmsg.ConfigResourceTypeBroker {
				names = append(names, res.ResourceName)
			}
		}
	case *kmsg.IncrementalAlterConfigsRequest:
		for _, res := range r.Resources {
			if res.ResourceType == kmsg.ConfigResourceTypeBroker {
				names = append(names, res.ResourceName)
			}
		}
	}
	for _, name := range names {
		if name != "" && name != metadata.BrokerConfigResource(h.NodeID) {
			return false
		}
	}
	return true
}

// incrementalBrokerOps converts a BROKER resource's operations.
func incrementalBrokerOps(cfgs []kmsg.IncrementalAlterConfigsRequestResourceConfig) ([]brokerConfigOp, error) {
	if len(duplicates(cfgs, func(c kmsg.IncrementalAlterConfigsRequestResourceConfig) string { return c.Name })) > 0 {
		return nil, errDuplicateConfigKey
	}
	var nulls []string
	ops := make([]brokerConfigOp, 0, len(cfgs))
	for _, c := range cfgs {
		switch c.Op {
		case kmsg.IncrementalAlterConfigOpSet, kmsg.IncrementalAlterConfigOpDelete,
			kmsg.IncrementalAlterConfigOpAppend, kmsg.IncrementalAlterConfigOpSubtract:
		default:
			return nil, fmt.Errorf("%w: Unknown operations type %d", errInvalidRequest, c.Op)
		}
		op := brokerConfigOp{key: c.Name, op: c.Op}
		if c.Value != nil {
			op.value = *c.Value
		} else if c.Op != kmsg.IncrementalAlterConfigOpDelete {
			nulls = append(nulls, c.Name)
		}
		ops = append(ops, op)
	}
	if len(nulls) > 0 {
		return nil, fmt.Errorf("%w: Null value not supported for : %s", errInvalidRequest, strings.Join(nulls, ", "))
	}
	return ops, nil
}

// replaceBrokerOps converts a legacy AlterConfigs BROKER resource.
func replaceBrokerOps(cfgs []kmsg.AlterConfigsRequestResourceConfig) ([]brokerConfigOp, error) {
	if len(duplicates(cfgs, func(c kmsg.AlterConfigsRequestResourceConfig) string { return c.Name })) > 0 {
		return nil, errDuplicateConfigKey
	}
	var nulls []string
	ops := make([]brokerConfigOp, 0, len(cfgs))
	for _, c := range cfgs {
		if c.Value == nil {
			nulls = append(nulls, c.Name)
			continue
		}
		ops = append(ops, brokerConfigOp{key: c.Name, value: *c.Value, op: kmsg.IncrementalAlterConfigOpSet})
	}
	if len(nulls) > 0 {
		return nil, fmt.Errorf("%w: Null value not supported for : %s", errInvalidRequest, strings.Join(nulls, ", "))
	}
	return ops, nil
}
