package handler

import (
	"context"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/acl"
	"github.com/samsa-io/samsa/internal/controller"
	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/quota"
	"github.com/samsa-io/samsa/protocol"
	"github.com/samsa-io/samsa/protocol/records"
)

// securedController stores ACLs and quotas straight into the fixture's
// image, as the real controller's apply would.
type securedController struct {
	*adminController
	dp *dataPath
}

func (c *securedController) update(fn func(im *metadata.Image)) {
	im := c.dp.im.Load().Clone()
	fn(im)
	c.dp.im.Store(im)
}

func (c *securedController) CreateACLs(_ context.Context, acls []metadata.ACL) error {
	c.update(func(im *metadata.Image) {
		im.ACLs = slices.Clone(im.ACLs)
		for _, a := range acls {
			if !slices.Contains(im.ACLs, a) {
				im.ACLs = append(im.ACLs, a)
			}
		}
	})
	return nil
}

func (c *securedController) DeleteACLs(_ context.Context, acls []metadata.ACL) error {
	c.update(func(im *metadata.Image) {
		im.ACLs = slices.DeleteFunc(slices.Clone(im.ACLs), func(a metadata.ACL) bool { return slices.Contains(acls, a) })
	})
	return nil
}

func (c *securedController) AlterQuotas(_ context.Context, changes []controller.QuotaChange) error {
	c.update(func(im *metadata.Image) {
		q := map[metadata.QuotaEntity]metadata.QuotaValues{}
		for k, v := range im.Quotas {
			q[k] = v
		}
		for _, ch := range changes {
			q[ch.Entity] = ch.Set
		}
		im.Quotas = q
	})
	return nil
}

// newSecured is the data-path fixture with authorization on and
// User:admin as super user.
func newSecured(t *testing.T, topics ...*metadata.Topic) *dataPath {
	t.Helper()
	dp := newDataPath(t, topics...)
	cfg := *dp.h.Config
	cfg.Authz.ClassName = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
	cfg.Authz.SuperUsers = []string{"User:admin"}
	dp.h = New(Deps{NodeID: 1, Config: &cfg, Image: dp.im.Load, Controller: &securedController{dp.ctl, dp},
		Partitions: dp.m, ProducerIDs: dp.ids, Logger: dp.h.Logger})
	return dp
}

func (dp *dataPath) as(principal string, body kmsg.Request) kmsg.Response {
	dp.t.Helper()
	req := &protocol.Request{Header: protocol.Header{Key: body.Key(), Version: body.GetVersion(), ClientID: "test-client"},
		Body: body, Principal: principal, ClientHost: "127.0.0.1"}
	return dp.h.Handle(context.Background(), req)
}

func grant(dp *dataPath, principal string, rt acl.ResourceType, name string, pt acl.PatternType, ops ...acl.Operation) {
	dp.t.Helper()
	req := kmsg.NewPtrCreateACLsRequest()
	req.SetVersion(3)
	for _, op := range ops {
		c := kmsg.NewCreateACLsRequestCreation()
		c.ResourceType, c.ResourceName, c.ResourcePatternType = kmsg.ACLResourceType(rt), name, kmsg.ACLResourcePatternType(pt)
		c.Principal, c.Host, c.Operation, c.PermissionType = principal, "*", kmsg.ACLOperation(op), kmsg.ACLPermissionTypeAllow
		req.Creations = append(req.Creations, c)
	}
	resp := dp.as("User:admin", req).(*kmsg.CreateACLsResponse)
	for _, r := range resp.Results {
		if r.ErrorCode != 0 {
			dp.t.Fatalf("create acl: %v %s", kerr.ErrorForCode(r.ErrorCode), msgOf(r.ErrorMessage))
		}
	}
}

func TestAuthzProduceNeedsWrite(t *testing.T) {
	dp := newSecured(t, dpTopic("app-events", 1, 1, nil), dpTopic("other", 2, 1, nil))
	produce := func() *kmsg.ProduceResponse {
		req := produceReq(9, -1, "app-events", 0, plainBatch(t, 1, 1000))
		req.Topics = append(req.Topics, produceReq(9, -1, "other", 0, plainBatch(t, 1, 1000)).Topics...)
		return dp.as("User:alice", req).(*kmsg.ProduceResponse)
	}
	codes := func(resp *kmsg.ProduceResponse) map[string]int16 {
		out := map[string]int16{}
		for _, rt := range resp.Topics {
			out[rt.Topic] = rt.Partitions[0].ErrorCode
		}
		return out
	}
	got := codes(produce())
	if got["app-events"] != kerr.TopicAuthorizationFailed.Code || got["other"] != kerr.TopicAuthorizationFailed.Code {
		t.Fatalf("without ACLs: %v", got)
	}
	grant(dp, "User:alice", acl.ResourceTopic, "app-", acl.PatternPrefixed, acl.OpWrite)
	got = codes(produce())
	if got["app-events"] != 0 || got["other"] != kerr.TopicAuthorizationFailed.Code {
		t.Fatalf("with a prefixed WRITE: %v", got)
	}
	// The super user needs no grant; an in-process request no principal.
	if resp := dp.as("User:admin", produceReq(9, -1, "other", 0, plainBatch(t, 1, 1000))).(*kmsg.ProduceResponse); resp.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("super user: %v", resp.Topics[0].Partitions[0].ErrorCode)
	}
}

func TestAuthzMetadataHidesTopics(t *testing.T) {
	dp := newSecured(t, dpTopic("app-events", 1, 1, nil), dpTopic("secret", 2, 1, nil))
	grant(dp, "User:alice", acl.ResourceTopic, "app-", acl.PatternPrefixed, acl.OpRead)
	all := kmsg.NewPtrMetadataRequest()
	all.SetVersion(12)
	resp := dp.as("User:alice", all).(*kmsg.MetadataResponse)
	if len(resp.Topics) != 1 || *resp.Topics[0].Topic != "app-events" {
		t.Fatalf("all topics: %+v", resp.Topics)
	}
	named := kmsg.NewPtrMetadataRequest()
	named.SetVersion(12)
	named.AllowAutoTopicCreation = true
	for _, n := range []string{"secret", "app-events", "new-topic"} {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(n)
		named.Topics = append(named.Topics, rt)
	}
	resp = dp.as("User:alice", named).(*kmsg.MetadataResponse)
	got := map[string]int16{}
	for _, rt := range resp.Topics {
		got[*rt.Topic] = rt.ErrorCode
	}
	want := map[string]int16{"secret": kerr.TopicAuthorizationFailed.Code, "app-events": 0, "new-topic": kerr.TopicAuthorizationFailed.Code}
	if len(got) != 3 || got["secret"] != want["secret"] || got["app-events"] != 0 || got["new-topic"] != want["new-topic"] {
		t.Fatalf("named: %v", got)
	}
	if len(dp.ctl.creates) != 0 {
		t.Fatalf("auto-created without CREATE: %v", dp.ctl.creates)
	}
}

func TestAuthzGroupAndClusterAPIs(t *testing.T) {
	dp := newSecured(t)
	join := kmsg.NewPtrJoinGroupRequest()
	join.SetVersion(9)
	join.Group = "g"
	if r := dp.as("User:alice", join).(*kmsg.JoinGroupResponse); r.ErrorCode != kerr.GroupAuthorizationFailed.Code {
		t.Fatalf("join: %v", kerr.ErrorForCode(r.ErrorCode))
	}
	grant(dp, "User:alice", acl.ResourceGroup, "g", acl.PatternLiteral, acl.OpRead)
	if r := dp.as("User:alice", join).(*kmsg.JoinGroupResponse); r.ErrorCode == kerr.GroupAuthorizationFailed.Code {
		t.Fatal("join still denied after READ on the group")
	}
	hb := kmsg.NewPtrBrokerHeartbeatRequest()
	if r := dp.as("User:alice", hb).(*kmsg.BrokerHeartbeatResponse); r.ErrorCode != kerr.ClusterAuthorizationFailed.Code {
		t.Fatalf("broker heartbeat: %v", kerr.ErrorForCode(r.ErrorCode))
	}
	if r := dp.as("", hb).(*kmsg.BrokerHeartbeatResponse); r.ErrorCode == kerr.ClusterAuthorizationFailed.Code {
		t.Fatal("an in-process request was denied")
	}
	ipid := kmsg.NewPtrInitProducerIDRequest()
	ipid.SetVersion(4)
	if r := dp.as("User:bob", ipid).(*kmsg.InitProducerIDResponse); r.ErrorCode != kerr.ClusterAuthorizationFailed.Code {
		t.Fatalf("idempotent InitProducerId without WRITE anywhere: %v", kerr.ErrorForCode(r.ErrorCode))
	}
	grant(dp, "User:bob", acl.ResourceTopic, "t", acl.PatternLiteral, acl.OpWrite)
	if r := dp.as("User:bob", ipid).(*kmsg.InitProducerIDResponse); r.ErrorCode != 0 {
		t.Fatalf("idempotent InitProducerId with WRITE on a topic: %v", kerr.ErrorForCode(r.ErrorCode))
	}
}

func TestACLAPIs(t *testing.T) {
	dp := newSecured(t)
	grant(dp, "User:alice", acl.ResourceTopic, "app-", acl.PatternPrefixed, acl.OpRead, acl.OpWrite)
	grant(dp, "User:bob", acl.ResourceGroup, "g", acl.PatternLiteral, acl.OpRead)

	desc := kmsg.NewPtrDescribeACLsRequest()
	desc.SetVersion(3)
	desc.ResourceType, desc.ResourcePatternType = kmsg.ACLResourceTypeTopic, kmsg.ACLResourcePatternTypeMatch
	desc.ResourceName = kmsg.StringPtr("app-1")
	desc.Operation, desc.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	r := dp.as("User:admin", desc).(*kmsg.DescribeACLsResponse)
	if r.ErrorCode != 0 || len(r.Resources) != 1 || len(r.Resources[0].ACLs) != 2 || r.Resources[0].ResourceName != "app-" {
		t.Fatalf("describe: %+v", r)
	}
	if r := dp.as("User:alice", desc).(*kmsg.DescribeACLsResponse); r.ErrorCode != kerr.ClusterAuthorizationFailed.Code {
		t.Fatalf("describe by a non-admin: %v", kerr.ErrorForCode(r.ErrorCode))
	}

	del := kmsg.NewPtrDeleteACLsRequest()
	del.SetVersion(3)
	f := kmsg.NewDeleteACLsRequestFilter()
	f.ResourceType, f.ResourcePatternType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny
	f.Principal = kmsg.StringPtr("User:alice")
	f.Operation, f.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	bad := f
	bad.ResourceType = kmsg.ACLResourceTypeUnknown
	del.Filters = append(del.Filters, f, bad)
	dr := dp.as("User:admin", del).(*kmsg.DeleteACLsResponse)
	if dr.Results[0].ErrorCode != 0 || len(dr.Results[0].MatchingACLs) != 2 || dr.Results[1].ErrorCode != kerr.InvalidRequest.Code {
		t.Fatalf("delete: %+v", dr.Results)
	}
	if got := dp.im.Load().ACLs; len(got) != 1 || got[0].Principal != "User:bob" {
		t.Fatalf("left %v", got)
	}

	create := kmsg.NewPtrCreateACLsRequest()
	create.SetVersion(3)
	c := kmsg.NewCreateACLsRequestCreation()
	c.ResourceType, c.ResourceName, c.ResourcePatternType = kmsg.ACLResourceTypeCluster, "other", kmsg.ACLResourcePatternTypeLiteral
	c.Principal, c.Host, c.Operation, c.PermissionType = "User:x", "*", kmsg.ACLOperationAlter, kmsg.ACLPermissionTypeAllow
	create.Creations = append(create.Creations, c)
	if cr := dp.as("User:admin", create).(*kmsg.CreateACLsResponse); cr.Results[0].ErrorCode != kerr.InvalidRequest.Code {
		t.Fatalf("cluster named other: %v", kerr.ErrorForCode(cr.Results[0].ErrorCode))
	}
}

func TestACLAPIsWithoutAuthorizer(t *testing.T) {
	dp := newDataPath(t)
	desc := kmsg.NewPtrDescribeACLsRequest()
	desc.SetVersion(1)
	desc.ResourceType, desc.ResourcePatternType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny
	desc.Operation, desc.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	if r := dp.as("User:ANONYMOUS", desc).(*kmsg.DescribeACLsResponse); r.ErrorCode != kerr.SecurityDisabled.Code {
		t.Fatalf("describe: %v", kerr.ErrorForCode(r.ErrorCode))
	}
}

func TestClientQuotaAPIsAndThrottle(t *testing.T) {
	dp := newSecured(t, dpTopic("t", 1, 1, nil))
	alter := kmsg.NewPtrAlterClientQuotasRequest()
	alter.SetVersion(1)
	e := kmsg.NewAlterClientQuotasRequestEntry()
	ent := kmsg.NewAlterClientQuotasRequestEntryEntity()
	ent.Type, ent.Name = "client-id", kmsg.StringPtr("test-client")
	op := kmsg.NewAlterClientQuotasRequestEntryOp()
	op.Key, op.Value = "producer_byte_rate", 1024
	e.Entity, e.Ops = append(e.Entity, ent), append(e.Ops, op)
	badOp := op
	badOp.Key = "bogus_rate"
	bad := kmsg.NewAlterClientQuotasRequestEntry()
	bad.Entity, bad.Ops = e.Entity, append(bad.Ops, badOp)
	alter.Entries = append(alter.Entries, e, bad)
	ar := dp.as("User:admin", alter).(*kmsg.AlterClientQuotasResponse)
	if ar.Entries[0].ErrorCode != 0 || ar.Entries[1].ErrorCode != kerr.InvalidRequest.Code {
		t.Fatalf("alter: %+v", ar.Entries)
	}

	desc := kmsg.NewPtrDescribeClientQuotasRequest()
	desc.SetVersion(1)
	comp := kmsg.NewDescribeClientQuotasRequestComponent()
	comp.EntityType, comp.MatchType = "client-id", 2
	desc.Components = append(desc.Components, comp)
	dr := dp.as("User:admin", desc).(*kmsg.DescribeClientQuotasResponse)
	if dr.ErrorCode != 0 || len(dr.Entries) != 1 || dr.Entries[0].Values[0].Value != 1024 || *dr.Entries[0].Entity[0].Name != "test-client" {
		t.Fatalf("describe: %+v", dr)
	}

	// 64 KiB at 1 KiB/s: the response reports a throttle time and the
	// client's next produce is held (KIP-219, v9 throttles on the client).
	grant(dp, "User:alice", acl.ResourceTopic, "t", acl.PatternLiteral, acl.OpWrite)
	big := make([]byte, 64<<10)
	req := produceReq(9, 1, "t", 0, recordsWithValue(t, big))
	resp := dp.as("User:alice", req).(*kmsg.ProduceResponse)
	if resp.Topics[0].Partitions[0].ErrorCode != 0 || resp.ThrottleMillis <= 0 {
		t.Fatalf("throttle %d, error %d", resp.ThrottleMillis, resp.Topics[0].Partitions[0].ErrorCode)
	}
	if wait := dp.h.quotas.HeldFor(dp.im.Load(), quota.Produce, quota.ClientOf("User:alice", "test-client")); wait <= 0 {
		t.Fatalf("next request not held: %v", wait)
	}
}

// recordsWithValue is a one-record plain batch carrying value.
func recordsWithValue(t *testing.T, value []byte) []byte {
	t.Helper()
	b, err := records.AppendBatch(nil, records.Header{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, BaseTimestamp: 1000},
		[]records.Record{{Value: value}}, records.None)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
