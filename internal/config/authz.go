package config

import (
	"slices"
	"strings"
)

// AuthorizerClassNames are the authorizer.class.name values that select
// Samsa's built-in ACL authorizer: its own name and Kafka's two, so that
// existing server.properties files work unchanged.
var AuthorizerClassNames = []string{
	"samsa.security.authorizer.StandardAuthorizer",
	"org.apache.kafka.metadata.authorizer.StandardAuthorizer",
	"kafka.security.authorizer.AclAuthorizer",
}

// Authz is the ACL authorization configuration.
type Authz struct {
	// ClassName is authorizer.class.name; empty turns authorization off.
	ClassName string
	// SuperUsers is super.users ("User:a;User:b"): principals allowed
	// everything.
	SuperUsers []string
	// AllowEveryoneIfNoACLFound is allow.everyone.if.no.acl.found: allow a
	// resource no ACL binding matches (default false).
	AllowEveryoneIfNoACLFound bool
}

// Enabled reports whether requests are authorized.
func (a Authz) Enabled() bool { return a.ClassName != "" }

// QuotaConfig is the client-quota sampling configuration (Kafka's
// quota.window.num and quota.window.size.seconds): rates are measured over
// WindowNum windows of WindowSizeSeconds each.
type QuotaConfig struct {
	WindowNum         int
	WindowSizeSeconds int
}

func (r *reader) authz(b *Broker) {
	if r.str("authorizer.class.name", &b.Authz.ClassName) && b.Authz.ClassName != "" &&
		!slices.Contains(AuthorizerClassNames, b.Authz.ClassName) {
		r.fail("authorizer.class.name", b.Authz.ClassName, "empty or one of "+strings.Join(AuthorizerClassNames, ", "))
	}
	var su string
	if r.str("super.users", &su) {
		b.Authz.SuperUsers = nil
		for _, p := range strings.Split(su, ";") {
			if p = strings.TrimSpace(p); p != "" {
				b.Authz.SuperUsers = append(b.Authz.SuperUsers, p)
			}
		}
	}
	r.boolean("allow.everyone.if.no.acl.found", &b.Authz.AllowEveryoneIfNoACLFound)
	r.positive("quota.window.num", &b.Quota.WindowNum)
	r.positive("quota.window.size.seconds", &b.Quota.WindowSizeSeconds)
}

func (r *reader) positive(key string, dst *int) {
	v, _ := r.get(key)
	if readInt(r, key, dst) && *dst < 1 {
		r.fail(key, v, "an integer of at least 1")
	}
}
