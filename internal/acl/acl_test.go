package acl

import (
	"errors"
	"testing"

	"github.com/samsa-io/samsa/internal/metadata"
)

func bind(rt ResourceType, name string, pt PatternType, principal, host string, op Operation, perm Permission) metadata.ACL {
	return metadata.ACL{ResourceType: int8(rt), ResourceName: name, PatternType: int8(pt),
		Principal: principal, Host: host, Operation: int8(op), Permission: int8(perm)}
}

func allow(rt ResourceType, name string, pt PatternType, principal string, op Operation) metadata.ACL {
	return bind(rt, name, pt, principal, "*", op, PermissionAllow)
}

func TestAuthorizeMatrix(t *testing.T) {
	acls := []metadata.ACL{
		allow(ResourceTopic, "app-", PatternPrefixed, "User:alice", OpWrite),
		allow(ResourceTopic, "logs", PatternLiteral, "User:alice", OpRead),
		allow(ResourceTopic, "*", PatternLiteral, "User:bob", OpDescribe),
		allow(ResourceGroup, "g", PatternLiteral, "User:*", OpRead),
		allow(ResourceCluster, ClusterName, PatternLiteral, "User:carol", OpAll),
		allow(ResourceTopic, "cfg", PatternLiteral, "User:dave", OpAlterConfigs),
		bind(ResourceTopic, "app-secret", PatternLiteral, "User:alice", "*", OpWrite, PermissionDeny),
		bind(ResourceTopic, "logs", PatternLiteral, "User:alice", "10.0.0.9", OpAll, PermissionDeny),
		allow(ResourceTopic, "hosted", PatternLiteral, "User:erin", OpRead),
	}
	acls[len(acls)-1].Host = "10.0.0.1"
	a := New([]string{"User:root"}, false)
	cases := []struct {
		principal, host string
		op              Operation
		res             Resource
		want            bool
	}{
		{"User:alice", "h", OpWrite, Topic("app-1"), true},          // prefixed
		{"User:alice", "h", OpDescribe, Topic("app-1"), true},       // WRITE implies DESCRIBE
		{"User:alice", "h", OpRead, Topic("app-1"), false},          // only WRITE granted
		{"User:alice", "h", OpWrite, Topic("ap"), false},            // shorter than the prefix
		{"User:alice", "h", OpWrite, Topic("app-secret"), false},    // DENY wins
		{"User:alice", "h", OpDescribe, Topic("app-secret"), true},  // DENY WRITE does not deny DESCRIBE
		{"User:alice", "h", OpRead, Topic("logs"), true},            // literal
		{"User:alice", "10.0.0.9", OpRead, Topic("logs"), false},    // host-specific DENY ALL
		{"User:alice", "h", OpRead, Topic("logs2"), false},          // literal is exact
		{"User:bob", "h", OpDescribe, Topic("anything"), true},      // literal wildcard
		{"User:bob", "h", OpRead, Topic("anything"), false},         // DESCRIBE does not imply READ
		{"User:zed", "h", OpRead, Group("g"), true},                 // wildcard principal
		{"User:zed", "h", OpRead, Group("g2"), false},               // no binding, no default
		{"User:carol", "h", OpClusterAction, Cluster(), true},       // ALL
		{"User:carol", "h", OpIdempotentWrite, Cluster(), true},     // ALL
		{"User:dave", "h", OpDescribeConfigs, Topic("cfg"), true},   // ALTER_CONFIGS implies it
		{"User:dave", "h", OpDescribe, Topic("cfg"), false},         // but not DESCRIBE
		{"User:root", "h", OpDelete, Topic("app-secret"), true},     // super user
		{"User:erin", "10.0.0.1", OpRead, Topic("hosted"), true},    // host match
		{"User:erin", "10.0.0.2", OpRead, Topic("hosted"), false},   // host mismatch
		{"User:alice", "h", OpRead, TransactionalID("app-"), false}, // other resource type
	}
	for _, c := range cases {
		if got := a.Authorize(acls, c.principal, c.host, c.op, c.res); got != c.want {
			t.Errorf("%s@%s %s %v: got %v, want %v", c.principal, c.host, c.op, c.res, got, c.want)
		}
	}
}

func TestAllowEveryoneIfNoACLFound(t *testing.T) {
	acls := []metadata.ACL{allow(ResourceTopic, "guarded", PatternLiteral, "User:alice", OpRead)}
	open := New(nil, true)
	if !open.Authorize(acls, "User:bob", "h", OpWrite, Topic("free")) {
		t.Fatal("a resource without bindings must be allowed")
	}
	if open.Authorize(acls, "User:bob", "h", OpRead, Topic("guarded")) {
		t.Fatal("a resource with bindings for someone else must be denied")
	}
	closed := New(nil, false)
	if closed.Authorize(nil, "User:bob", "h", OpRead, Topic("free")) {
		t.Fatal("default must deny")
	}
}

func TestAuthorizeAnyForIdempotentWrite(t *testing.T) {
	acls := []metadata.ACL{allow(ResourceTopic, "app-", PatternPrefixed, "User:alice", OpWrite)}
	a := New(nil, false)
	if !a.AuthorizeAny(acls, "User:alice", "h", OpWrite, ResourceTopic) {
		t.Fatal("WRITE on some topic must count")
	}
	if a.AuthorizeAny(acls, "User:bob", "h", OpWrite, ResourceTopic) {
		t.Fatal("bob has no WRITE anywhere")
	}
	deny := append(acls, bind(ResourceTopic, "*", PatternLiteral, "User:alice", "*", OpWrite, PermissionDeny))
	if a.AuthorizeAny(deny, "User:alice", "h", OpWrite, ResourceTopic) {
		t.Fatal("a wildcard DENY must win")
	}
}

func TestFilters(t *testing.T) {
	acls := []metadata.ACL{
		allow(ResourceTopic, "app-", PatternPrefixed, "User:alice", OpWrite),
		allow(ResourceTopic, "app-1", PatternLiteral, "User:alice", OpRead),
		allow(ResourceTopic, "*", PatternLiteral, "User:bob", OpRead),
		allow(ResourceGroup, "app-1", PatternLiteral, "User:alice", OpRead),
	}
	name := func(s string) *string { return &s }
	cases := []struct {
		f    Filter
		want int
	}{
		{Filter{ResourceAny, nil, PatternAny, nil, nil, OpAny, PermissionAny}, 4},
		{Filter{ResourceTopic, nil, PatternAny, nil, nil, OpAny, PermissionAny}, 3},
		{Filter{ResourceTopic, name("app-1"), PatternMatch, nil, nil, OpAny, PermissionAny}, 3},
		{Filter{ResourceTopic, name("app-1"), PatternLiteral, nil, nil, OpAny, PermissionAny}, 1},
		{Filter{ResourceTopic, name("app-"), PatternPrefixed, nil, nil, OpAny, PermissionAny}, 1},
		{Filter{ResourceTopic, name("app-1"), PatternAny, nil, nil, OpAny, PermissionAny}, 1},
		{Filter{ResourceAny, nil, PatternAny, name("User:bob"), nil, OpAny, PermissionAny}, 1},
		{Filter{ResourceAny, nil, PatternAny, nil, name("*"), OpRead, PermissionAllow}, 3},
		{Filter{ResourceAny, nil, PatternAny, nil, nil, OpAny, PermissionDeny}, 0},
	}
	for i, c := range cases {
		if err := c.f.Validate(); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if got := len(c.f.Select(acls)); got != c.want {
			t.Errorf("case %d: %d matches, want %d", i, got, c.want)
		}
	}
	bad := Filter{ResourceUnknown, nil, PatternAny, nil, nil, OpAny, PermissionAny}
	if err := bad.Validate(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown resource type: %v", err)
	}
}

func TestValidateBinding(t *testing.T) {
	good := allow(ResourceTopic, "t", PatternLiteral, "User:a", OpRead)
	if err := ValidateBinding(good); err != nil {
		t.Fatal(err)
	}
	mutations := []func(*metadata.ACL){
		func(b *metadata.ACL) { b.ResourceType = int8(ResourceAny) },
		func(b *metadata.ACL) { b.PatternType = int8(PatternMatch) },
		func(b *metadata.ACL) { b.Operation = int8(OpAny) },
		func(b *metadata.ACL) { b.Permission = int8(PermissionAny) },
		func(b *metadata.ACL) { b.ResourceName = "" },
		func(b *metadata.ACL) { b.ResourceType, b.ResourceName = int8(ResourceCluster), "other" },
		func(b *metadata.ACL) { b.Principal = "alice" },
		func(b *metadata.ACL) { b.Host = "" },
		func(b *metadata.ACL) { b.Operation = 99 },
	}
	for i, m := range mutations {
		b := good
		m(&b)
		if err := ValidateBinding(b); !errors.Is(err, ErrInvalid) {
			t.Errorf("mutation %d accepted: %v", i, err)
		}
	}
}

func TestParseNames(t *testing.T) {
	for in, want := range map[string]Operation{"Read": OpRead, "DESCRIBE_CONFIGS": OpDescribeConfigs,
		"DescribeConfigs": OpDescribeConfigs, "IdempotentWrite": OpIdempotentWrite, "all": OpAll} {
		if got, err := ParseOperation(in); err != nil || got != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	if _, err := ParseOperation("Fly"); err == nil {
		t.Error("parsed Fly")
	}
	if p, err := ParsePatternType("prefixed"); err != nil || p != PatternPrefixed {
		t.Errorf("prefixed: %v %v", p, err)
	}
	if got := ParseSuperUsers(" User:a ;User:b;"); len(got) != 2 || got[1] != "User:b" {
		t.Errorf("super users %v", got)
	}
	if OpAlterConfigs.String() != "ALTER_CONFIGS" || Operation(99).String() != "UNKNOWN" {
		t.Error("names")
	}
}
