package cli

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// configTarget is one entity whose configs --describe prints.
type configTarget struct {
	label    string            // "topic t", "broker 1" or "" for the cluster default
	source   kmsg.ConfigSource // the source listed without --all
	describe func(context.Context, *kadm.Client) (kadm.ResourceConfigs, error)
}

func topicTarget(name string) configTarget {
	return configTarget{
		label:  "topic " + name,
		source: kmsg.ConfigSourceDynamicTopicConfig,
		describe: func(ctx context.Context, adm *kadm.Client) (kadm.ResourceConfigs, error) {
			return adm.DescribeTopicConfigs(ctx, name)
		},
	}
}

func brokerTarget(id int32) configTarget {
	return configTarget{
		label:  "broker " + strconv.Itoa(int(id)),
		source: kmsg.ConfigSourceDynamicBrokerConfig,
		describe: func(ctx context.Context, adm *kadm.Client) (kadm.ResourceConfigs, error) {
			return adm.DescribeBrokerConfigs(ctx, id)
		},
	}
}

func brokerDefaultTarget() configTarget {
	return configTarget{
		source: kmsg.ConfigSourceDynamicDefaultBrokerConfig,
		describe: func(ctx context.Context, adm *kadm.Client) (kadm.ResourceConfigs, error) {
			return adm.DescribeBrokerConfigs(ctx)
		},
	}
}

// describeTargets lists what to describe: the named entity, or, without a
// name, every topic, or every broker followed by the cluster default.
func (o *configsOptions) describeTargets(ctx context.Context, adm *kadm.Client) ([]configTarget, error) {
	switch {
	case o.entityType == "topics" && o.entityName != "":
		return []configTarget{topicTarget(o.entityName)}, nil
	case o.entityType == "topics":
		topics, err := adm.ListTopicsWithInternal(ctx)
		if err != nil {
			return nil, err
		}
		var ts []configTarget
		for _, name := range topics.Names() {
			ts = append(ts, topicTarget(name))
		}
		return ts, nil
	case o.entityDefault:
		return []configTarget{brokerDefaultTarget()}, nil
	case o.entityName != "":
		id, _ := strconv.ParseInt(o.entityName, 10, 32)
		return []configTarget{brokerTarget(int32(id))}, nil
	}
	brokers, err := adm.ListBrokers(ctx)
	if err != nil {
		return nil, err
	}
	var ts []configTarget
	for _, id := range brokers.NodeIDs() {
		ts = append(ts, brokerTarget(id))
	}
	return append(ts, brokerDefaultTarget()), nil
}

// formatConfigDescription renders one entity as kafka-configs --describe
// does: a header, then one indented line per config, sorted by name.
func formatConfigDescription(label string, all bool, source kmsg.ConfigSource, cs []kadm.Config) string {
	var b strings.Builder
	switch {
	case label == "":
		b.WriteString("Default configs for brokers in the cluster are:\n")
	case all:
		fmt.Fprintf(&b, "All configs for %s are:\n", label)
	default:
		fmt.Fprintf(&b, "Dynamic configs for %s are:\n", label)
	}
	sorted := append([]kadm.Config(nil), cs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Key < sorted[j].Key })
	for _, c := range sorted {
		if !all && c.Source != source {
			continue
		}
		fmt.Fprintf(&b, "  %s=%s sensitive=%t synonyms={%s}\n", c.Key, configValue(c.Value, c.Sensitive), c.Sensitive, formatSynonyms(c))
	}
	return b.String()
}

func formatSynonyms(c kadm.Config) string {
	parts := make([]string, 0, len(c.Synonyms))
	for _, s := range c.Synonyms {
		parts = append(parts, fmt.Sprintf("%s:%s=%s", s.Source, s.Key, configValue(s.Value, c.Sensitive)))
	}
	return strings.Join(parts, ", ")
}

// configValue prints a config value as Kafka does: "null" when absent or
// sensitive.
func configValue(v *string, sensitive bool) string {
	if v == nil || sensitive {
		return "null"
	}
	return *v
}
