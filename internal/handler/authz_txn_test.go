package handler

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/acl"
	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/protocol"
)

// securedTxn is the transaction fixture with authorization on (User:admin
// is the super user) and ACLs written straight into its image.
type securedTxn struct {
	*txnFixture
	im *atomic.Pointer[metadata.Image]
}

func newSecuredTxn(t *testing.T) *securedTxn {
	t.Helper()
	f := newTxnFixture(t)
	im := &atomic.Pointer[metadata.Image]{}
	im.Store(f.h.Image())
	cfg := *f.h.Config
	cfg.Authz.ClassName = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
	cfg.Authz.SuperUsers = []string{"User:admin"}
	d := f.h.Deps
	d.Config, d.Image = &cfg, im.Load
	f.h = New(d)
	return &securedTxn{txnFixture: f, im: im}
}

func (s *securedTxn) grant(principal string, rt acl.ResourceType, name string, ops ...acl.Operation) {
	next := s.im.Load().Clone()
	next.ACLs = slices.Clone(next.ACLs)
	for _, op := range ops {
		next.ACLs = append(next.ACLs, metadata.ACL{ResourceType: int8(rt), ResourceName: name, PatternType: int8(acl.PatternLiteral),
			Principal: principal, Host: "*", Operation: int8(op), Permission: int8(acl.PermissionAllow)})
	}
	s.im.Store(next)
}

func (s *securedTxn) as(principal string, body kmsg.Request) kmsg.Response {
	s.t.Helper()
	return s.h.Handle(context.Background(), &protocol.Request{Header: protocol.Header{Key: body.Key(), Version: body.GetVersion(),
		ClientID: "test-client"}, Body: body, Principal: principal, ClientHost: "127.0.0.1"})
}

// WRITE and DESCRIBE on a transactional id do not let
// a producer commit offsets into a group it may not READ, nor for topics
// it may not READ.
func TestAuthzTxnOffsetsNeedGroupAndTopicRead(t *testing.T) {
	s := newSecuredTxn(t)
	const victim, mallory = "victim-group", "User:mallory"

	// The group's own transactional commit of 20, by a trusted producer.
	pid, epoch := s.initTxn(4, "owner-tx")
	code(t, "owner AddOffsetsToTxn", s.addOffsets(3, "owner-tx", pid, epoch, victim), nil)
	code(t, "owner TxnOffsetCommit", s.txnCommitOffset(3, "owner-tx", pid, epoch, victim, 20), nil)
	code(t, "owner EndTxn", s.endTxn(3, "owner-tx", pid, epoch, true).ErrorCode, nil)
	if off := s.committed(victim); off != 20 {
		t.Fatalf("committed %d, want 20", off)
	}

	s.grant(mallory, acl.ResourceTransactionalID, "evil-tx", acl.OpWrite, acl.OpDescribe)
	init := kmsg.NewPtrInitProducerIDRequest()
	init.Version, init.TransactionalID, init.TransactionTimeoutMillis = 4, kmsg.StringPtr("evil-tx"), 30000
	ir := s.as(mallory, init).(*kmsg.InitProducerIDResponse)
	code(t, "mallory InitProducerId", ir.ErrorCode, nil)

	attack := func(addWant, commitWant *kerr.Error, offset int64) {
		t.Helper()
		add := kmsg.NewPtrAddOffsetsToTxnRequest()
		add.Version, add.TransactionalID, add.ProducerID, add.ProducerEpoch, add.Group = 3, "evil-tx", ir.ProducerID, ir.ProducerEpoch, victim
		code(t, "mallory AddOffsetsToTxn", s.as(mallory, add).(*kmsg.AddOffsetsToTxnResponse).ErrorCode, addWant)
		for _, v := range []int16{0, 3} {
			commit := kmsg.NewPtrTxnOffsetCommitRequest()
			commit.Version, commit.TransactionalID, commit.Group = v, "evil-tx", victim
			commit.ProducerID, commit.ProducerEpoch, commit.Generation = ir.ProducerID, ir.ProducerEpoch, -1
			commit.Topics = []kmsg.TxnOffsetCommitRequestTopic{{Topic: "t",
				Partitions: []kmsg.TxnOffsetCommitRequestTopicPartition{{Partition: 0, Offset: offset, LeaderEpoch: -1}, {Partition: 1, Offset: offset, LeaderEpoch: -1}}}}
			resp := s.as(mallory, commit).(*kmsg.TxnOffsetCommitResponse)
			if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 2 {
				t.Fatalf("TxnOffsetCommit v%d: %+v, want both partitions answered", v, resp.Topics)
			}
			for _, p := range resp.Topics[0].Partitions {
				code(t, "mallory TxnOffsetCommit", p.ErrorCode, commitWant)
			}
		}
		end := kmsg.NewPtrEndTxnRequest()
		end.Version, end.TransactionalID, end.ProducerID, end.ProducerEpoch, end.Commit = 3, "evil-tx", ir.ProducerID, ir.ProducerEpoch, true
		s.as(mallory, end) // commits whatever got in
	}

	attack(kerr.GroupAuthorizationFailed, kerr.GroupAuthorizationFailed, 777)
	if off := s.committed(victim); off != 20 {
		t.Fatalf("without READ on the group: committed %d, want 20", off)
	}
	s.grant(mallory, acl.ResourceGroup, victim, acl.OpRead)
	attack(nil, kerr.TopicAuthorizationFailed, 777)
	if off := s.committed(victim); off != 20 {
		t.Fatalf("without READ on the topic: committed %d, want 20", off)
	}
	// With every grant Kafka asks for, the same requests do commit.
	s.grant(mallory, acl.ResourceTopic, "t", acl.OpRead)
	attack(nil, nil, 778)
	if off := s.committed(victim); off != 778 {
		t.Fatalf("with the grants: committed %d, want 778", off)
	}
}

// a denied admin write answers every requested item
// with the error, as Kafka does; an empty result list reads as "nothing
// asked" and clients went on as if it had worked.
func TestAuthzDeniedAdminWritesAnswerEachItem(t *testing.T) {
	dp := newSecured(t, dpTopic("t", 1, 2, nil))
	const who = "User:mallory"
	cluster := kerr.ClusterAuthorizationFailed.Code
	check := func(api string, got []int16, n int, want int16) {
		t.Helper()
		if len(got) != n {
			t.Fatalf("%s: %d results %v, want %d", api, len(got), got, n)
		}
		for _, c := range got {
			if c != want {
				t.Fatalf("%s: %v, want %v", api, got, kerr.ErrorForCode(want))
			}
		}
	}

	create := kmsg.NewPtrCreateACLsRequest()
	create.SetVersion(3)
	for _, name := range []string{"a", "b"} {
		create.Creations = append(create.Creations, kmsg.CreateACLsRequestCreation{ResourceType: kmsg.ACLResourceTypeTopic, ResourceName: name,
			ResourcePatternType: kmsg.ACLResourcePatternTypeLiteral, Principal: who, Host: "*",
			Operation: kmsg.ACLOperationAll, PermissionType: kmsg.ACLPermissionTypeAllow})
	}
	var codes []int16
	for _, r := range dp.as(who, create).(*kmsg.CreateACLsResponse).Results {
		codes = append(codes, r.ErrorCode)
	}
	check("CreateAcls", codes, 2, cluster)
	if len(dp.im.Load().ACLs) != 0 {
		t.Fatalf("ACLs stored: %v", dp.im.Load().ACLs)
	}

	del := kmsg.NewPtrDeleteACLsRequest()
	del.SetVersion(3)
	for range 2 {
		del.Filters = append(del.Filters, kmsg.DeleteACLsRequestFilter{ResourceType: kmsg.ACLResourceTypeAny,
			ResourcePatternType: kmsg.ACLResourcePatternTypeAny, Operation: kmsg.ACLOperationAny, PermissionType: kmsg.ACLPermissionTypeAny})
	}
	codes = nil
	for _, r := range dp.as(who, del).(*kmsg.DeleteACLsResponse).Results {
		codes = append(codes, r.ErrorCode)
	}
	check("DeleteAcls", codes, 2, cluster)

	scram := kmsg.NewPtrAlterUserSCRAMCredentialsRequest()
	scram.Deletions = []kmsg.AlterUserSCRAMCredentialsRequestDeletion{{Name: "alice", Mechanism: 1}}
	scram.Upsertions = []kmsg.AlterUserSCRAMCredentialsRequestUpsertion{{Name: "bob", Mechanism: 1, Iterations: 4096,
		Salt: []byte("salt"), SaltedPassword: make([]byte, 32)}}
	codes = nil
	var users []string
	for _, r := range dp.as(who, scram).(*kmsg.AlterUserSCRAMCredentialsResponse).Results {
		codes, users = append(codes, r.ErrorCode), append(users, r.User)
	}
	check("AlterUserScramCredentials", codes, 2, cluster)
	if !slices.Equal(users, []string{"alice", "bob"}) {
		t.Fatalf("AlterUserScramCredentials users %v", users)
	}

	quotas := kmsg.NewPtrAlterClientQuotasRequest()
	quotas.SetVersion(1)
	for _, u := range []string{"alice", "bob"} {
		quotas.Entries = append(quotas.Entries, kmsg.AlterClientQuotasRequestEntry{
			Entity: []kmsg.AlterClientQuotasRequestEntryEntity{{Type: "user", Name: kmsg.StringPtr(u)}},
			Ops:    []kmsg.AlterClientQuotasRequestEntryOp{{Key: "producer_byte_rate", Value: 1}}})
	}
	codes = nil
	for i, e := range dp.as(who, quotas).(*kmsg.AlterClientQuotasResponse).Entries {
		codes = append(codes, e.ErrorCode)
		if len(e.Entity) != 1 || *e.Entity[0].Name != *quotas.Entries[i].Entity[0].Name {
			t.Fatalf("AlterClientQuotas entry %d entity %+v", i, e.Entity)
		}
	}
	check("AlterClientQuotas", codes, 2, cluster)
	if len(dp.im.Load().Quotas) != 0 {
		t.Fatalf("quotas stored: %v", dp.im.Load().Quotas)
	}

	producers := kmsg.NewPtrDescribeProducersRequest()
	producers.Topics = []kmsg.DescribeProducersRequestTopic{{Topic: "t", Partitions: []int32{0, 1}}}
	codes = nil
	for _, rt := range dp.as(who, producers).(*kmsg.DescribeProducersResponse).Topics {
		for _, p := range rt.Partitions {
			codes = append(codes, p.ErrorCode)
		}
	}
	check("DescribeProducers", codes, 2, kerr.TopicAuthorizationFailed.Code)

	markers := kmsg.NewPtrWriteTxnMarkersRequest()
	markers.SetVersion(1)
	for pid := range int64(2) {
		markers.Markers = append(markers.Markers, kmsg.WriteTxnMarkersRequestMarker{ProducerID: 100 + pid,
			Topics: []kmsg.WriteTxnMarkersRequestMarkerTopic{{Topic: "t", Partitions: []int32{0, 1}}}})
	}
	codes = nil
	for _, m := range dp.as(who, markers).(*kmsg.WriteTxnMarkersResponse).Markers {
		for _, rt := range m.Topics {
			for _, p := range rt.Partitions {
				codes = append(codes, p.ErrorCode)
			}
		}
	}
	check("WriteTxnMarkers", codes, 4, cluster)
}

// An OffsetFetch naming only topics the principal may not DESCRIBE is not
// served as the all-topics request its emptied topic list would mean: it
// reveals none of the group's offsets.
func TestAuthzOffsetFetchOfOnlyDeniedTopics(t *testing.T) {
	dp := newAuthzWorld(t, dpTopic("secret", 2, 1, nil))
	commit := kmsg.NewPtrOffsetCommitRequest()
	commit.Version, commit.Group, commit.Generation = 2, tabGroup, -1
	commit.Topics = []kmsg.OffsetCommitRequestTopic{{Topic: "secret", Partitions: []kmsg.OffsetCommitRequestTopicPartition{{Partition: 0, Offset: 99}}}}
	if r := dp.as("User:admin", commit).(*kmsg.OffsetCommitResponse); r.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("seed: %v", kerr.ErrorForCode(r.Topics[0].Partitions[0].ErrorCode))
	}
	grant(dp, "User:alice", acl.ResourceGroup, tabGroup, acl.PatternLiteral, acl.OpDescribe)
	grant(dp, "User:alice", acl.ResourceTopic, tabTopic, acl.PatternLiteral, acl.OpDescribe)
	for _, v := range []int16{1, 7} {
		fetch := kmsg.NewPtrOffsetFetchRequest()
		fetch.Version, fetch.Group = v, tabGroup
		fetch.Topics = []kmsg.OffsetFetchRequestTopic{{Topic: "secret", Partitions: []int32{0}}}
		resp := dp.as("User:alice", fetch).(*kmsg.OffsetFetchResponse)
		if len(resp.Topics) != 1 || resp.Topics[0].Topic != "secret" || len(resp.Topics[0].Partitions) != 1 ||
			resp.Topics[0].Partitions[0].ErrorCode != kerr.TopicAuthorizationFailed.Code || resp.Topics[0].Partitions[0].Offset != -1 {
			t.Fatalf("v%d: %+v, want only secret/0 TOPIC_AUTHORIZATION_FAILED", v, resp.Topics)
		}
	}
}
