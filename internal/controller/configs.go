package controller

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// OpType is an IncrementalAlterConfigs operation; the values are Kafka's.
type OpType int8

// Config operations.
const (
	OpSet      OpType = 0
	OpDelete   OpType = 1
	OpAppend   OpType = 2 // add items to a list-type value
	OpSubtract OpType = 3 // remove items from a list-type value
)

// ConfigOp is one change to a topic config key.
type ConfigOp struct {
	Key   string
	Value string
	Op    OpType
}

// AlterTopicConfig changes a topic's config overrides. With replaceAll
// (legacy AlterConfigs) the OpSet entries become the complete set of
// overrides. Append and Subtract start from the override, or from
// Config.DefaultTopicConfig when the key has none.
func (c *Controller) AlterTopicConfig(ctx context.Context, name string, ops []ConfigOp, replaceAll bool, validateOnly bool) error {
	c.proposeMu.Lock()
	defer c.proposeMu.Unlock()
	if !c.IsLeader() {
		return c.notController()
	}
	t, ok := c.Image().Topic(name)
	if !ok {
		return unknownTopicErr(name)
	}
	base := t.Configs
	if replaceAll {
		base = nil
	}
	final, err := c.applyOps(base, ops)
	if err != nil {
		return err
	}
	if err := c.validateConfigs(final); err != nil {
		return err
	}
	if validateOnly {
		return nil
	}
	rec := configDiff(name, t.Configs, final)
	rec.ReplaceAll = replaceAll
	if err := c.propose(ctx, RecordConfigChange, rec); err != nil {
		return err
	}
	if t.Configs[minInsyncReplicasKey] != final[minInsyncReplicasKey] {
		return c.clearELRLocked(ctx, []string{name}) // elr_config.go
	}
	return nil
}

// applyOps returns a copy of overrides with ops applied in order.
func (c *Controller) applyOps(overrides map[string]string, ops []ConfigOp) (map[string]string, error) {
	out := maps.Clone(overrides)
	if out == nil {
		out = map[string]string{}
	}
	for _, op := range ops {
		switch op.Op {
		case OpSet:
			out[op.Key] = op.Value
		case OpDelete:
			delete(out, op.Key)
		case OpAppend, OpSubtract:
			cur, ok := out[op.Key]
			if !ok {
				cur = c.defaultConfig(op.Key)
			}
			out[op.Key] = EditList(cur, op.Value, op.Op == OpAppend)
		default:
			return nil, domainErr(ErrInvalidConfig, fmt.Sprintf("Unknown config operation %d for %s.", op.Op, op.Key))
		}
	}
	return out, nil
}

// EditList adds (or removes) the comma-separated items of change to (from)
// the comma-separated list cur, keeping order and avoiding duplicates.
func EditList(cur, change string, add bool) string {
	items := splitList(cur)
	for _, item := range splitList(change) {
		has := slices.Contains(items, item)
		switch {
		case add && !has:
			items = append(items, item)
		case !add && has:
			items = slices.DeleteFunc(items, func(s string) bool { return s == item })
		}
	}
	return strings.Join(items, ",")
}

func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// configDiff returns the record that turns overrides old into new.
func configDiff(topic string, old, new map[string]string) *ConfigChangeRecord {
	rec := &ConfigChangeRecord{Topic: topic, Set: map[string]string{}}
	for k, v := range new {
		if ov, ok := old[k]; !ok || ov != v {
			rec.Set[k] = v
		}
	}
	for k := range old {
		if _, ok := new[k]; !ok {
			rec.Delete = append(rec.Delete, k)
		}
	}
	slices.Sort(rec.Delete)
	return rec
}

// validateConfigs checks every key and value with Config.ValidateConfig.
func (c *Controller) validateConfigs(configs map[string]string) error {
	if c.cfg.ValidateConfig == nil {
		return nil
	}
	for _, k := range slices.Sorted(maps.Keys(configs)) {
		if err := c.cfg.ValidateConfig(k, configs[k]); err != nil {
			return configErr(err)
		}
	}
	return nil
}

func (c *Controller) defaultConfig(key string) string {
	if c.cfg.DefaultTopicConfig == nil {
		return ""
	}
	v, _ := c.cfg.DefaultTopicConfig(key)
	return v
}
