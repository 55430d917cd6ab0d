// Package acl is Samsa's standard authorizer: Kafka's ACL model (resource
// types, LITERAL and PREFIXED patterns, operations with their implications,
// ALLOW and DENY permissions, host matching) evaluated against the
// bindings of a metadata image, plus the binding filters that DescribeAcls
// and DeleteAcls use.
//
// Decisions follow Kafka's StandardAuthorizer: a super user is allowed
// everything; otherwise a matching DENY wins over any ALLOW; an ALLOW
// grants its operation, ALL grants every operation, READ, WRITE, DELETE
// and ALTER imply DESCRIBE, and ALTER_CONFIGS implies DESCRIBE_CONFIGS; a
// resource no binding matches at all is allowed only with
// allow.everyone.if.no.acl.found.
//
// The package holds no state beyond its configuration; callers pass the
// bindings (an immutable image slice) with every question.
package acl
