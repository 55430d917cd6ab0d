package handler

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/acl"
	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/protocol"
)

// The resources the table test's requests name.
const (
	tabTopic    = "t"     // exists, two partitions
	tabNewTopic = "t-new" // does not exist
	tabGroup    = "g"     // has a committed offset
	tabTxnID    = "tx"    // has a producer id
	tabUser     = "u"
)

// newAuthzWorld is a secured handler with partitions (topic t), a group
// coordinator holding group g and a transaction coordinator holding
// transactional id tx, whose open transaction holds t/0.
func newAuthzWorld(t *testing.T, more ...*metadata.Topic) *dataPath {
	t.Helper()
	dp := newSecured(t, append([]*metadata.Topic{dpTopic(tabTopic, 1, 2, nil)}, more...)...)
	tf := newTxnFixture(t)
	d := dp.h.Deps
	d.Groups, d.Txn = tf.c, tf.txn
	d.Logger = slog.New(slog.DiscardHandler)
	dp.h = New(d)

	commit := kmsg.NewPtrOffsetCommitRequest()
	commit.Version, commit.Group, commit.Generation = 2, tabGroup, -1
	commit.Topics = []kmsg.OffsetCommitRequestTopic{{Topic: tabTopic, Partitions: []kmsg.OffsetCommitRequestTopicPartition{{Partition: 0, Offset: 20}}}}
	if r := dp.as("User:admin", commit).(*kmsg.OffsetCommitResponse); r.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("seed group: %v", kerr.ErrorForCode(r.Topics[0].Partitions[0].ErrorCode))
	}
	init := kmsg.NewPtrInitProducerIDRequest()
	init.Version, init.TransactionalID, init.TransactionTimeoutMillis = 4, kmsg.StringPtr(tabTxnID), 30000
	ir := dp.as("User:admin", init).(*kmsg.InitProducerIDResponse)
	if ir.ErrorCode != 0 {
		t.Fatalf("seed transactional id: %v", kerr.ErrorForCode(ir.ErrorCode))
	}
	add := kmsg.NewPtrAddPartitionsToTxnRequest()
	add.Version, add.TransactionalID, add.ProducerID, add.ProducerEpoch = 3, tabTxnID, ir.ProducerID, ir.ProducerEpoch
	add.Topics = []kmsg.AddPartitionsToTxnRequestTopic{{Topic: tabTopic, Partitions: []int32{0}}}
	if r := dp.as("User:admin", add).(*kmsg.AddPartitionsToTxnResponse); r.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("seed transaction: %v", kerr.ErrorForCode(r.Topics[0].Partitions[0].ErrorCode))
	}
	return dp
}

// authzSample is a request of key at version v of the table's case c,
// naming the table test's resources.
func authzSample(dp *dataPath, key kmsg.Key, v int16, c string) kmsg.Request {
	topicID := [16]byte{0xD0, 1}
	var req kmsg.Request
	switch key {
	case kmsg.ApiVersions:
		req = kmsg.NewPtrApiVersionsRequest()
	case kmsg.SASLHandshake:
		r := kmsg.NewPtrSASLHandshakeRequest()
		r.Mechanism = "PLAIN"
		req = r
	case kmsg.SASLAuthenticate:
		req = kmsg.NewPtrSASLAuthenticateRequest()
	case kmsg.Produce:
		r := produceReq(v, 1, tabTopic, 0, plainBatch(dp.t, 1, 1000))
		r.Topics[0].TopicID = topicID
		if c == "transactional" {
			r.TransactionID = kmsg.StringPtr(tabTxnID)
		}
		req = r
	case kmsg.Fetch:
		r := fetchReq(v, 0, 1, 1<<20, fetchPart{topic: tabTopic, id: topicID, maxBytes: 1 << 20, epoch: -1})
		r.Topics[0].TopicID = topicID
		if c == "replica" {
			r.ReplicaID, r.ReplicaState.ID = 2, 2
		}
		req = r
	case kmsg.ListOffsets:
		r := kmsg.NewPtrListOffsetsRequest()
		r.Topics = []kmsg.ListOffsetsRequestTopic{{Topic: tabTopic, Partitions: []kmsg.ListOffsetsRequestTopicPartition{{Partition: 0, Timestamp: -1, CurrentLeaderEpoch: -1}}}}
		req = r
	case kmsg.Metadata:
		r := kmsg.NewPtrMetadataRequest()
		switch c {
		case "all":
			if v == 0 {
				r.Topics = []kmsg.MetadataRequestTopic{}
			}
		case "auto-create":
			r.AllowAutoTopicCreation = true
			r.Topics = []kmsg.MetadataRequestTopic{{Topic: kmsg.StringPtr(tabNewTopic)}}
		default:
			r.Topics = []kmsg.MetadataRequestTopic{{Topic: kmsg.StringPtr(tabTopic)}}
		}
		req = r
	case kmsg.DescribeTopicPartitions:
		r := kmsg.NewPtrDescribeTopicPartitionsRequest()
		if c != "all" {
			r.Topics = []kmsg.DescribeTopicPartitionsRequestTopic{{Topic: tabTopic}}
		}
		req = r
	case kmsg.ListConfigResources:
		req = kmsg.NewPtrListConfigResourcesRequest()
	case kmsg.UnregisterBroker:
		r := kmsg.NewPtrUnregisterBrokerRequest()
		r.BrokerID = 1
		req = r
	case kmsg.UpdateFeatures:
		r := kmsg.NewPtrUpdateFeaturesRequest()
		r.FeatureUpdates = []kmsg.UpdateFeaturesRequestFeatureUpdate{{Feature: "group.version", MaxVersionLevel: 1, UpgradeType: 1}}
		req = r
	case kmsg.OffsetForLeaderEpoch:
		r := kmsg.NewPtrOffsetForLeaderEpochRequest()
		if c == "replica" {
			r.ReplicaID = 2
		}
		r.Topics = []kmsg.OffsetForLeaderEpochRequestTopic{{Topic: tabTopic, Partitions: []kmsg.OffsetForLeaderEpochRequestTopicPartition{{Partition: 0, CurrentLeaderEpoch: -1}}}}
		req = r
	case kmsg.CreateTopics:
		r := kmsg.NewPtrCreateTopicsRequest()
		r.Topics = []kmsg.CreateTopicsRequestTopic{{Topic: tabNewTopic, NumPartitions: 1, ReplicationFactor: 1}}
		req = r
	case kmsg.DeleteTopics:
		r := kmsg.NewPtrDeleteTopicsRequest()
		r.TopicNames = []string{tabTopic}
		r.Topics = []kmsg.DeleteTopicsRequestTopic{{Topic: kmsg.StringPtr(tabTopic)}}
		req = r
	case kmsg.DeleteRecords:
		r := kmsg.NewPtrDeleteRecordsRequest()
		r.Topics = []kmsg.DeleteRecordsRequestTopic{{Topic: tabTopic, Partitions: []kmsg.DeleteRecordsRequestTopicPartition{{Partition: 0, Offset: 0}}}}
		req = r
	case kmsg.CreatePartitions:
		r := kmsg.NewPtrCreatePartitionsRequest()
		r.Topics = []kmsg.CreatePartitionsRequestTopic{{Topic: tabTopic, Count: 3}}
		req = r
	case kmsg.DescribeConfigs:
		r := kmsg.NewPtrDescribeConfigsRequest()
		r.Resources = []kmsg.DescribeConfigsRequestResource{configResource[kmsg.DescribeConfigsRequestResource](c)}
		req = r
	case kmsg.AlterConfigs:
		r := kmsg.NewPtrAlterConfigsRequest()
		r.Resources = []kmsg.AlterConfigsRequestResource{configResource[kmsg.AlterConfigsRequestResource](c)}
		req = r
	case kmsg.IncrementalAlterConfigs:
		r := kmsg.NewPtrIncrementalAlterConfigsRequest()
		r.Resources = []kmsg.IncrementalAlterConfigsRequestResource{configResource[kmsg.IncrementalAlterConfigsRequestResource](c)}
		req = r
	case kmsg.InitProducerID:
		r := kmsg.NewPtrInitProducerIDRequest()
		r.ProducerID, r.ProducerEpoch = -1, -1
		if c == "transactional" {
			r.TransactionalID, r.TransactionTimeoutMillis = kmsg.StringPtr(tabTxnID), 30000
		}
		req = r
	case kmsg.AddPartitionsToTxn:
		r := kmsg.NewPtrAddPartitionsToTxnRequest()
		r.TransactionalID, r.ProducerID = tabTxnID, 1
		r.Topics = []kmsg.AddPartitionsToTxnRequestTopic{{Topic: tabTopic, Partitions: []int32{0}}}
		r.Transactions = []kmsg.AddPartitionsToTxnRequestTransaction{{TransactionalID: tabTxnID, ProducerID: 1, VerifyOnly: true,
			Topics: []kmsg.AddPartitionsToTxnRequestTransactionTopic{{Topic: tabTopic, Partitions: []int32{0}}}}}
		req = r
	case kmsg.AddOffsetsToTxn:
		r := kmsg.NewPtrAddOffsetsToTxnRequest()
		r.TransactionalID, r.ProducerID, r.Group = tabTxnID, 1, tabGroup
		req = r
	case kmsg.EndTxn:
		r := kmsg.NewPtrEndTxnRequest()
		r.TransactionalID, r.ProducerID = tabTxnID, 1
		req = r
	case kmsg.TxnOffsetCommit:
		r := kmsg.NewPtrTxnOffsetCommitRequest()
		r.TransactionalID, r.ProducerID, r.Group, r.Generation = tabTxnID, 1, tabGroup, -1
		r.Topics = []kmsg.TxnOffsetCommitRequestTopic{{Topic: tabTopic, Partitions: []kmsg.TxnOffsetCommitRequestTopicPartition{{Partition: 0, Offset: 5, LeaderEpoch: -1}}}}
		req = r
	case kmsg.WriteTxnMarkers:
		r := kmsg.NewPtrWriteTxnMarkersRequest()
		r.Markers = []kmsg.WriteTxnMarkersRequestMarker{{ProducerID: 1, Topics: []kmsg.WriteTxnMarkersRequestMarkerTopic{{Topic: tabTopic, Partitions: []int32{0}}}}}
		req = r
	case kmsg.DescribeTransactions:
		r := kmsg.NewPtrDescribeTransactionsRequest()
		r.TransactionalIDs = []string{tabTxnID}
		req = r
	case kmsg.ListTransactions:
		req = kmsg.NewPtrListTransactionsRequest()
	case kmsg.DescribeProducers:
		r := kmsg.NewPtrDescribeProducersRequest()
		r.Topics = []kmsg.DescribeProducersRequestTopic{{Topic: tabTopic, Partitions: []int32{0}}}
		req = r
	case kmsg.FindCoordinator:
		r := kmsg.NewPtrFindCoordinatorRequest()
		r.CoordinatorKey, r.CoordinatorKeys = tabGroup, []string{tabGroup}
		if c == "transactional" {
			r.CoordinatorType = coordinatorTxn
			r.CoordinatorKey, r.CoordinatorKeys = tabTxnID, []string{tabTxnID}
		}
		req = r
	case kmsg.JoinGroup:
		r := kmsg.NewPtrJoinGroupRequest()
		r.Group, r.ProtocolType, r.SessionTimeoutMillis, r.RebalanceTimeoutMillis = tabGroup, "consumer", 10000, 10000
		r.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range"}}
		req = r
	case kmsg.SyncGroup:
		r := kmsg.NewPtrSyncGroupRequest()
		r.Group, r.MemberID, r.Generation = tabGroup, "nobody", 1
		req = r
	case kmsg.Heartbeat:
		r := kmsg.NewPtrHeartbeatRequest()
		r.Group, r.MemberID, r.Generation = tabGroup, "nobody", 1
		req = r
	case kmsg.LeaveGroup:
		r := kmsg.NewPtrLeaveGroupRequest()
		r.Group, r.MemberID = tabGroup, "nobody"
		r.Members = []kmsg.LeaveGroupRequestMember{{MemberID: "nobody"}}
		req = r
	case kmsg.ConsumerGroupHeartbeat:
		r := kmsg.NewPtrConsumerGroupHeartbeatRequest()
		r.Group, r.MemberID, r.MemberEpoch = "g-848", "m", 0
		r.Group = tabGroup
		r.RebalanceTimeoutMillis, r.SubscribedTopicNames = 10000, []string{tabTopic}
		req = r
	case kmsg.OffsetCommit:
		r := kmsg.NewPtrOffsetCommitRequest()
		r.Group, r.Generation = tabGroup, -1
		r.Topics = []kmsg.OffsetCommitRequestTopic{{Topic: tabTopic, TopicID: topicID, Partitions: []kmsg.OffsetCommitRequestTopicPartition{{Partition: 0, Offset: 21, LeaderEpoch: -1}}}}
		req = r
	case kmsg.OffsetFetch:
		r := kmsg.NewPtrOffsetFetchRequest()
		r.Group = tabGroup
		r.Topics = []kmsg.OffsetFetchRequestTopic{{Topic: tabTopic, Partitions: []int32{0}}}
		r.Groups = []kmsg.OffsetFetchRequestGroup{{Group: tabGroup, MemberEpoch: -1, Topics: []kmsg.OffsetFetchRequestGroupTopic{{Topic: tabTopic, TopicID: topicID, Partitions: []int32{0}}}}}
		req = r
	case kmsg.OffsetDelete:
		r := kmsg.NewPtrOffsetDeleteRequest()
		r.Group = tabGroup
		r.Topics = []kmsg.OffsetDeleteRequestTopic{{Topic: tabTopic, Partitions: []kmsg.OffsetDeleteRequestTopicPartition{{Partition: 0}}}}
		req = r
	case kmsg.DescribeGroups:
		r := kmsg.NewPtrDescribeGroupsRequest()
		r.Groups = []string{tabGroup}
		req = r
	case kmsg.ConsumerGroupDescribe:
		r := kmsg.NewPtrConsumerGroupDescribeRequest()
		r.Groups = []string{tabGroup}
		req = r
	case kmsg.DeleteGroups:
		r := kmsg.NewPtrDeleteGroupsRequest()
		r.Groups = []string{tabGroup}
		req = r
	case kmsg.ListGroups:
		req = kmsg.NewPtrListGroupsRequest()
	case kmsg.ShareGroupHeartbeat, kmsg.ShareGroupDescribe, kmsg.ShareFetch, kmsg.ShareAcknowledge, kmsg.DescribeShareGroupOffsets:
		req = shareAuthzSample(key, topicID)
	case kmsg.DescribeCluster:
		req = kmsg.NewPtrDescribeClusterRequest()
	case kmsg.DescribeLogDirs:
		req = kmsg.NewPtrDescribeLogDirsRequest()
	case kmsg.DescribeQuorum:
		r := kmsg.NewPtrDescribeQuorumRequest()
		r.Topics = []kmsg.DescribeQuorumRequestTopic{{Topic: "__cluster_metadata", Partitions: []kmsg.DescribeQuorumRequestTopicPartition{{Partition: 0}}}}
		req = r
	case kmsg.ListPartitionReassignments:
		req = kmsg.NewPtrListPartitionReassignmentsRequest()
	case kmsg.AlterPartitionAssignments:
		r := kmsg.NewPtrAlterPartitionAssignmentsRequest()
		r.Topics = []kmsg.AlterPartitionAssignmentsRequestTopic{{Topic: tabTopic, Partitions: []kmsg.AlterPartitionAssignmentsRequestTopicPartition{{Partition: 0}}}}
		req = r
	case kmsg.ElectLeaders:
		r := kmsg.NewPtrElectLeadersRequest()
		r.Topics = []kmsg.ElectLeadersRequestTopic{{Topic: tabTopic, Partitions: []int32{0}}}
		req = r
	case kmsg.AlterPartition:
		req = kmsg.NewPtrAlterPartitionRequest()
	case kmsg.BrokerRegistration:
		req = kmsg.NewPtrBrokerRegistrationRequest()
	case kmsg.BrokerHeartbeat:
		req = kmsg.NewPtrBrokerHeartbeatRequest()
	case kmsg.DescribeACLs:
		r := kmsg.NewPtrDescribeACLsRequest()
		r.ResourceType, r.ResourcePatternType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny
		r.Operation, r.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
		req = r
	case kmsg.CreateACLs:
		r := kmsg.NewPtrCreateACLsRequest()
		r.Creations = []kmsg.CreateACLsRequestCreation{{ResourceType: kmsg.ACLResourceTypeTopic, ResourceName: "x",
			ResourcePatternType: kmsg.ACLResourcePatternTypeLiteral, Principal: "User:x", Host: "*",
			Operation: kmsg.ACLOperationRead, PermissionType: kmsg.ACLPermissionTypeAllow}}
		req = r
	case kmsg.DeleteACLs:
		r := kmsg.NewPtrDeleteACLsRequest()
		r.Filters = []kmsg.DeleteACLsRequestFilter{{ResourceType: kmsg.ACLResourceTypeTopic, ResourceName: kmsg.StringPtr("x"),
			ResourcePatternType: kmsg.ACLResourcePatternTypeLiteral, Operation: kmsg.ACLOperationAny, PermissionType: kmsg.ACLPermissionTypeAny}}
		req = r
	case kmsg.DescribeClientQuotas:
		req = kmsg.NewPtrDescribeClientQuotasRequest()
	case kmsg.AlterClientQuotas:
		r := kmsg.NewPtrAlterClientQuotasRequest()
		r.Entries = []kmsg.AlterClientQuotasRequestEntry{{Entity: []kmsg.AlterClientQuotasRequestEntryEntity{{Type: "user", Name: kmsg.StringPtr(tabUser)}},
			Ops: []kmsg.AlterClientQuotasRequestEntryOp{{Key: "producer_byte_rate", Value: 1024}}}}
		req = r
	case kmsg.DescribeUserSCRAMCredentials:
		req = kmsg.NewPtrDescribeUserSCRAMCredentialsRequest()
	case kmsg.AlterUserSCRAMCredentials:
		r := kmsg.NewPtrAlterUserSCRAMCredentialsRequest()
		r.Deletions = []kmsg.AlterUserSCRAMCredentialsRequestDeletion{{Name: tabUser, Mechanism: 1}}
		req = r
	default:
		dp.t.Fatalf("no sample request of %v: write one", key)
	}
	req.SetVersion(v)
	return req
}

// configResource is a config resource of the sample requests: topic t, or
// broker 1 in case "broker".
func configResource[T kmsg.DescribeConfigsRequestResource | kmsg.AlterConfigsRequestResource | kmsg.IncrementalAlterConfigsRequestResource](c string) T {
	var r T
	v := reflect.ValueOf(&r).Elem()
	typ, name := kmsg.ConfigResourceTypeTopic, tabTopic
	if c == "broker" {
		typ, name = kmsg.ConfigResourceTypeBroker, "1"
	}
	v.FieldByName("ResourceType").Set(reflect.ValueOf(typ))
	v.FieldByName("ResourceName").SetString(name)
	return r
}

// resourceName is the name the sample requests give a resource type.
func resourceName(r authzRule) string {
	switch r.Resource {
	case resTopic:
		if r.Case == "auto-create" || r.Key == kmsg.CreateTopics {
			return tabNewTopic
		}
		return tabTopic
	case resGroup:
		return tabGroup
	case resTxnID:
		return tabTxnID
	}
	return acl.ClusterName
}

// listedName is the name of the item a row without an error leaves out of
// the answer: the resource, or for ListGroups the group.
func listedName(r authzRule) string {
	switch r.Key {
	case kmsg.ListGroups:
		return tabGroup
	case kmsg.DescribeLogDirs:
		return tabTopic
	}
	return resourceName(r)
}

// authzCodes are the authorization failures.
var authzCodes = []int16{kerr.TopicAuthorizationFailed.Code, kerr.GroupAuthorizationFailed.Code,
	kerr.ClusterAuthorizationFailed.Code, kerr.TransactionalIDAuthorizationFailed.Code}

// walkResponse calls codeFn with every ErrorCode and nameFn with every
// string in v.
func walkResponse(v reflect.Value, codeFn func(int16), nameFn func(string)) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkResponse(v.Elem(), codeFn, nameFn)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Field(i)
			if v.Type().Field(i).Name == "ErrorCode" && f.Kind() == reflect.Int16 {
				codeFn(int16(f.Int()))
				continue
			}
			walkResponse(f, codeFn, nameFn)
		}
	case reflect.Slice:
		for i := range v.Len() {
			walkResponse(v.Index(i), codeFn, nameFn)
		}
	case reflect.String:
		nameFn(v.String())
	}
}

// sameRequests are the rows of r's key, case and version v.
func sameRequests(r authzRule, v int16) []authzRule {
	var out []authzRule
	for _, o := range authzTable {
		if o.Key == r.Key && o.Case == r.Case && o.MinVersion <= v && v <= o.MaxVersion {
			out = append(out, o)
		}
	}
	return out
}

// TestAuthzTable checks the table covers every API and version Samsa
// serves and that every API checks exactly its rows: each row is driven,
// at the lowest and highest version it covers, by a principal holding
// every grant of the request but the row's (denied: the row's error, or
// the resource left out) and by one holding them all (no authorization
// error, the resource present).
func TestAuthzTable(t *testing.T) {
	served := map[kmsg.Key][2]int16{}
	for _, a := range allAPIs() {
		served[a.key] = [2]int16{a.min, a.max}
		for v := a.min; v <= a.max; v++ {
			if len(slices.DeleteFunc(slices.Clone(authzTable), func(r authzRule) bool {
				return r.Key != a.key || v < r.MinVersion || v > r.MaxVersion
			})) == 0 {
				t.Errorf("%s v%d is served but has no row in authzTable", kmsg.NameForKey(int16(a.key)), v)
			}
		}
	}
	for i, r := range authzTable {
		rng, ok := served[r.Key]
		if !ok {
			t.Errorf("row %d: %s is not served", i, kmsg.NameForKey(int16(r.Key)))
			continue
		}
		if r.Resource == resNone {
			continue
		}
		lo, hi := max(r.MinVersion, rng[0]), min(r.MaxVersion, rng[1])
		for _, v := range slices.Compact([]int16{lo, hi}) {
			name := fmt.Sprintf("%d_%s_v%d_%s_%v_%v", i, kmsg.NameForKey(int16(r.Key)), v, r.Case, r.Resource, r.Operation)
			t.Run(name, func(t *testing.T) { checkAuthzRow(t, r, v) })
		}
	}
}

func checkAuthzRow(t *testing.T, row authzRule, v int16) {
	dp := newAuthzWorld(t)
	grantAll := func(principal string, without *authzRule) {
		anyOfGranted := false
		for _, o := range sameRequests(row, v) {
			if without != nil && o == *without {
				continue
			}
			if o.AnyOf && (anyOfGranted || without != nil && without.AnyOf) {
				continue // one alternative suffices; none when testing one's absence
			}
			anyOfGranted = anyOfGranted || o.AnyOf
			grant(dp, principal, o.Resource, resourceName(o), acl.PatternLiteral, o.Operation)
		}
	}
	grantOnly := func(principal string) { // the row's alternative and the others' musts
		for _, o := range sameRequests(row, v) {
			if !o.AnyOf || o == row {
				grant(dp, principal, o.Resource, resourceName(o), acl.PatternLiteral, o.Operation)
			}
		}
	}
	drive := func(principal string) kmsg.Response {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req := authzSample(dp, row.Key, v, row.Case)
		resp := dp.h.Handle(ctx, &protocol.Request{Header: protocol.Header{Key: int16(row.Key), Version: v, ClientID: "test-client"},
			Body: req, Principal: principal, ClientHost: "127.0.0.1"})
		if resp == nil {
			t.Fatalf("no response")
		}
		// What the client reads: the fields of this version only.
		out := req.ResponseKind()
		out.SetVersion(v)
		if err := out.ReadFrom(resp.AppendTo(nil)); err != nil {
			t.Fatalf("decode response: %v", err)
		}
		return out
	}
	scan := func(resp kmsg.Response) (codes []int16, names []string) {
		walkResponse(reflect.ValueOf(resp), func(c int16) { codes = append(codes, c) }, func(s string) { names = append(names, s) })
		return codes, names
	}

	grantAll("User:denied", &row)
	grantNearMisses(dp, "User:denied", row, v)
	codes, names := scan(drive("User:denied"))
	if row.Denied != nil && !slices.Contains(codes, row.Denied.Code) {
		t.Errorf("without %v on %v: codes %v, want %v", row.Operation, row.Resource, codes, row.Denied)
	}
	if row.Denied == nil && slices.Contains(names, listedName(row)) {
		t.Errorf("without %v on %v: %q still in the answer", row.Operation, row.Resource, listedName(row))
	}

	if row.AnyOf {
		grantOnly("User:allowed")
	} else {
		grantAll("User:allowed", nil)
	}
	codes, names = scan(drive("User:allowed"))
	for _, c := range codes {
		if slices.Contains(authzCodes, c) {
			t.Errorf("with the grants: %v in the answer (codes %v)", kerr.ErrorForCode(c), codes)
		}
	}
	if row.Denied == nil && !slices.Contains(names, listedName(row)) {
		t.Errorf("with the grants: %q not in the answer", listedName(row))
	}
}

// impliedBy are the operations whose grant implies another's (Kafka's
// implied operations), besides ALL.
var impliedBy = map[acl.Operation][]acl.Operation{
	acl.OpDescribe:        {acl.OpRead, acl.OpWrite, acl.OpDelete, acl.OpAlter},
	acl.OpDescribeConfigs: {acl.OpAlterConfigs},
}

// grantNearMisses grants principal, on the resources of the grants it is
// denied (the row's, and its alternatives' when it has some), every
// operation that does not imply a denied one: a hook that checks a weaker
// or another operation than its row then lets the request through, and
// the test sees it.
func grantNearMisses(dp *dataPath, principal string, row authzRule, v int16) {
	type named struct {
		typ  acl.ResourceType
		name string
	}
	forbidden := map[named][]acl.Operation{}
	for _, o := range sameRequests(row, v) {
		if o == row || row.AnyOf && o.AnyOf {
			n := named{o.Resource, resourceName(o)}
			forbidden[n] = append(forbidden[n], o.Operation)
			forbidden[n] = append(forbidden[n], impliedBy[o.Operation]...)
		}
	}
	for n, ops := range forbidden {
		var grantOps []acl.Operation
		for op := acl.OpRead; op <= acl.OpIdempotentWrite; op++ {
			if !slices.Contains(ops, op) {
				grantOps = append(grantOps, op)
			}
		}
		grant(dp, principal, n.typ, n.name, acl.PatternLiteral, grantOps...)
	}
}
