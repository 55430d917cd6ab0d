package cli

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// legalTopic is Kafka's rule for topic names.
var legalTopic = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

// validateTopicName applies Kafka's client-side checks for a new topic name.
func validateTopicName(name string) error {
	switch {
	case name == "." || name == "..":
		return fmt.Errorf("topic name cannot be \".\" or \"..\"")
	case len(name) > 249:
		return fmt.Errorf("topic name is illegal, it can't be longer than 249 characters, topic name: %s", name)
	case !legalTopic.MatchString(name):
		return fmt.Errorf("topic name %q is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'", name)
	}
	return nil
}

// createRequest builds the CreateTopics request for --create; it validates
// the name, configs and assignment without contacting the cluster.
func (o *topicsOptions) createRequest(cc *clientConfig) (*kmsg.CreateTopicsRequest, error) {
	if err := validateTopicName(o.topic); err != nil {
		return nil, err
	}
	configs, err := parseKVs("--config", o.configs)
	if err != nil {
		return nil, err
	}
	assignment, err := parseReplicaAssignment(o.replicaAssignment)
	if err != nil {
		return nil, err
	}
	topic := kmsg.NewCreateTopicsRequestTopic()
	topic.Topic = o.topic
	topic.NumPartitions, topic.ReplicationFactor = -1, -1
	if o.partitionsSet {
		topic.NumPartitions = o.partitions
	}
	if o.rfSet {
		topic.ReplicationFactor = o.replicationFactor
	}
	for i, replicas := range assignment {
		a := kmsg.NewCreateTopicsRequestTopicReplicaAssignment()
		a.Partition, a.Replicas = int32(i), replicas
		topic.ReplicaAssignment = append(topic.ReplicaAssignment, a)
	}
	for _, k := range sortedKeys(configs) {
		c := kmsg.NewCreateTopicsRequestTopicConfig()
		c.Name, c.Value = k, kmsg.StringPtr(configs[k])
		topic.Configs = append(topic.Configs, c)
	}
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = int32(cc.timeout.Milliseconds())
	req.Topics = append(req.Topics, topic)
	return req, nil
}

func (t *topicsRun) create(ctx context.Context) error {
	req, err := t.o.createRequest(t.cc)
	if err != nil {
		return err
	}
	resp, err := req.RequestWith(ctx, t.cl)
	if err != nil {
		return t.cc.timeoutError("create topic", err)
	}
	if len(resp.Topics) != 1 {
		return fmt.Errorf("create topic: broker answered for %d topics, want 1", len(resp.Topics))
	}
	r := resp.Topics[0]
	if r.ErrorCode == kerr.TopicAlreadyExists.Code && t.o.ifNotExists {
		return nil
	}
	if err := brokerError(r.ErrorCode, r.ErrorMessage); err != nil {
		return err
	}
	fmt.Fprintf(t.out, "Created topic %s.\n", t.o.topic)
	return nil
}

func (t *topicsRun) deleteTopics(ctx context.Context) error {
	topics, err := t.matchingTopics(ctx)
	if err != nil {
		return err
	}
	if err := t.requireTopics(topics); err != nil {
		return err
	}
	var names []string
	for _, d := range topics {
		if d.IsInternal {
			return fmt.Errorf("topic %s is a kafka internal topic and is not allowed to be marked for deletion", d.Topic)
		}
		names = append(names, d.Topic)
	}
	if len(names) == 0 {
		return nil
	}
	resps, err := t.adm.DeleteTopics(ctx, names...)
	if err != nil {
		return t.cc.timeoutError("delete topics", err)
	}
	for _, r := range resps.Sorted() {
		if err := adminError(r.Err, r.ErrMessage); err != nil {
			return fmt.Errorf("delete topic %s: %w", r.Topic, err)
		}
	}
	return nil
}

func (t *topicsRun) alterTopics(ctx context.Context) error {
	topics, err := t.matchingTopics(ctx)
	if err != nil {
		return err
	}
	if err := t.requireTopics(topics); err != nil {
		return err
	}
	for _, d := range topics {
		if t.o.partitionsSet {
			if err := t.addPartitions(ctx, d.Topic, len(d.Partitions)); err != nil {
				return err
			}
		}
		if err := t.alterConfigs(ctx, d.Topic); err != nil {
			return err
		}
	}
	return nil
}

// addPartitions raises the partition count with CreatePartitions. Like
// Kafka, --replica-assignment lists every partition; the first existing ones
// are skipped and only the new partitions' replicas are sent.
func (t *topicsRun) addPartitions(ctx context.Context, topic string, existing int) error {
	assignment, err := parseReplicaAssignment(t.o.replicaAssignment)
	if err != nil {
		return err
	}
	if len(assignment) > 0 {
		if len(assignment) != int(t.o.partitions) {
			return usageErrorf("--replica-assignment lists %d partitions, --partitions asks for %d", len(assignment), t.o.partitions)
		}
		assignment = assignment[min(existing, len(assignment)):]
	}
	rt := kmsg.NewCreatePartitionsRequestTopic()
	rt.Topic, rt.Count = topic, t.o.partitions
	for _, replicas := range assignment {
		a := kmsg.NewCreatePartitionsRequestTopicAssignment()
		a.Replicas = replicas
		rt.Assignment = append(rt.Assignment, a)
	}
	req := kmsg.NewPtrCreatePartitionsRequest()
	req.TimeoutMillis = int32(t.cc.timeout.Milliseconds())
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, t.cl)
	if err != nil {
		return t.cc.timeoutError("create partitions", err)
	}
	for _, r := range resp.Topics {
		if err := brokerError(r.ErrorCode, r.ErrorMessage); err != nil {
			return err
		}
	}
	return nil
}

// alterConfigs applies --config and --delete-config with
// IncrementalAlterConfigs (deprecated in kafka-topics, still accepted).
func (t *topicsRun) alterConfigs(ctx context.Context, topic string) error {
	set, err := parseKVs("--config", t.o.configs)
	if err != nil {
		return err
	}
	var alters []kadm.AlterConfig
	for _, k := range sortedKeys(set) {
		alters = append(alters, kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: kmsg.StringPtr(set[k])})
	}
	for _, k := range t.o.deleteConfigs {
		alters = append(alters, kadm.AlterConfig{Op: kadm.DeleteConfig, Name: k})
	}
	if len(alters) == 0 {
		return nil
	}
	resps, err := t.adm.AlterTopicConfigs(ctx, alters, topic)
	if err != nil {
		return t.cc.timeoutError("alter topic configs", err)
	}
	for _, r := range resps {
		if err := adminError(r.Err, r.ErrMessage); err != nil {
			return err
		}
	}
	return nil
}

// parseReplicaAssignment parses "0:1:2,1:2:0": partitions separated by
// commas, each a colon-separated broker list, all of the same length.
func parseReplicaAssignment(s string) ([][]int32, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out [][]int32
	for i, part := range strings.Split(s, ",") {
		var replicas []int32
		seen := map[int32]bool{}
		for _, b := range strings.Split(strings.TrimSpace(part), ":") {
			id, err := strconv.ParseInt(strings.TrimSpace(b), 10, 32)
			if err != nil || id < 0 {
				return nil, usageErrorf("invalid --replica-assignment %q: broker id %q is not a non-negative integer", s, b)
			}
			if seen[int32(id)] {
				return nil, usageErrorf("invalid --replica-assignment %q: partition %d lists broker %d twice", s, i, id)
			}
			seen[int32(id)] = true
			replicas = append(replicas, int32(id))
		}
		if len(out) > 0 && len(replicas) != len(out[0]) {
			return nil, usageErrorf("invalid --replica-assignment %q: partition %d has %d replicas, partition 0 has %d", s, i, len(replicas), len(out[0]))
		}
		out = append(out, replicas)
	}
	return out, nil
}
