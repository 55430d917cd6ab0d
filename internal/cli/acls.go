package cli

import (
	"context"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/samsa-io/samsa/internal/acl"
)

// aclsOptions holds the flags of kafka-acls.sh.
type aclsOptions struct {
	bootstrap, commandConfig        string
	add, remove, list, force        bool
	allowPrincipals, denyPrincipals []string
	allowHosts, denyHosts           []string
	principals                      []string
	operations                      []string
	topics, groups, txnIDs          []string
	userPrincipals                  []string
	cluster                         bool
	patternType                     string
	producer, consumer, idempotent  bool
}

func newACLsCmd() *cobra.Command {
	o := &aclsOptions{}
	cmd := &cobra.Command{
		Use:   "acls",
		Short: "Add, remove and list ACLs (kafka-acls.sh)",
		Long: `Manages the broker's ACL bindings as Kafka's kafka-acls.sh does. A binding allows
or denies a principal (User:name) from a host an operation on a resource: a topic,
group, transactional id or the cluster, named literally or by prefix
(--resource-pattern-type prefixed). --producer and --consumer add the usual sets:
WRITE, DESCRIBE and CREATE on the topics (plus IDEMPOTENT_WRITE on the cluster with
--idempotent, WRITE and DESCRIBE on --transactional-id), or READ and DESCRIBE on the
topics and READ on the group. The broker needs authorizer.class.name set.`,
		Example: `  samsa acls --bootstrap-server localhost:9092 --add --allow-principal User:alice \
      --operation Write --topic app- --resource-pattern-type prefixed
  samsa acls --bootstrap-server localhost:9092 --add --allow-principal User:bob --consumer \
      --topic orders --group billing
  samsa acls --bootstrap-server localhost:9092 --list --topic orders
  samsa acls --bootstrap-server localhost:9092 --remove --force --topic orders`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.bootstrap, "bootstrap-server", "", "REQUIRED: the server(s) to connect to, host:port[,host:port]")
	f.StringVar(&o.commandConfig, "command-config", "", "properties file with client settings")
	f.BoolVar(&o.add, "add", false, "add ACLs")
	f.BoolVar(&o.remove, "remove", false, "remove ACLs")
	f.BoolVar(&o.list, "list", false, "list ACLs (of the given resources, or all)")
	f.BoolVar(&o.force, "force", false, "remove without asking")
	f.StringArrayVar(&o.allowPrincipals, "allow-principal", nil, "principal to allow, e.g. User:alice (repeatable)")
	f.StringArrayVar(&o.denyPrincipals, "deny-principal", nil, "principal to deny (repeatable)")
	f.StringArrayVar(&o.allowHosts, "allow-host", nil, "host the allowed principals may connect from (default *)")
	f.StringArrayVar(&o.denyHosts, "deny-host", nil, "host the denied principals are denied from (default *)")
	f.StringArrayVar(&o.principals, "principal", nil, "with --list: only ACLs of this principal")
	f.StringArrayVar(&o.operations, "operation", nil, "operation: Read, Write, Create, Delete, Alter, Describe, ClusterAction, "+
		"DescribeConfigs, AlterConfigs, IdempotentWrite, All (default All)")
	f.StringArrayVar(&o.topics, "topic", nil, "topic (repeatable; * for all)")
	f.StringArrayVar(&o.groups, "group", nil, "consumer group (repeatable; * for all)")
	f.StringArrayVar(&o.txnIDs, "transactional-id", nil, "transactional id (repeatable; * for all)")
	f.BoolVar(&o.cluster, "cluster", false, "the cluster resource")
	f.StringArrayVar(&o.userPrincipals, "user-principal", nil, "a user principal as the resource, e.g. User:alice, for CreateTokens and DescribeTokens (repeatable)")
	f.StringVar(&o.patternType, "resource-pattern-type", "literal", "literal or prefixed; with --list/--remove also any or match")
	f.BoolVar(&o.producer, "producer", false, "the ACLs a producer needs (with --topic)")
	f.BoolVar(&o.consumer, "consumer", false, "the ACLs a consumer needs (with --topic and --group)")
	f.BoolVar(&o.idempotent, "idempotent", false, "with --producer: IDEMPOTENT_WRITE on the cluster too")
	return cmd
}

// aclResource is one resource pattern named on the command line.
type aclResource struct {
	typ  acl.ResourceType
	name string
}

func (o *aclsOptions) resources() []aclResource {
	var out []aclResource
	for _, t := range o.topics {
		out = append(out, aclResource{acl.ResourceTopic, t})
	}
	for _, g := range o.groups {
		out = append(out, aclResource{acl.ResourceGroup, g})
	}
	for _, id := range o.txnIDs {
		out = append(out, aclResource{acl.ResourceTransactionalID, id})
	}
	if o.cluster {
		out = append(out, aclResource{acl.ResourceCluster, acl.ClusterName})
	}
	for _, u := range o.userPrincipals {
		out = append(out, aclResource{acl.ResourceUser, strings.TrimSpace(u)})
	}
	return out
}

func (o *aclsOptions) validate() (acl.PatternType, error) {
	n := 0
	for _, b := range []bool{o.add, o.remove, o.list} {
		if b {
			n++
		}
	}
	if n != 1 {
		return 0, usageErrorf("exactly one of --add, --remove or --list is required")
	}
	pt, err := acl.ParsePatternType(o.patternType)
	if err != nil {
		return 0, usageErrorf("--resource-pattern-type: %v", err)
	}
	if o.add && pt != acl.PatternLiteral && pt != acl.PatternPrefixed {
		return 0, usageErrorf("--resource-pattern-type must be literal or prefixed with --add")
	}
	if (o.producer || o.consumer) && len(o.topics) == 0 {
		return 0, usageErrorf("--producer and --consumer need --topic")
	}
	if o.consumer && len(o.groups) == 0 {
		return 0, usageErrorf("--consumer needs --group")
	}
	if o.add && len(o.allowPrincipals)+len(o.denyPrincipals) == 0 {
		return 0, usageErrorf("--add needs --allow-principal or --deny-principal")
	}
	if (o.add || o.remove) && len(o.resources()) == 0 {
		return 0, usageErrorf("a resource is required: --topic, --group, --transactional-id, --cluster or --user-principal")
	}
	return pt, nil
}

func (o *aclsOptions) run(ctx context.Context, in io.Reader, out io.Writer) error {
	pt, err := o.validate()
	if err != nil {
		return err
	}
	cc, cl, ctx, done, err := adminSession(ctx, o.bootstrap, o.commandConfig)
	if err != nil {
		return err
	}
	defer done()
	switch {
	case o.add:
		bindings, err := o.bindings(pt)
		if err != nil {
			return err
		}
		if err := createACLs(ctx, cl, out, bindings); err != nil {
			return cc.timeoutError("create acls", err)
		}
		// Kafka 4's tool prints what it adds and no listing after it.
		return nil
	case o.remove:
		if err := o.removeACLs(ctx, cl, in, out, pt); err != nil {
			return cc.timeoutError("delete acls", err)
		}
		return nil
	}
	return o.listACLs(ctx, cl, out, pt)
}
