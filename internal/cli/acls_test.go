package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/samsa-io/samsa/internal/acl"
)

func TestACLsBindings(t *testing.T) {
	o := &aclsOptions{add: true, allowPrincipals: []string{"User:alice"}, producer: true, consumer: true, idempotent: true,
		topics: []string{"app-"}, groups: []string{"g"}, patternType: "prefixed"}
	pt, err := o.validate()
	if err != nil {
		t.Fatal(err)
	}
	bs, err := o.bindings(pt)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	printGrouped(&out, "Adding ACLs for resource", bs)
	for _, want := range []string{
		"Adding ACLs for resource `ResourcePattern(resourceType=TOPIC, name=app-, patternType=PREFIXED)`: \n",
		"(principal=User:alice, host=*, operation=WRITE, permissionType=ALLOW)",
		"(principal=User:alice, host=*, operation=CREATE, permissionType=ALLOW)",
		"(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)",
		"`ResourcePattern(resourceType=GROUP, name=g, patternType=PREFIXED)`",
		"`ResourcePattern(resourceType=CLUSTER, name=kafka-cluster, patternType=LITERAL)`",
		"operation=IDEMPOTENT_WRITE",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("missing %q in\n%s", want, out.String())
		}
	}
	// WRITE, DESCRIBE, CREATE, READ on the topic; READ on the group;
	// IDEMPOTENT_WRITE on the cluster.
	if len(bs) != 6 {
		t.Errorf("%d bindings, want 6: %v", len(bs), bs)
	}
}

func TestACLsValidateAndFilters(t *testing.T) {
	for _, o := range []*aclsOptions{
		{patternType: "literal"},                                                                                        // no action
		{add: true, list: true, patternType: "literal"},                                                                 // two actions
		{add: true, topics: []string{"t"}, patternType: "literal"},                                                      // no principal
		{add: true, allowPrincipals: []string{"User:a"}, patternType: "literal"},                                        // no resource
		{add: true, allowPrincipals: []string{"User:a"}, topics: []string{"t"}, patternType: "match"},                   // filter type
		{add: true, allowPrincipals: []string{"User:a"}, consumer: true, topics: []string{"t"}, patternType: "literal"}, // no group
	} {
		if _, err := o.validate(); err == nil {
			t.Errorf("accepted %+v", o)
		}
	}
	o := &aclsOptions{remove: true, allowPrincipals: []string{"User:a"}, operations: []string{"Write"}, topics: []string{"t"}, patternType: "literal"}
	fs, err := o.filters(acl.PatternLiteral)
	if err != nil || len(fs) != 1 || *fs[0].Principal != "User:a" || *fs[0].Host != "*" || fs[0].Operation != 4 {
		t.Fatalf("filters %+v %v", fs, err)
	}
	all, _ := (&aclsOptions{list: true}).filters(acl.PatternLiteral)
	if len(all) != 1 || all[0].ResourceType != 1 || all[0].ResourcePatternType != 1 || all[0].ResourceName != nil {
		t.Fatalf("list-all filter %+v", all)
	}
}
