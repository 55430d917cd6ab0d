package controller

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/samsa-io/samsa/internal/metadata"
)

func TestApplyACLsAddRemoveIdempotent(t *testing.T) {
	a := metadata.ACL{ResourceType: 2, ResourceName: "t", PatternType: 3, Principal: "User:a", Host: "*", Operation: 3, Permission: 3}
	b := a
	b.Operation = 4
	im := metadata.Empty()
	older := im.Clone()
	must(t, applyCreateACLs(im, &ACLsRecord{ACLs: []metadata.ACL{a, b, a}}), "create")
	must(t, applyCreateACLs(im, &ACLsRecord{ACLs: []metadata.ACL{a}}), "create again")
	if len(im.ACLs) != 2 || len(older.ACLs) != 0 {
		t.Fatalf("acls = %v, older = %v", im.ACLs, older.ACLs)
	}
	shared := im.Clone()
	must(t, applyRemoveACLs(im, &ACLsRecord{ACLs: []metadata.ACL{a}}), "remove")
	if !reflect.DeepEqual(im.ACLs, []metadata.ACL{b}) || len(shared.ACLs) != 2 {
		t.Fatalf("after remove %v, clone %v", im.ACLs, shared.ACLs)
	}
}

func TestApplyQuotas(t *testing.T) {
	im := metadata.Empty()
	e := metadata.QuotaEntity{ClientID: "x"}
	must(t, applyQuotas(im, &QuotasRecord{Changes: []QuotaChange{{Entity: e, Set: map[string]float64{"producer_byte_rate": 1024}}}}), "set")
	before := im.Clone()
	if v, ok := im.Quota(e, "producer_byte_rate"); !ok || v != 1024 {
		t.Fatalf("quota = %v %v", v, ok)
	}
	must(t, applyQuotas(im, &QuotasRecord{Changes: []QuotaChange{{Entity: e, Remove: []string{"producer_byte_rate"}}}}), "remove")
	if len(im.Quotas) != 0 || len(before.Quotas) != 1 {
		t.Fatalf("quotas %v, before %v", im.Quotas, before.Quotas)
	}
	if err := applyQuotas(im, &QuotasRecord{Changes: []QuotaChange{{Set: map[string]float64{"a": 1}}}}); err == nil {
		t.Fatal("accepted an empty entity")
	}
	if err := applyQuotas(im, &QuotasRecord{Changes: []QuotaChange{{Entity: e, Set: map[string]float64{"a": -1}}}}); err == nil {
		t.Fatal("accepted a negative quota")
	}
}

func TestSnapshotKeepsACLsAndQuotas(t *testing.T) {
	im := metadata.Empty()
	im.ACLs = []metadata.ACL{{ResourceType: 2, ResourceName: "p-", PatternType: 4, Principal: "User:a", Host: "*", Operation: 2, Permission: 3}}
	im.Quotas = map[metadata.QuotaEntity]metadata.QuotaValues{
		{User: metadata.QuotaDefault}: {"consumer_byte_rate": 5},
		{User: "u", ClientID: "c"}:    {"producer_byte_rate": 7},
	}
	var buf bytes.Buffer
	must(t, encodeSnapshot(&buf, im), "encode")
	got, err := decodeSnapshot(&buf)
	must(t, err, "decode")
	if !reflect.DeepEqual(got.ACLs, im.ACLs) || !reflect.DeepEqual(got.Quotas, im.Quotas) {
		t.Fatalf("got %v %v", got.ACLs, got.Quotas)
	}
}

// ACLs and quotas written through Raft survive a restart from the log and
// from a snapshot.
func TestACLsAndQuotasThroughRaft(t *testing.T) {
	cfg := testConfig(1, t.TempDir())
	c := startController(t, cfg)
	a := metadata.ACL{ResourceType: 2, ResourceName: "app-", PatternType: 4, Principal: "User:alice", Host: "*", Operation: 4, Permission: 3}
	must(t, c.CreateACLs(ctxT(t), []metadata.ACL{a}), "create acls")
	e := metadata.QuotaEntity{ClientID: "limited"}
	must(t, c.AlterQuotas(ctxT(t), []QuotaChange{{Entity: e, Set: map[string]float64{"producer_byte_rate": 1 << 20}}}), "alter quotas")
	check := func(when string) {
		im := c.Image()
		if !im.HasACL(a) {
			t.Fatalf("%s: acl missing: %v", when, im.ACLs)
		}
		if v, ok := im.Quota(e, "producer_byte_rate"); !ok || v != 1<<20 {
			t.Fatalf("%s: quota %v %v", when, v, ok)
		}
	}
	check("applied")
	c = reopen(t, c, cfg)
	check("after restart")
	must(t, c.raft.Snapshot().Error(), "snapshot")
	c = reopen(t, c, cfg)
	check("after snapshot")
	must(t, c.DeleteACLs(ctxT(t), []metadata.ACL{a}), "delete acls")
	if len(c.Image().ACLs) != 0 {
		t.Fatalf("after delete: %v", c.Image().ACLs)
	}
}
