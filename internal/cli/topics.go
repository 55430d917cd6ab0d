package cli

import (
	"context"
	"io"
	"regexp"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// topicsOptions holds the flags of kafka-topics.sh.
type topicsOptions struct {
	bootstrap, commandConfig, zookeeper string

	create, list, describe, delete, alter bool

	topic             string
	partitions        int32
	replicationFactor int16
	configs           []string
	deleteConfigs     []string
	replicaAssignment string

	ifExists, ifNotExists bool
	excludeInternal       bool
	withOverrides         bool
	underReplicated       bool
	unavailable           bool
	underMinISR           bool
	atMinISR              bool

	partitionsSet, rfSet bool
}

func newTopicsCmd() *cobra.Command {
	o := &topicsOptions{}
	cmd := &cobra.Command{
		Use:   "topics",
		Short: "Create, delete, describe, alter or list topics (kafka-topics.sh)",
		Example: `  samsa topics --bootstrap-server localhost:9092 --create --topic orders --partitions 3 --replication-factor 1
  samsa topics --bootstrap-server localhost:9092 --create --topic logs --config retention.ms=3600000 --if-not-exists
  samsa topics --bootstrap-server localhost:9092 --list --exclude-internal
  samsa topics --bootstrap-server localhost:9092 --describe --topic 'orders.*'
  samsa topics --bootstrap-server localhost:9092 --alter --topic orders --partitions 6
  samsa topics --bootstrap-server localhost:9092 --delete --topic orders --if-exists`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.partitionsSet = cmd.Flags().Changed("partitions")
			o.rfSet = cmd.Flags().Changed("replication-factor")
			if err := o.validate(); err != nil {
				return err
			}
			return o.run(cmd.Context(), cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.bootstrap, "bootstrap-server", "", "REQUIRED: the Kafka server(s) to connect to, host:port[,host:port]")
	f.StringVar(&o.commandConfig, "command-config", "", "properties file with client settings (client.id, request.timeout.ms)")
	addZookeeperFlag(f, &o.zookeeper)
	f.BoolVar(&o.create, "create", false, "create a new topic")
	f.BoolVar(&o.list, "list", false, "list all available topics")
	f.BoolVar(&o.describe, "describe", false, "list details for the given topics")
	f.BoolVar(&o.delete, "delete", false, "delete a topic")
	f.BoolVar(&o.alter, "alter", false, "alter the number of partitions or the configuration of a topic")
	f.StringVar(&o.topic, "topic", "", "the topic to create, alter, describe or delete; a regular expression except with --create")
	f.Int32Var(&o.partitions, "partitions", 0, "number of partitions for the topic being created or altered")
	f.Int16Var(&o.replicationFactor, "replication-factor", 0, "replication factor for each partition of the topic being created (default: broker's default.replication.factor)")
	f.StringArrayVar(&o.configs, "config", nil, "a topic configuration override key=value (repeatable)")
	f.StringArrayVar(&o.deleteConfigs, "delete-config", nil, "a topic configuration override to remove, with --alter (repeatable)")
	f.StringVar(&o.replicaAssignment, "replica-assignment", "", "manual partition-to-broker assignment: broker_id_for_part1_replica1:broker_id_for_part1_replica2,...")
	f.BoolVar(&o.ifExists, "if-exists", false, "with --alter, --describe or --delete: act only if the topic exists")
	f.BoolVar(&o.ifNotExists, "if-not-exists", false, "with --create: create only if the topic does not already exist")
	f.BoolVar(&o.excludeInternal, "exclude-internal", false, "exclude internal topics when listing or describing all topics")
	f.BoolVar(&o.withOverrides, "topics-with-overrides", false, "with --describe: only show topics that have overridden configs")
	f.BoolVar(&o.underReplicated, "under-replicated-partitions", false, "with --describe: only show under-replicated partitions")
	f.BoolVar(&o.unavailable, "unavailable-partitions", false, "with --describe: only show partitions whose leader is not available")
	f.BoolVar(&o.underMinISR, "under-min-isr-partitions", false, "with --describe: only show partitions whose ISR is smaller than their min.insync.replicas")
	f.BoolVar(&o.atMinISR, "at-min-isr-partitions", false, "with --describe: only show partitions whose ISR is exactly their min.insync.replicas")
	return cmd
}

// validate checks the flag combinations Kafka's TopicCommand checks.
func (o *topicsOptions) validate() error {
	if err := zookeeperError(o.zookeeper); err != nil {
		return err
	}
	n := 0
	for _, b := range []bool{o.create, o.list, o.describe, o.delete, o.alter} {
		if b {
			n++
		}
	}
	if n != 1 {
		return usageErrorf("command must include exactly one action: --list, --describe, --create, --alter or --delete")
	}
	if (o.create || o.alter || o.delete) && o.topic == "" {
		return usageErrorf("missing required argument --topic")
	}
	if o.create && o.replicaAssignment != "" && (o.partitionsSet || o.rfSet) {
		return usageErrorf("option --replica-assignment can't be used with --partitions or --replication-factor")
	}
	if o.partitionsSet && o.partitions <= 0 {
		return usageErrorf("the partitions must be greater than 0")
	}
	if o.rfSet && o.replicationFactor <= 0 {
		return usageErrorf("the replication factor must be greater than 0")
	}
	if o.alter && !o.partitionsSet && len(o.configs) == 0 && len(o.deleteConfigs) == 0 {
		return usageErrorf("--alter needs --partitions, --config or --delete-config")
	}
	if o.ifNotExists && !o.create {
		return usageErrorf("option --if-not-exists is only valid with --create")
	}
	for _, r := range []struct {
		set  bool
		name string
	}{{o.underReplicated, "under-replicated-partitions"}, {o.unavailable, "unavailable-partitions"},
		{o.underMinISR, "under-min-isr-partitions"}, {o.atMinISR, "at-min-isr-partitions"}} {
		if r.set && !o.describe {
			return usageErrorf("option --%s is only valid with --describe", r.name)
		}
		if r.set && o.withOverrides {
			return usageErrorf("option --%s can't be used with --topics-with-overrides", r.name)
		}
	}
	return nil
}

func (o *topicsOptions) run(ctx context.Context, out io.Writer) error {
	cc, err := newClientConfig(o.bootstrap, o.commandConfig, nil)
	if err != nil {
		return err
	}
	if o.create {
		// Validate locally before connecting, as Kafka does.
		if _, err := o.createRequest(cc); err != nil {
			return err
		}
	}
	cl, err := cc.connect(ctx)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := cc.withTimeout(ctx)
	defer cancel()
	t := &topicsRun{o: o, cc: cc, cl: cl, adm: kadm.NewClient(cl), out: out}
	switch {
	case o.create:
		err = t.create(ctx)
	case o.list:
		err = t.listTopics(ctx)
	case o.describe:
		err = t.describeTopics(ctx)
	case o.delete:
		err = t.deleteTopics(ctx)
	default:
		err = t.alterTopics(ctx)
	}
	return err
}

// topicsRun is one execution of the topics tool against a connected client.
type topicsRun struct {
	o   *topicsOptions
	cc  *clientConfig
	cl  *kgo.Client
	adm *kadm.Client
	out io.Writer
}

// topicMatcher treats --topic as Kafka does: a regular expression that must
// match the whole name; an invalid expression matches literally.
func topicMatcher(pattern string) func(string) bool {
	if pattern == "" {
		return func(string) bool { return true }
	}
	re, err := regexp.Compile("^(?:" + pattern + ")$")
	if err != nil {
		return func(name string) bool { return name == pattern }
	}
	return re.MatchString
}
