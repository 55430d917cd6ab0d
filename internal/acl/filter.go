package acl

import (
	"fmt"
	"strings"

	"github.com/samsa-io/samsa/internal/metadata"
)

// Filter selects bindings for DescribeAcls and DeleteAcls. A nil name,
// principal or host matches any; ANY matches every type, operation and
// permission; pattern ANY matches every pattern and MATCH every binding
// that applies to the named resource (its literal name, the literal
// wildcard, and every prefix of it).
type Filter struct {
	ResourceType ResourceType
	ResourceName *string
	PatternType  PatternType
	Principal    *string
	Host         *string
	Operation    Operation
	Permission   Permission
}

// Validate rejects filters Kafka rejects: UNKNOWN in any enum field.
func (f *Filter) Validate() error {
	switch {
	case f.ResourceType == ResourceUnknown || resourceNames[f.ResourceType] == "":
		return fmt.Errorf("%w: unknown resource type %d", ErrInvalid, f.ResourceType)
	case f.PatternType == PatternUnknown || patternNames[f.PatternType] == "":
		return fmt.Errorf("%w: unknown pattern type %d", ErrInvalid, f.PatternType)
	case f.Operation == OpUnknown || operationNames[f.Operation] == "":
		return fmt.Errorf("%w: unknown operation %d", ErrInvalid, f.Operation)
	case f.Permission == PermissionUnknown || permissionNames[f.Permission] == "":
		return fmt.Errorf("%w: unknown permission type %d", ErrInvalid, f.Permission)
	}
	return nil
}

// Matches reports whether binding b passes the filter.
func (f *Filter) Matches(b metadata.ACL) bool {
	return (f.ResourceType == ResourceAny || ResourceType(b.ResourceType) == f.ResourceType) &&
		f.patternMatches(b) &&
		(f.Principal == nil || *f.Principal == b.Principal) &&
		(f.Host == nil || *f.Host == b.Host) &&
		(f.Operation == OpAny || Operation(b.Operation) == f.Operation) &&
		(f.Permission == PermissionAny || Permission(b.Permission) == f.Permission)
}

func (f *Filter) patternMatches(b metadata.ACL) bool {
	pt := PatternType(b.PatternType)
	switch f.PatternType {
	case PatternAny:
		return f.ResourceName == nil || *f.ResourceName == b.ResourceName
	case PatternMatch:
		if f.ResourceName == nil {
			return true
		}
		name := *f.ResourceName
		return (pt == PatternLiteral && (b.ResourceName == name || b.ResourceName == WildcardResource)) ||
			(pt == PatternPrefixed && strings.HasPrefix(name, b.ResourceName))
	default:
		return pt == f.PatternType && (f.ResourceName == nil || *f.ResourceName == b.ResourceName)
	}
}

// Select returns the bindings of acls that pass the filter.
func (f *Filter) Select(acls []metadata.ACL) []metadata.ACL {
	var out []metadata.ACL
	for _, b := range acls {
		if f.Matches(b) {
			out = append(out, b)
		}
	}
	return out
}

// ValidateBinding rejects a binding CreateAcls must not store: filter-only
// values (ANY, MATCH), unknown codes, an empty resource name, a cluster
// name other than kafka-cluster, or a principal without a type prefix.
func ValidateBinding(b metadata.ACL) error {
	rt, pt := ResourceType(b.ResourceType), PatternType(b.PatternType)
	op, perm := Operation(b.Operation), Permission(b.Permission)
	switch {
	case rt <= ResourceAny || resourceNames[rt] == "":
		return fmt.Errorf("%w: resource type %s is not allowed in a binding", ErrInvalid, rt)
	case pt != PatternLiteral && pt != PatternPrefixed:
		return fmt.Errorf("%w: pattern type %s is not allowed in a binding", ErrInvalid, pt)
	case op <= OpAny || operationNames[op] == "":
		return fmt.Errorf("%w: operation %s is not allowed in a binding", ErrInvalid, op)
	case perm != PermissionAllow && perm != PermissionDeny:
		return fmt.Errorf("%w: permission type %s is not allowed in a binding", ErrInvalid, perm)
	case b.ResourceName == "":
		return fmt.Errorf("%w: resource name must not be empty", ErrInvalid)
	case rt == ResourceCluster && b.ResourceName != ClusterName:
		return fmt.Errorf("%w: the only valid name for the CLUSTER resource is %s", ErrInvalid, ClusterName)
	case !strings.Contains(b.Principal, ":") || strings.HasPrefix(b.Principal, ":"):
		return fmt.Errorf("%w: principal %q is not of the form Type:name", ErrInvalid, b.Principal)
	case b.Host == "":
		return fmt.Errorf("%w: host must not be empty", ErrInvalid)
	}
	return nil
}

// Describe formats a binding's entry as kafka-acls prints it.
func Describe(b metadata.ACL) string {
	return fmt.Sprintf("(principal=%s, host=%s, operation=%s, permissionType=%s)",
		b.Principal, b.Host, Operation(b.Operation), Permission(b.Permission))
}

// DescribePattern formats a binding's resource pattern as kafka-acls does.
func DescribePattern(b metadata.ACL) string {
	return fmt.Sprintf("ResourcePattern(resourceType=%s, name=%s, patternType=%s)",
		ResourceType(b.ResourceType), b.ResourceName, PatternType(b.PatternType))
}
