package acl

import (
	"slices"
	"strings"

	"github.com/samsa-io/samsa/internal/metadata"
)

// Resource names one thing a request touches.
type Resource struct {
	Type ResourceType
	Name string
}

// Topic, Group, TransactionalID and Cluster build resources.
func Topic(name string) Resource           { return Resource{ResourceTopic, name} }
func Group(name string) Resource           { return Resource{ResourceGroup, name} }
func TransactionalID(name string) Resource { return Resource{ResourceTransactionalID, name} }
func Cluster() Resource                    { return Resource{ResourceCluster, ClusterName} }

// Authorizer decides requests against ACL bindings. The zero value denies
// everything that has no ALLOW binding.
type Authorizer struct {
	superUsers       []string
	allowIfNoneFound bool
}

// New returns an authorizer with the given super users (principals such
// as "User:admin") and allow.everyone.if.no.acl.found setting.
func New(superUsers []string, allowIfNoneFound bool) *Authorizer {
	return &Authorizer{superUsers: slices.Clone(superUsers), allowIfNoneFound: allowIfNoneFound}
}

// ParseSuperUsers splits super.users ("User:a;User:b").
func ParseSuperUsers(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Authorize reports whether principal, connecting from host, may perform
// op on res under the bindings acls.
func (a *Authorizer) Authorize(acls []metadata.ACL, principal, host string, op Operation, res Resource) bool {
	if slices.Contains(a.superUsers, principal) {
		return true
	}
	found, allowed := false, false
	for i := range acls {
		b := &acls[i]
		if !resourceMatches(b, res) {
			continue
		}
		found = true
		if !principalMatches(b.Principal, principal) || !hostMatches(b.Host, host) {
			continue
		}
		switch Permission(b.Permission) {
		case PermissionDeny:
			if Operation(b.Operation) == op || Operation(b.Operation) == OpAll {
				return false
			}
		case PermissionAllow:
			allowed = allowed || grants(Operation(b.Operation), op)
		}
	}
	if allowed {
		return true
	}
	return !found && a.allowIfNoneFound
}

// AuthorizeAny reports whether principal may perform op on at least one
// resource of type typ: some ALLOW binding grants it and no DENY on the
// literal wildcard takes it away everywhere. It is Kafka 3.x's fallback
// for IDEMPOTENT_WRITE (WRITE on any topic); like Kafka it does not weigh
// DENY bindings on particular resources, which leave others allowed.
func (a *Authorizer) AuthorizeAny(acls []metadata.ACL, principal, host string, op Operation, typ ResourceType) bool {
	if slices.Contains(a.superUsers, principal) {
		return true
	}
	allowed := false
	for i := range acls {
		b := &acls[i]
		if ResourceType(b.ResourceType) != typ || !principalMatches(b.Principal, principal) || !hostMatches(b.Host, host) {
			continue
		}
		wildcard := PatternType(b.PatternType) == PatternLiteral && b.ResourceName == WildcardResource
		switch Permission(b.Permission) {
		case PermissionDeny:
			if wildcard && (Operation(b.Operation) == op || Operation(b.Operation) == OpAll) {
				return false
			}
		case PermissionAllow:
			allowed = allowed || grants(Operation(b.Operation), op)
		}
	}
	if allowed {
		return true
	}
	return a.allowIfNoneFound && !slices.ContainsFunc(acls, func(b metadata.ACL) bool { return ResourceType(b.ResourceType) == typ })
}

// grants reports whether an ALLOW of have permits want.
func grants(have, want Operation) bool {
	if have == want || have == OpAll {
		return true
	}
	switch want {
	case OpDescribe:
		return have == OpRead || have == OpWrite || have == OpDelete || have == OpAlter
	case OpDescribeConfigs:
		return have == OpAlterConfigs
	}
	return false
}

// resourceMatches reports whether binding b's pattern covers res.
func resourceMatches(b *metadata.ACL, res Resource) bool {
	if ResourceType(b.ResourceType) != res.Type {
		return false
	}
	switch PatternType(b.PatternType) {
	case PatternLiteral:
		return b.ResourceName == res.Name || b.ResourceName == WildcardResource
	case PatternPrefixed:
		return strings.HasPrefix(res.Name, b.ResourceName)
	}
	return false
}

func principalMatches(pattern, principal string) bool {
	return pattern == principal || (pattern == WildcardPrincipal && strings.HasPrefix(principal, "User:"))
}

func hostMatches(pattern, host string) bool {
	return pattern == WildcardHost || pattern == host
}
