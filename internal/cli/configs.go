package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// configsOptions holds the flags of kafka-configs.sh.
type configsOptions struct {
	bootstrap, commandConfig, zookeeper string

	entityType     string
	entityName     string
	entityDefault  bool
	topic          string
	broker         string
	brokerDefaults bool

	alter, describe, all bool
	addConfig            string
	addConfigFile        string
	deleteConfig         []string
}

func newConfigsCmd() *cobra.Command {
	o := &configsOptions{}
	cmd := &cobra.Command{
		Use:   "configs",
		Short: "Describe or alter topic and broker configs (kafka-configs.sh)",
		Example: `  samsa configs --bootstrap-server localhost:9092 --entity-type topics --entity-name orders --describe
  samsa configs --bootstrap-server localhost:9092 --topic orders --describe --all
  samsa configs --bootstrap-server localhost:9092 --entity-type topics --entity-name orders \
      --alter --add-config retention.ms=86400000,cleanup.policy=[compact,delete]
  samsa configs --bootstrap-server localhost:9092 --entity-type topics --entity-name orders --alter --delete-config retention.ms
  samsa configs --bootstrap-server localhost:9092 --entity-type brokers --entity-default --alter --add-config log.retention.ms=3600000`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.resolve(); err != nil {
				return err
			}
			return o.run(cmd.Context(), cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.bootstrap, "bootstrap-server", "", "REQUIRED: the Kafka server(s) to connect to, host:port[,host:port]")
	f.StringVar(&o.commandConfig, "command-config", "", "properties file with client settings (client.id, request.timeout.ms)")
	addZookeeperFlag(f, &o.zookeeper)
	f.StringVar(&o.entityType, "entity-type", "", "type of entity: topics, brokers, users or clients")
	f.StringVar(&o.entityName, "entity-name", "", "name of entity: a topic name or a broker id")
	f.BoolVar(&o.entityDefault, "entity-default", false, "the cluster-wide default (brokers only)")
	f.StringVar(&o.topic, "topic", "", "the topic's name: same as --entity-type topics --entity-name NAME")
	f.StringVar(&o.broker, "broker", "", "the broker's id: same as --entity-type brokers --entity-name ID")
	f.BoolVar(&o.brokerDefaults, "broker-defaults", false, "same as --entity-type brokers --entity-default")
	f.BoolVar(&o.alter, "alter", false, "alter the configuration of the entity")
	f.BoolVar(&o.describe, "describe", false, "list configs for the given entity")
	f.BoolVar(&o.all, "all", false, "with --describe: list all configs, not only dynamic overrides")
	f.StringVar(&o.addConfig, "add-config", "", "configs to add, k1=v1,k2=[v1,v2,v2],k3=v3 (brackets group values with commas)")
	f.StringVar(&o.addConfigFile, "add-config-file", "", "properties file of configs to add")
	f.StringArrayVar(&o.deleteConfig, "delete-config", nil, "config keys to remove, k1,k2 (repeatable)")
	return cmd
}

// resolve folds the shorthand flags into entity type and name and checks the
// combinations kafka-configs checks.
func (o *configsOptions) resolve() error {
	if err := zookeeperError(o.zookeeper); err != nil {
		return err
	}
	switch {
	case o.topic != "":
		o.entityType, o.entityName = "topics", o.topic
	case o.broker != "":
		o.entityType, o.entityName = "brokers", o.broker
	case o.brokerDefaults:
		o.entityType, o.entityDefault = "brokers", true
	}
	switch o.entityType {
	case "topics", "brokers", "users", "clients":
	case "":
		return usageErrorf("missing required argument --entity-type (topics or brokers)")
	default:
		return usageErrorf("--entity-type %s is not supported yet: use topics, brokers, users or clients", o.entityType)
	}
	if o.alter == o.describe {
		return usageErrorf("command must include exactly one action: --describe or --alter")
	}
	if o.entityDefault && o.entityType == "topics" {
		return usageErrorf("--entity-default is only valid with --entity-type brokers, users or clients")
	}
	if o.entityType == "brokers" && o.entityName != "" {
		if _, err := strconv.ParseInt(o.entityName, 10, 32); err != nil {
			return usageErrorf("the entity name for brokers must be a valid integer broker id, found: %s", o.entityName)
		}
	}
	if o.alter {
		if o.entityName == "" && !o.entityDefault {
			return usageErrorf("an entity name must be specified with --alter of %s", o.entityType)
		}
		if o.addConfig == "" && o.addConfigFile == "" && len(o.deleteConfig) == 0 {
			return usageErrorf("--alter needs --add-config, --add-config-file or --delete-config")
		}
	}
	return nil
}

func (o *configsOptions) run(ctx context.Context, out io.Writer) error {
	cc, err := newClientConfig(o.bootstrap, o.commandConfig, nil)
	if err != nil {
		return err
	}
	if o.wantsQuotas() {
		return o.runQuotas(ctx, cc, out) // client quotas (configs_quotas.go)
	}
	if o.entityType == "users" {
		return o.runUsers(ctx, cc, out) // SCRAM credentials (configs_users.go)
	}
	var alters []kadm.AlterConfig
	if o.alter {
		if alters, err = o.alterations(); err != nil {
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
	adm := kadm.NewClient(cl)
	if o.alter {
		return o.runAlter(ctx, cc, adm, alters, out)
	}
	return o.runDescribe(ctx, cc, adm, out)
}

// alterations turns --add-config, --add-config-file and --delete-config into
// IncrementalAlterConfigs operations.
func (o *configsOptions) alterations() ([]kadm.AlterConfig, error) {
	items, err := splitConfigList(o.addConfig)
	if err != nil {
		return nil, err
	}
	set, err := parseKVs("--add-config", items)
	if err != nil {
		return nil, err
	}
	if o.addConfigFile != "" {
		fileProps, err := loadProperties(o.addConfigFile)
		if err != nil {
			return nil, err
		}
		set = mergeProps(fileProps, set)
	}
	var alters []kadm.AlterConfig
	for _, k := range sortedKeys(set) {
		alters = append(alters, kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: kmsg.StringPtr(set[k])})
	}
	for _, list := range o.deleteConfig {
		for _, k := range splitList(list) {
			if _, ok := set[k]; ok {
				return nil, usageErrorf("config %s is both added and deleted", k)
			}
			alters = append(alters, kadm.AlterConfig{Op: kadm.DeleteConfig, Name: k})
		}
	}
	return alters, nil
}

func (o *configsOptions) runAlter(ctx context.Context, cc *clientConfig, adm *kadm.Client, alters []kadm.AlterConfig, out io.Writer) error {
	var (
		resps kadm.AlterConfigsResponses
		err   error
		what  string
	)
	switch {
	case o.entityType == "topics":
		resps, err = adm.AlterTopicConfigs(ctx, alters, o.entityName)
		what = "config for topic " + o.entityName
	case o.entityDefault:
		resps, err = adm.AlterBrokerConfigs(ctx, alters)
		what = "default config for brokers in the cluster"
	default:
		id, _ := strconv.ParseInt(o.entityName, 10, 32)
		resps, err = adm.AlterBrokerConfigs(ctx, alters, int32(id))
		what = "config for broker " + o.entityName
	}
	if err != nil {
		return cc.timeoutError("alter configs", err)
	}
	if len(resps) == 0 {
		return fmt.Errorf("alter %s: the broker answered no result", what)
	}
	for _, r := range resps {
		if err := adminError(r.Err, r.ErrMessage); err != nil {
			return fmt.Errorf("alter %s: %w", what, err)
		}
	}
	fmt.Fprintf(out, "Completed updating %s.\n", what)
	return nil
}

func (o *configsOptions) runDescribe(ctx context.Context, cc *clientConfig, adm *kadm.Client, out io.Writer) error {
	targets, err := o.describeTargets(ctx, adm)
	if err != nil {
		return cc.timeoutError("list entities", err)
	}
	for _, t := range targets {
		rcs, err := t.describe(ctx, adm)
		if err != nil {
			return cc.timeoutError("describe configs", err)
		}
		for _, rc := range rcs {
			if err := adminError(rc.Err, rc.ErrMessage); err != nil {
				return fmt.Errorf("describe %s: %w", t.label, err)
			}
			fmt.Fprint(out, formatConfigDescription(t.label, o.all, t.source, rc.Configs))
		}
	}
	return nil
}
