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
	configs, minISR, err := t.topicConfigs(ctx, topics)
	if err != nil {
		return err
	}
	elrs, err := t.eligibleLeaders(ctx, topics)
	if err != nil {
		return err
	}
	// As Kafka's tool: a report flag drops the topic lines, and a partition
	// is shown when it matches any of the report flags given.
	report := t.o.underReplicated || t.o.unavailable || t.o.underMinISR || t.o.atMinISR
	for _, d := range topics {
		if !report && (!t.o.withOverrides || len(configs[d.Topic]) > 0) {
			fmt.Fprintln(t.out, formatTopicLine(d, configs[d.Topic]))
		}
		if t.o.withOverrides {
			continue
		}
		for _, p := range d.Partitions.Sorted() {
			if !report || t.reported(p, minISR[d.Topic]) {
				fmt.Fprintln(t.out, formatPartitionLine(p, elrs))
			}
		}
	}
	return nil
}

// reported says whether a partition matches one of the report flags given;
// minISR is its topic's min.insync.replicas (0 if unknown).
func (t *topicsRun) reported(p kadm.PartitionDetail, minISR int) bool {
	noLeader := p.Leader < 0
	return (t.o.underReplicated && len(p.ISR) < len(p.Replicas)) ||
		(t.o.unavailable && noLeader) ||
		(t.o.underMinISR && (noLeader || len(p.ISR) < minISR)) ||
		(t.o.atMinISR && len(p.ISR) == minISR)
}

// topicConfigs returns, per topic, the "k=v" configs whose source is not
// the built-in default, sorted by key (what Kafka shows after "Configs:"),
// and the effective min.insync.replicas.
func (t *topicsRun) topicConfigs(ctx context.Context, topics []kadm.TopicDetail) (map[string][]string, map[string]int, error) {
	names := make([]string, 0, len(topics))
	for _, d := range topics {
		names = append(names, d.Topic)
	}
	out, minISR := map[string][]string{}, map[string]int{}
	if len(names) == 0 {
		return out, minISR, nil
	}
	rcs, err := t.adm.DescribeTopicConfigs(ctx, names...)
	if err != nil {
		return nil, nil, t.cc.timeoutError("describe topic configs", err)
	}
	for _, rc := range rcs {
		if rc.Err != nil {
			continue
		}
		out[rc.Name] = nonDefaultConfigs(rc.Configs)
		for _, c := range rc.Configs {
			if c.Key == "min.insync.replicas" {
				minISR[rc.Name], _ = strconv.Atoi(c.MaybeValue())
			}
		}
	}
	return out, minISR, nil
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

// formatPartitionLine renders one partition line of --describe; with the
// eligible leader replicas known (elrs not nil), Kafka 4.4's Elr and
// LastKnownElr columns follow the ISR.
func formatPartitionLine(p kadm.PartitionDetail, elrs map[string]map[int32]elrLists) string {
	leader := "none"
	if p.Leader >= 0 {
		leader = strconv.Itoa(int(p.Leader))
	}
	line := fmt.Sprintf("\tTopic: %s\tPartition: %d\tLeader: %s\tReplicas: %s\tIsr: %s",
		p.Topic, p.Partition, leader, joinIDs(p.Replicas), joinIDs(p.ISR))
	if elrs != nil {
		e := elrs[p.Topic][p.Partition]
		line += "\tElr: " + joinIDs(e.elr) + "\tLastKnownElr: " + joinIDs(e.lastKnown)
	}
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

// elrLists are a partition's eligible leader replicas and last known ELR
// (KIP-966).
type elrLists struct{ elr, lastKnown []int32 }

// eligibleLeaders reads the partitions' ELR lists with
// DescribeTopicPartitions, page by page as Kafka's tool does; nil when the
// cluster does not serve that API (Kafka's tool then shows no ELR columns).
func (t *topicsRun) eligibleLeaders(ctx context.Context, topics []kadm.TopicDetail) (map[string]map[int32]elrLists, error) {
	if len(topics) == 0 {
		return nil, nil
	}
	versions, err := t.adm.ApiVersions(ctx)
	if err != nil {
		return nil, t.cc.timeoutError("api versions", err)
	}
	supported := true
	versions.Each(func(v kadm.BrokerApiVersions) {
		if _, ok := v.KeyMaxVersion(int16(kmsg.DescribeTopicPartitions)); !ok || v.Err != nil {
			supported = false
		}
	})
	if !supported {
		return nil, nil
	}
	out := map[string]map[int32]elrLists{}
	req := kmsg.NewPtrDescribeTopicPartitionsRequest()
	req.ResponsePartitionLimit = 2000
	for _, d := range topics {
		rt := kmsg.NewDescribeTopicPartitionsRequestTopic()
		rt.Topic = d.Topic
		req.Topics = append(req.Topics, rt)
	}
	for page := 0; page < 100_000; page++ {
		resp, err := req.RequestWith(ctx, t.cl)
		if err != nil {
			return nil, t.cc.timeoutError("describe topic partitions", err)
		}
		for _, rt := range resp.Topics {
			name := deref(rt.Topic)
			if out[name] == nil {
				out[name] = map[int32]elrLists{}
			}
			for _, p := range rt.Partitions {
				out[name][p.Partition] = elrLists{elr: p.EligibleLeaderReplicas, lastKnown: p.LastKnownELR}
			}
		}
		if resp.NextCursor == nil {
			return out, nil
		}
		c := kmsg.NewDescribeTopicPartitionsRequestCursor()
		c.Topic, c.Partition = resp.NextCursor.Topic, resp.NextCursor.Partition
		req.Cursor = &c
	}
	return out, nil
}
