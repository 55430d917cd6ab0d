package cli

import (
	"context"
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// matchingTopics returns the metadata of the topics --topic selects, sorted.
// Internal topics are left out only with --exclude-internal.
func (t *topicsRun) matchingTopics(ctx context.Context) ([]kadm.TopicDetail, error) {
	all, err := t.adm.ListTopicsWithInternal(ctx)
	if err != nil {
		return nil, t.cc.timeoutError("list topics", err)
	}
	match := topicMatcher(t.o.topic)
	var out []kadm.TopicDetail
	for _, d := range all.Sorted() {
		if d.Err != nil || !match(d.Topic) || (d.IsInternal && t.o.excludeInternal) {
			continue
		}
		out = append(out, d)
	}
	return out, nil
}

// requireTopics fails as Kafka does when --topic names no existing topic,
// unless --if-exists was given.
func (t *topicsRun) requireTopics(found []kadm.TopicDetail) error {
	if len(found) == 0 && t.o.topic != "" && !t.o.ifExists {
		return fmt.Errorf("topic '%s' does not exist as expected", t.o.topic)
	}
	return nil
}

func (t *topicsRun) listTopics(ctx context.Context) error {
	topics, err := t.matchingTopics(ctx)
	if err != nil {
		return err
	}
	for _, d := range topics {
		fmt.Fprintln(t.out, d.Topic)
	}
	return nil
}

func (t *topicsRun) describeTopics(ctx context.Context) error {
	topics, err := t.matchingTopics(ctx)
	if err != nil {
		return err
	}
	if err := t.requireTopics(topics); err != nil {
		return err
	}
	configs, err := t.overrides(ctx, topics)
	if err != nil {
		return err
	}
	onlyPartitions := t.o.underReplicated || t.o.unavailable
	for _, d := range topics {
		if !onlyPartitions && (!t.o.withOverrides || len(configs[d.Topic]) > 0) {
			fmt.Fprintln(t.out, formatTopicLine(d, configs[d.Topic]))
		}
		if t.o.withOverrides {
			continue
		}
		for _, p := range d.Partitions.Sorted() {
			if t.o.underReplicated && len(p.ISR) >= len(p.Replicas) {
				continue
			}
			if t.o.unavailable && p.Leader >= 0 {
				continue
			}
			fmt.Fprintln(t.out, formatPartitionLine(p))
		}
	}
	return nil
}

// overrides returns, per topic, the "k=v" configs whose source is not the
// built-in default, sorted by key: what Kafka shows after "Configs:".
func (t *topicsRun) overrides(ctx context.Context, topics []kadm.TopicDetail) (map[string][]string, error) {
	names := make([]string, 0, len(topics))
	for _, d := range topics {
		names = append(names, d.Topic)
	}
	out := map[string][]string{}
	if len(names) == 0 {
		return out, nil
	}
	rcs, err := t.adm.DescribeTopicConfigs(ctx, names...)
	if err != nil {
		return nil, t.cc.timeoutError("describe topic configs", err)
	}
	for _, rc := range rcs {
		if rc.Err == nil {
			out[rc.Name] = nonDefaultConfigs(rc.Configs)
		}
	}
	return out, nil
}

// nonDefaultConfigs formats the configs not at their built-in default.
func nonDefaultConfigs(cs []kadm.Config) []string {
	var kvs []string
	for _, c := range cs {
		if c.Source == kmsg.ConfigSourceDefaultConfig {
			continue
		}
		v := c.MaybeValue()
		if c.Sensitive {
			v = "null"
		}
		kvs = append(kvs, c.Key+"="+v)
	}
	sort.Strings(kvs)
	return kvs
}

// formatTopicLine renders the topic line of --describe as Kafka does.
func formatTopicLine(d kadm.TopicDetail, configs []string) string {
	rf := 0
	if ps := d.Partitions.Sorted(); len(ps) > 0 {
		rf = len(ps[0].Replicas)
	}
	return fmt.Sprintf("Topic: %s\tTopicId: %s\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: %s",
		d.Topic, formatUUID(d.ID), len(d.Partitions), rf, strings.Join(configs, ","))
}

// formatPartitionLine renders one partition line of --describe.
func formatPartitionLine(p kadm.PartitionDetail) string {
	leader := "none"
	if p.Leader >= 0 {
		leader = strconv.Itoa(int(p.Leader))
	}
	line := fmt.Sprintf("\tTopic: %s\tPartition: %d\tLeader: %s\tReplicas: %s\tIsr: %s",
		p.Topic, p.Partition, leader, joinIDs(p.Replicas), joinIDs(p.ISR))
	if len(p.OfflineReplicas) > 0 {
		line += "\tOffline: " + joinIDs(p.OfflineReplicas)
	}
	return line
}

// formatUUID prints a Kafka Uuid as Kafka does: URL-safe base64, no padding.
func formatUUID(id [16]byte) string {
	return base64.RawURLEncoding.EncodeToString(id[:])
}

func joinIDs(ids []int32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(int(id))
	}
	return strings.Join(s, ",")
}
