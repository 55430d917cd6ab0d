package acl

import (
	"errors"
	"fmt"
	"strings"
)

// ResourceType is Kafka's resource type code.
type ResourceType int8

// Resource types (Kafka's codes).
const (
	ResourceUnknown         ResourceType = 0
	ResourceAny             ResourceType = 1
	ResourceTopic           ResourceType = 2
	ResourceGroup           ResourceType = 3
	ResourceCluster         ResourceType = 4
	ResourceTransactionalID ResourceType = 5
	ResourceDelegationToken ResourceType = 6
	ResourceUser            ResourceType = 7
)

// PatternType is Kafka's resource pattern type code (KIP-290).
type PatternType int8

// Pattern types. ANY and MATCH appear only in filters.
const (
	PatternUnknown  PatternType = 0
	PatternAny      PatternType = 1
	PatternMatch    PatternType = 2
	PatternLiteral  PatternType = 3
	PatternPrefixed PatternType = 4
)

// Operation is Kafka's ACL operation code.
type Operation int8

// Operations (Kafka's codes).
const (
	OpUnknown         Operation = 0
	OpAny             Operation = 1
	OpAll             Operation = 2
	OpRead            Operation = 3
	OpWrite           Operation = 4
	OpCreate          Operation = 5
	OpDelete          Operation = 6
	OpAlter           Operation = 7
	OpDescribe        Operation = 8
	OpClusterAction   Operation = 9
	OpDescribeConfigs Operation = 10
	OpAlterConfigs    Operation = 11
	OpIdempotentWrite Operation = 12
	OpCreateTokens    Operation = 13
	OpDescribeTokens  Operation = 14
)

// Permission is Kafka's ACL permission type code.
type Permission int8

// Permissions. ANY appears only in filters.
const (
	PermissionUnknown Permission = 0
	PermissionAny     Permission = 1
	PermissionDeny    Permission = 2
	PermissionAllow   Permission = 3
)

// Wildcards and fixed names of Kafka's ACL model.
const (
	WildcardResource  = "*"
	WildcardPrincipal = "User:*"
	WildcardHost      = "*"
	ClusterName       = "kafka-cluster"
	AnonymousUser     = "User:ANONYMOUS"
)

// ErrInvalid marks a binding or filter that Kafka would reject as
// INVALID_REQUEST.
var ErrInvalid = errors.New("acl: invalid binding")

var resourceNames = map[ResourceType]string{
	ResourceUnknown: "UNKNOWN", ResourceAny: "ANY", ResourceTopic: "TOPIC", ResourceGroup: "GROUP",
	ResourceCluster: "CLUSTER", ResourceTransactionalID: "TRANSACTIONAL_ID",
	ResourceDelegationToken: "DELEGATION_TOKEN", ResourceUser: "USER",
}

var patternNames = map[PatternType]string{
	PatternUnknown: "UNKNOWN", PatternAny: "ANY", PatternMatch: "MATCH",
	PatternLiteral: "LITERAL", PatternPrefixed: "PREFIXED",
}

var operationNames = map[Operation]string{
	OpUnknown: "UNKNOWN", OpAny: "ANY", OpAll: "ALL", OpRead: "READ", OpWrite: "WRITE",
	OpCreate: "CREATE", OpDelete: "DELETE", OpAlter: "ALTER", OpDescribe: "DESCRIBE",
	OpClusterAction: "CLUSTER_ACTION", OpDescribeConfigs: "DESCRIBE_CONFIGS",
	OpAlterConfigs: "ALTER_CONFIGS", OpIdempotentWrite: "IDEMPOTENT_WRITE",
	OpCreateTokens: "CREATE_TOKENS", OpDescribeTokens: "DESCRIBE_TOKENS",
}

var permissionNames = map[Permission]string{
	PermissionUnknown: "UNKNOWN", PermissionAny: "ANY", PermissionDeny: "DENY", PermissionAllow: "ALLOW",
}

func (r ResourceType) String() string { return nameOr(resourceNames, r) }
func (p PatternType) String() string  { return nameOr(patternNames, p) }
func (o Operation) String() string    { return nameOr(operationNames, o) }
func (p Permission) String() string   { return nameOr(permissionNames, p) }

func nameOr[K comparable](names map[K]string, k K) string {
	if n, ok := names[k]; ok {
		return n
	}
	return "UNKNOWN"
}

// ParseOperation reads an operation name as kafka-acls spells it
// (Read, WRITE, DescribeConfigs, describe_configs, IdempotentWrite, All).
func ParseOperation(s string) (Operation, error) {
	return parseName(operationNames, s, "operation")
}

// ParsePatternType reads a pattern type name (literal, prefixed, any, match).
func ParsePatternType(s string) (PatternType, error) {
	return parseName(patternNames, s, "resource pattern type")
}

func parseName[K comparable](names map[K]string, s, what string) (K, error) {
	want := normalize(s)
	for k, n := range names {
		if normalize(n) == want && n != "UNKNOWN" {
			return k, nil
		}
	}
	var zero K
	return zero, fmt.Errorf("%w: unknown %s %q", ErrInvalid, what, s)
}

// normalize makes "DescribeConfigs", "describe_configs" and
// "DESCRIBE-CONFIGS" compare equal.
func normalize(s string) string {
	return strings.NewReplacer("_", "", "-", "").Replace(strings.ToUpper(strings.TrimSpace(s)))
}
