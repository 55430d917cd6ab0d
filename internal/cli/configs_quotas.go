package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Client quotas (kafka-configs.sh --entity-type clients|users):
//
//	--alter --add-config producer_byte_rate=1048576,consumer_byte_rate=2097152 --entity-type clients --entity-name app
//	--alter --delete-config request_percentage --entity-type users --entity-default
//	--describe --entity-type clients [--entity-name app | --entity-default]
//
// A users entity goes here when every key altered is a quota key (SCRAM
// credentials are configs_users.go's).

// quotaKeys are the client-quota keys Kafka defines.
var quotaKeys = map[string]bool{"producer_byte_rate": true, "consumer_byte_rate": true, "request_percentage": true}

// wantsQuotas reports whether the command is about client quotas.
func (o *configsOptions) wantsQuotas() bool {
	switch o.entityType {
	case "clients":
		return true
	case "users":
		if o.entityDefault {
			return true
		}
		if !o.alter {
			return false
		}
		keys := append([]string(nil), o.deleteConfig...)
		items, err := splitConfigList(o.addConfig)
		if err != nil {
			return false
		}
		for _, it := range items {
			k, _, _ := strings.Cut(it, "=")
			keys = append(keys, k)
		}
		for _, k := range keys {
			for _, part := range strings.Split(k, ",") {
				if p := strings.TrimSpace(part); p != "" && !quotaKeys[p] {
					return false
				}
			}
		}
		return len(keys) > 0
	}
	return false
}

// quotaEntityType is the protocol's name of the entity type.
func (o *configsOptions) quotaEntityType() string {
	if o.entityType == "clients" {
		return "client-id"
	}
	return "user"
}

func (o *configsOptions) runQuotas(ctx context.Context, cc *clientConfig, out io.Writer) error {
	if o.entityName == "" && !o.entityDefault && o.alter {
		return usageErrorf("--alter --entity-type %s needs --entity-name or --entity-default", o.entityType)
	}
	cl, err := cc.connect(ctx)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := cc.withTimeout(ctx)
	defer cancel()
	if o.alter {
		return o.alterQuotas(ctx, cc, cl, out)
	}
	return o.describeQuotas(ctx, cc, cl, out)
}

func (o *configsOptions) quotaEntityLabel() string {
	if o.entityDefault || o.entityName == "" {
		return "the default " + o.quotaEntityType()
	}
	return fmt.Sprintf("%s '%s'", o.quotaEntityType(), o.entityName)
}

func (o *configsOptions) alterQuotas(ctx context.Context, cc *clientConfig, cl *kgo.Client, out io.Writer) error {
	entry := kmsg.NewAlterClientQuotasRequestEntry()
	ent := kmsg.NewAlterClientQuotasRequestEntryEntity()
	ent.Type = o.quotaEntityType()
	if !o.entityDefault {
		ent.Name = kmsg.StringPtr(o.entityName)
	}
	entry.Entity = append(entry.Entity, ent)
	items, err := splitConfigList(o.addConfig)
	if err != nil {
		return err
	}
	for _, it := range items {
		k, v, _ := strings.Cut(it, "=")
		k = strings.TrimSpace(k)
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if !quotaKeys[k] || err != nil {
			return usageErrorf("--add-config %s: want producer_byte_rate, consumer_byte_rate or request_percentage with a number", it)
		}
		op := kmsg.NewAlterClientQuotasRequestEntryOp()
		op.Key, op.Value = k, f
		entry.Ops = append(entry.Ops, op)
	}
	for _, list := range o.deleteConfig {
		for _, k := range splitList(list) {
			if !quotaKeys[k] {
				return usageErrorf("--delete-config %s: not a quota key", k)
			}
			op := kmsg.NewAlterClientQuotasRequestEntryOp()
			op.Key, op.Remove = k, true
			entry.Ops = append(entry.Ops, op)
		}
	}
	req := kmsg.NewPtrAlterClientQuotasRequest()
	req.Entries = append(req.Entries, entry)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return cc.timeoutError("alter client quotas", err)
	}
	if err := answeredAll("alter quotas of "+o.quotaEntityLabel(), len(resp.Entries), len(req.Entries)); err != nil {
		return err
	}
	for _, e := range resp.Entries {
		if err := kerr.ErrorForCode(e.ErrorCode); err != nil {
			return fmt.Errorf("alter quotas of %s: %s", o.quotaEntityLabel(), brokerMessage(err, e.ErrorMessage))
		}
	}
	fmt.Fprintf(out, "Completed updating config for %s.\n", o.quotaEntityLabel())
	return nil
}

func (o *configsOptions) describeQuotas(ctx context.Context, cc *clientConfig, cl *kgo.Client, out io.Writer) error {
	req := kmsg.NewPtrDescribeClientQuotasRequest()
	comp := kmsg.NewDescribeClientQuotasRequestComponent()
	comp.EntityType = o.quotaEntityType()
	switch {
	case o.entityDefault:
		comp.MatchType = 1
	case o.entityName != "":
		comp.MatchType, comp.Match = 0, kmsg.StringPtr(o.entityName)
	default:
		comp.MatchType = 2
	}
	req.Components = append(req.Components, comp)
	req.Strict = true
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return cc.timeoutError("describe client quotas", err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return fmt.Errorf("describe client quotas: %s", brokerMessage(err, resp.ErrorMessage))
	}
	for _, e := range resp.Entries {
		label := "the default " + comp.EntityType
		if len(e.Entity) > 0 && e.Entity[0].Name != nil {
			label = fmt.Sprintf("%s '%s'", e.Entity[0].Type, *e.Entity[0].Name)
		}
		var vals []string
		for _, v := range e.Values {
			vals = append(vals, fmt.Sprintf("%s=%s", v.Key, strconv.FormatFloat(v.Value, 'f', 1, 64)))
		}
		sort.Strings(vals)
		fmt.Fprintf(out, "Quota configs for %s are %s\n", label, strings.Join(vals, ", "))
	}
	return nil
}
