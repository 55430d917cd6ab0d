package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/acl"
	"github.com/samsa-io/samsa/internal/metadata"
)

// operationsFor returns the operations to grant on res: --producer's and
// --consumer's sets, else --operation (default ALL).
func (o *aclsOptions) operationsFor(res aclResource) ([]acl.Operation, error) {
	if o.producer || o.consumer {
		var ops []acl.Operation
		switch res.typ {
		case acl.ResourceTopic:
			if o.producer {
				ops = append(ops, acl.OpWrite, acl.OpDescribe, acl.OpCreate)
			}
			if o.consumer {
				ops = append(ops, acl.OpRead, acl.OpDescribe)
			}
		case acl.ResourceGroup:
			if o.consumer {
				ops = append(ops, acl.OpRead)
			}
		case acl.ResourceTransactionalID:
			if o.producer {
				ops = append(ops, acl.OpWrite, acl.OpDescribe)
			}
		case acl.ResourceCluster:
			if o.producer && o.idempotent {
				ops = append(ops, acl.OpIdempotentWrite)
			}
		}
		return dedupOps(ops), nil
	}
	if len(o.operations) == 0 {
		return []acl.Operation{acl.OpAll}, nil
	}
	var ops []acl.Operation
	for _, s := range o.operations {
		op, err := acl.ParseOperation(s)
		if err != nil || op == acl.OpAny {
			return nil, usageErrorf("--operation %q: want Read, Write, Create, Delete, Alter, Describe, ClusterAction, "+
				"DescribeConfigs, AlterConfigs, IdempotentWrite or All", s)
		}
		// As Kafka's tool: a user principal resource takes only the
		// delegation token operations.
		if res.typ == acl.ResourceUser && op != acl.OpCreateTokens && op != acl.OpDescribeTokens && op != acl.OpAll {
			return nil, usageErrorf("ResourceType USER only supports operations CreateTokens, DescribeTokens, All (got %s)", s)
		}
		ops = append(ops, op)
	}
	return dedupOps(ops), nil
}

func dedupOps(ops []acl.Operation) []acl.Operation {
	var out []acl.Operation
	seen := map[acl.Operation]bool{}
	for _, op := range ops {
		if !seen[op] {
			seen[op] = true
			out = append(out, op)
		}
	}
	return out
}

// entries are the (principal, host, permission) triples of the command.
type aclEntry struct {
	principal, host string
	perm            acl.Permission
}

func (o *aclsOptions) entries() []aclEntry {
	var out []aclEntry
	add := func(principals, hosts []string, perm acl.Permission) {
		if len(hosts) == 0 {
			hosts = []string{acl.WildcardHost}
		}
		for _, p := range principals {
			for _, h := range hosts {
				out = append(out, aclEntry{p, h, perm})
			}
		}
	}
	add(o.allowPrincipals, o.allowHosts, acl.PermissionAllow)
	add(o.denyPrincipals, o.denyHosts, acl.PermissionDeny)
	return out
}

// bindings lists every binding --add creates, grouped by resource.
func (o *aclsOptions) bindings(pt acl.PatternType) ([]metadata.ACL, error) {
	res := o.resources()
	if o.producer && o.idempotent && !o.cluster {
		res = append(res, aclResource{acl.ResourceCluster, acl.ClusterName})
	}
	var out []metadata.ACL
	for _, r := range res {
		ops, err := o.operationsFor(r)
		if err != nil {
			return nil, err
		}
		rpt := pt
		if r.typ == acl.ResourceCluster {
			rpt = acl.PatternLiteral
		}
		for _, e := range o.entries() {
			for _, op := range ops {
				out = append(out, metadata.ACL{ResourceType: int8(r.typ), ResourceName: r.name, PatternType: int8(rpt),
					Principal: e.principal, Host: e.host, Operation: int8(op), Permission: int8(e.perm)})
			}
		}
	}
	for _, b := range out {
		if err := acl.ValidateBinding(b); err != nil {
			return nil, usageErrorf("%v", err)
		}
	}
	return out, nil
}

func createACLs(ctx context.Context, cl *kgo.Client, out io.Writer, bindings []metadata.ACL) error {
	printGrouped(out, "Adding ACLs for resource", bindings)
	req := kmsg.NewPtrCreateACLsRequest()
	for _, b := range bindings {
		c := kmsg.NewCreateACLsRequestCreation()
		c.ResourceType, c.ResourceName = kmsg.ACLResourceType(b.ResourceType), b.ResourceName
		c.ResourcePatternType = kmsg.ACLResourcePatternType(b.PatternType)
		c.Principal, c.Host = b.Principal, b.Host
		c.Operation, c.PermissionType = kmsg.ACLOperation(b.Operation), kmsg.ACLPermissionType(b.Permission)
		req.Creations = append(req.Creations, c)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return err
	}
	if err := answeredAll("add acls", len(resp.Results), len(req.Creations)); err != nil {
		return err
	}
	for i, r := range resp.Results {
		if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
			return fmt.Errorf("add %s %s: %s", acl.DescribePattern(bindings[i]), acl.Describe(bindings[i]), brokerMessage(err, r.ErrorMessage))
		}
	}
	return nil
}

// brokerMessage is err followed by the broker's message, unless that only
// repeats the code's description.
func brokerMessage(err error, msg *string) string {
	if msg != nil && *msg != "" && !strings.Contains(err.Error(), *msg) {
		return fmt.Sprintf("%v: %s", err, *msg)
	}
	return err.Error()
}

// filters are the filters --list and --remove send: one per resource,
// principal, host and operation named, or one per resource matching all.
func (o *aclsOptions) filters(pt acl.PatternType) ([]kmsg.DeleteACLsRequestFilter, error) {
	base := func(typ acl.ResourceType, name *string, rpt acl.PatternType) kmsg.DeleteACLsRequestFilter {
		f := kmsg.NewDeleteACLsRequestFilter()
		f.ResourceType, f.ResourceName, f.ResourcePatternType = kmsg.ACLResourceType(typ), name, kmsg.ACLResourcePatternType(rpt)
		f.Operation, f.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
		return f
	}
	var out []kmsg.DeleteACLsRequestFilter
	res := o.resources()
	if len(res) == 0 {
		res = []aclResource{{typ: acl.ResourceAny}}
		pt = acl.PatternAny
	}
	for _, r := range res {
		var name *string
		if r.typ != acl.ResourceAny {
			name = kmsg.StringPtr(r.name)
		}
		entries := o.entries()
		for _, p := range o.principals {
			entries = append(entries, aclEntry{principal: p, perm: acl.PermissionAny})
		}
		if len(entries) == 0 {
			out = append(out, base(r.typ, name, pt))
			continue
		}
		ops := []acl.Operation{acl.OpAny}
		if len(o.operations) > 0 || o.producer || o.consumer {
			var err error
			if ops, err = o.operationsFor(r); err != nil {
				return nil, err
			}
		}
		for _, e := range entries {
			for _, op := range ops {
				f := base(r.typ, name, pt)
				f.Principal = kmsg.StringPtr(e.principal)
				if e.host != "" {
					f.Host = kmsg.StringPtr(e.host)
				}
				f.Operation, f.PermissionType = kmsg.ACLOperation(op), kmsg.ACLPermissionType(e.perm)
				out = append(out, f)
			}
		}
	}
	return out, nil
}

func (o *aclsOptions) removeACLs(ctx context.Context, cl *kgo.Client, in io.Reader, out io.Writer, pt acl.PatternType) error {
	filters, err := o.filters(pt)
	if err != nil {
		return err
	}
	if !o.force {
		fmt.Fprintf(out, "Are you sure you want to remove ACLs matching %d filter(s) from %d resource(s)? (y/n)\n",
			len(filters), len(o.resources()))
		line, _ := bufio.NewReader(in).ReadString('\n')
		if !strings.EqualFold(strings.TrimSpace(line), "y") {
			return nil
		}
	}
	req := kmsg.NewPtrDeleteACLsRequest()
	req.Filters = filters
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return err
	}
	if err := answeredAll("remove acls", len(resp.Results), len(req.Filters)); err != nil {
		return err
	}
	var removed []metadata.ACL
	for _, r := range resp.Results {
		if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
			return fmt.Errorf("remove acls: %s", brokerMessage(err, r.ErrorMessage))
		}
		for _, m := range r.MatchingACLs {
			removed = append(removed, metadata.ACL{ResourceType: int8(m.ResourceType), ResourceName: m.ResourceName,
				PatternType: int8(m.ResourcePatternType), Principal: m.Principal, Host: m.Host,
				Operation: int8(m.Operation), Permission: int8(m.PermissionType)})
		}
	}
	printGrouped(out, "Removed ACLs for resource", removed)
	return nil
}

func (o *aclsOptions) listACLs(ctx context.Context, cl *kgo.Client, out io.Writer, pt acl.PatternType) error {
	filters, err := o.filters(pt)
	if err != nil {
		return err
	}
	var all []metadata.ACL
	for _, f := range filters {
		req := kmsg.NewPtrDescribeACLsRequest()
		req.ResourceType, req.ResourceName, req.ResourcePatternType = f.ResourceType, f.ResourceName, f.ResourcePatternType
		req.Principal, req.Host, req.Operation, req.PermissionType = f.Principal, f.Host, f.Operation, f.PermissionType
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return fmt.Errorf("describe acls: %w", err)
		}
		if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
			return fmt.Errorf("list acls: %s", brokerMessage(err, resp.ErrorMessage))
		}
		for _, r := range resp.Resources {
			for _, a := range r.ACLs {
				b := metadata.ACL{ResourceType: int8(r.ResourceType), ResourceName: r.ResourceName,
					PatternType: int8(r.ResourcePatternType), Principal: a.Principal, Host: a.Host,
					Operation: int8(a.Operation), Permission: int8(a.PermissionType)}
				if !containsACL(all, b) {
					all = append(all, b)
				}
			}
		}
	}
	printGrouped(out, "Current ACLs for resource", all)
	return nil
}

func containsACL(list []metadata.ACL, b metadata.ACL) bool {
	for _, a := range list {
		if a == b {
			return true
		}
	}
	return false
}

// printGrouped prints bindings grouped by resource pattern, as kafka-acls
// does: a heading per pattern, one tab-indented entry per line.
func printGrouped(out io.Writer, heading string, bindings []metadata.ACL) {
	groups := map[string][]string{}
	var keys []string
	for _, b := range bindings {
		k := acl.DescribePattern(b)
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], acl.Describe(b))
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(out, "%s `%s`: \n", heading, k)
		for _, e := range groups[k] {
			fmt.Fprintf(out, " \t%s \n", e)
		}
		fmt.Fprintln(out)
	}
}
