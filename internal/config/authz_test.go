package config

import "testing"

func TestAuthzAndQuotaKeys(t *testing.T) {
	b, _, errs := fromRaw(map[string]string{
		"authorizer.class.name":          "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
		"super.users":                    "User:admin; User:broker",
		"allow.everyone.if.no.acl.found": "true",
		"quota.window.num":               "5",
	}, nil)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if !b.Authz.Enabled() || len(b.Authz.SuperUsers) != 2 || b.Authz.SuperUsers[1] != "User:broker" ||
		!b.Authz.AllowEveryoneIfNoACLFound || b.Quota.WindowNum != 5 || b.Quota.WindowSizeSeconds != 1 {
		t.Fatalf("got %+v %+v", b.Authz, b.Quota)
	}
	for key, bad := range map[string]string{"authorizer.class.name": "com.example.Foo", "quota.window.size.seconds": "0"} {
		if _, _, errs := fromRaw(map[string]string{key: bad}, nil); len(errs) == 0 {
			t.Errorf("accepted %s=%s", key, bad)
		}
	}
	if Default().Authz.Enabled() {
		t.Error("authorization must be off by default")
	}
}
