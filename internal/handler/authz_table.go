package handler

// The authorization table: what each API Samsa serves needs, one row per
// grant, from Kafka's "Operations and Resources on Kafka protocols" table
// (KIP-11, with KIP-679's idempotent-producer and KIP-664's transaction
// tooling rules). The hooks (authz_hooks.go and its siblings) implement
// the rows: the APIs whose rows are one operation on the cluster have no
// hook of their own (their api value names authzFromTable), the
// whole-group and EndTxn hooks take their operation from their row, and
// the others are checked against their rows by TestAuthzTable, which
// drives every row of every served API with a principal that holds the
// row's grant and one that lacks it. An API with no row at all is refused,
// so a new API is closed until its row is written.

import (
	"math"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/acl"
)

// authzRule is one grant an API needs.
type authzRule struct {
	Key        kmsg.Key
	MinVersion int16
	MaxVersion int16
	// Case names the requests of the API the row is about when they need
	// different grants ("replica", "transactional", ...); "" is every
	// request, or the ordinary one.
	Case      string
	Resource  acl.ResourceType // ResourceUnknown: no grant needed
	Operation acl.Operation
	// AnyOf marks alternatives: of the rows of one key, version and case
	// marked AnyOf, one grant suffices.
	AnyOf bool
	// Denied is the error of the items (or the whole request) the
	// principal lacks the grant for; nil: they are left out of the answer.
	Denied *kerr.Error
}

// Version ranges of the rows.
const (
	allVersions = math.MaxInt16
)

func rule(key kmsg.Key, res acl.ResourceType, op acl.Operation, denied *kerr.Error) authzRule {
	return authzRule{Key: key, MaxVersion: allVersions, Resource: res, Operation: op, Denied: denied}
}

func (r authzRule) versions(lo, hi int16) authzRule { r.MinVersion, r.MaxVersion = lo, hi; return r }
func (r authzRule) when(c string) authzRule         { r.Case = c; return r }
func (r authzRule) anyOf() authzRule                { r.AnyOf = true; return r }

var (
	topicDenied   = kerr.TopicAuthorizationFailed
	groupDenied   = kerr.GroupAuthorizationFailed
	clusterDenied = kerr.ClusterAuthorizationFailed
	txnIDDenied   = kerr.TransactionalIDAuthorizationFailed
)

const (
	resNone    = acl.ResourceUnknown
	resTopic   = acl.ResourceTopic
	resGroup   = acl.ResourceGroup
	resCluster = acl.ResourceCluster
	resTxnID   = acl.ResourceTransactionalID
)

// authzTable is Samsa's authorization table.
var authzTable = []authzRule{
	rule(kmsg.ApiVersions, resNone, 0, nil),
	rule(kmsg.SASLHandshake, resNone, 0, nil),
	rule(kmsg.SASLAuthenticate, resNone, 0, nil),

	rule(kmsg.Produce, resTopic, acl.OpWrite, topicDenied),
	rule(kmsg.Produce, resTxnID, acl.OpWrite, txnIDDenied).when("transactional"),
	rule(kmsg.Produce, resTopic, acl.OpWrite, topicDenied).when("transactional"),
	rule(kmsg.Fetch, resTopic, acl.OpRead, topicDenied),
	rule(kmsg.Fetch, resCluster, acl.OpClusterAction, topicDenied).when("replica"), // every partition
	rule(kmsg.ListOffsets, resTopic, acl.OpDescribe, topicDenied),
	rule(kmsg.Metadata, resTopic, acl.OpDescribe, topicDenied),
	rule(kmsg.Metadata, resTopic, acl.OpDescribe, nil).when("all"),
	rule(kmsg.Metadata, resTopic, acl.OpDescribe, topicDenied).when("auto-create"),
	rule(kmsg.Metadata, resCluster, acl.OpCreate, topicDenied).when("auto-create").anyOf(),
	rule(kmsg.Metadata, resTopic, acl.OpCreate, topicDenied).when("auto-create").anyOf(),
	rule(kmsg.DescribeTopicPartitions, resTopic, acl.OpDescribe, topicDenied),
	rule(kmsg.DescribeTopicPartitions, resTopic, acl.OpDescribe, nil).when("all"),
	rule(kmsg.OffsetForLeaderEpoch, resTopic, acl.OpDescribe, topicDenied),
	rule(kmsg.OffsetForLeaderEpoch, resCluster, acl.OpClusterAction, clusterDenied).when("replica"),

	rule(kmsg.CreateTopics, resCluster, acl.OpCreate, topicDenied).anyOf(),
	rule(kmsg.CreateTopics, resTopic, acl.OpCreate, topicDenied).anyOf(),
	rule(kmsg.DeleteTopics, resTopic, acl.OpDelete, topicDenied),
	rule(kmsg.DeleteRecords, resTopic, acl.OpDelete, topicDenied),
	rule(kmsg.CreatePartitions, resTopic, acl.OpAlter, topicDenied),
	rule(kmsg.DescribeConfigs, resTopic, acl.OpDescribeConfigs, topicDenied),
	rule(kmsg.DescribeConfigs, resCluster, acl.OpDescribeConfigs, clusterDenied).when("broker"),
	rule(kmsg.AlterConfigs, resTopic, acl.OpAlterConfigs, topicDenied),
	rule(kmsg.AlterConfigs, resCluster, acl.OpAlterConfigs, clusterDenied).when("broker"),
	rule(kmsg.IncrementalAlterConfigs, resTopic, acl.OpAlterConfigs, topicDenied),
	rule(kmsg.IncrementalAlterConfigs, resCluster, acl.OpAlterConfigs, clusterDenied).when("broker"),

	rule(kmsg.InitProducerID, resCluster, acl.OpIdempotentWrite, clusterDenied).anyOf(),
	rule(kmsg.InitProducerID, resTopic, acl.OpWrite, clusterDenied).anyOf(), // WRITE on any topic (KIP-679)
	rule(kmsg.InitProducerID, resTxnID, acl.OpWrite, txnIDDenied).when("transactional"),
	rule(kmsg.AddPartitionsToTxn, resTxnID, acl.OpWrite, txnIDDenied).versions(0, 3),
	rule(kmsg.AddPartitionsToTxn, resTopic, acl.OpWrite, topicDenied).versions(0, 3),
	rule(kmsg.AddPartitionsToTxn, resCluster, acl.OpClusterAction, clusterDenied).versions(4, allVersions),
	rule(kmsg.AddOffsetsToTxn, resTxnID, acl.OpWrite, txnIDDenied),
	rule(kmsg.AddOffsetsToTxn, resGroup, acl.OpRead, groupDenied),
	rule(kmsg.EndTxn, resTxnID, acl.OpWrite, txnIDDenied),
	rule(kmsg.TxnOffsetCommit, resTxnID, acl.OpWrite, txnIDDenied),
	rule(kmsg.TxnOffsetCommit, resGroup, acl.OpRead, groupDenied),
	rule(kmsg.TxnOffsetCommit, resTopic, acl.OpRead, topicDenied),
	rule(kmsg.WriteTxnMarkers, resCluster, acl.OpClusterAction, clusterDenied),
	rule(kmsg.DescribeTransactions, resTxnID, acl.OpDescribe, txnIDDenied),
	rule(kmsg.DescribeTransactions, resTopic, acl.OpDescribe, nil), // the transaction's partitions of the topic
	rule(kmsg.ListTransactions, resTxnID, acl.OpDescribe, nil),
	rule(kmsg.DescribeProducers, resTopic, acl.OpRead, topicDenied),

	rule(kmsg.FindCoordinator, resGroup, acl.OpDescribe, groupDenied),
	rule(kmsg.FindCoordinator, resTxnID, acl.OpDescribe, txnIDDenied).when("transactional"),
	rule(kmsg.JoinGroup, resGroup, acl.OpRead, groupDenied),
	rule(kmsg.SyncGroup, resGroup, acl.OpRead, groupDenied),
	rule(kmsg.Heartbeat, resGroup, acl.OpRead, groupDenied),
	rule(kmsg.LeaveGroup, resGroup, acl.OpRead, groupDenied),
	rule(kmsg.ConsumerGroupHeartbeat, resGroup, acl.OpRead, groupDenied),
	rule(kmsg.ConsumerGroupHeartbeat, resTopic, acl.OpDescribe, topicDenied), // each subscribed topic name
	rule(kmsg.OffsetCommit, resGroup, acl.OpRead, groupDenied),
	rule(kmsg.OffsetCommit, resTopic, acl.OpRead, topicDenied),
	rule(kmsg.OffsetFetch, resGroup, acl.OpDescribe, groupDenied),
	rule(kmsg.OffsetFetch, resTopic, acl.OpDescribe, topicDenied),
	rule(kmsg.OffsetDelete, resGroup, acl.OpDelete, groupDenied),
	rule(kmsg.OffsetDelete, resTopic, acl.OpRead, topicDenied),
	rule(kmsg.DescribeGroups, resGroup, acl.OpDescribe, groupDenied),
	rule(kmsg.ConsumerGroupDescribe, resGroup, acl.OpDescribe, groupDenied),
	rule(kmsg.DeleteGroups, resGroup, acl.OpDelete, groupDenied),
	rule(kmsg.ShareGroupHeartbeat, resGroup, acl.OpRead, groupDenied),
	rule(kmsg.ShareGroupHeartbeat, resTopic, acl.OpDescribe, topicDenied), // each subscribed topic name
	rule(kmsg.ShareGroupDescribe, resGroup, acl.OpDescribe, groupDenied),
	rule(kmsg.ShareFetch, resGroup, acl.OpRead, groupDenied),
	rule(kmsg.ShareFetch, resTopic, acl.OpRead, topicDenied),
	rule(kmsg.ShareAcknowledge, resGroup, acl.OpRead, groupDenied),
	rule(kmsg.ShareAcknowledge, resTopic, acl.OpRead, topicDenied),
	rule(kmsg.DescribeShareGroupOffsets, resGroup, acl.OpDescribe, groupDenied),
	rule(kmsg.DescribeShareGroupOffsets, resTopic, acl.OpDescribe, topicDenied),
	rule(kmsg.ListGroups, resCluster, acl.OpDescribe, nil).anyOf(),
	rule(kmsg.ListGroups, resGroup, acl.OpDescribe, nil).anyOf(),

	rule(kmsg.DescribeCluster, resCluster, acl.OpDescribe, clusterDenied),
	rule(kmsg.DescribeLogDirs, resCluster, acl.OpDescribe, nil).versions(0, 2), // no error field: the directories are left out
	rule(kmsg.DescribeLogDirs, resCluster, acl.OpDescribe, clusterDenied).versions(3, allVersions),
	rule(kmsg.DescribeQuorum, resCluster, acl.OpDescribe, clusterDenied),
	rule(kmsg.UpdateFeatures, resCluster, acl.OpAlter, clusterDenied),
	rule(kmsg.UnregisterBroker, resCluster, acl.OpAlter, clusterDenied),
	rule(kmsg.ListConfigResources, resCluster, acl.OpDescribeConfigs, clusterDenied),
	rule(kmsg.ListPartitionReassignments, resCluster, acl.OpDescribe, clusterDenied),
	rule(kmsg.AlterPartitionAssignments, resCluster, acl.OpAlter, clusterDenied),
	rule(kmsg.ElectLeaders, resCluster, acl.OpAlter, clusterDenied),
	rule(kmsg.AlterPartition, resCluster, acl.OpClusterAction, clusterDenied),
	rule(kmsg.BrokerRegistration, resCluster, acl.OpClusterAction, clusterDenied),
	rule(kmsg.BrokerHeartbeat, resCluster, acl.OpClusterAction, clusterDenied),
	rule(kmsg.DescribeACLs, resCluster, acl.OpDescribe, clusterDenied),
	rule(kmsg.CreateACLs, resCluster, acl.OpAlter, clusterDenied),
	rule(kmsg.DeleteACLs, resCluster, acl.OpAlter, clusterDenied),
	rule(kmsg.DescribeClientQuotas, resCluster, acl.OpDescribeConfigs, clusterDenied),
	rule(kmsg.AlterClientQuotas, resCluster, acl.OpAlterConfigs, clusterDenied),
	rule(kmsg.DescribeUserSCRAMCredentials, resCluster, acl.OpDescribe, clusterDenied),
	rule(kmsg.AlterUserSCRAMCredentials, resCluster, acl.OpAlter, clusterDenied),
}

// tableHooks are the hooks authzFromTable serves: for each API whose rows
// are all one operation on the cluster, that operation.
var tableHooks = func() map[kmsg.Key]authzHook {
	ops := map[kmsg.Key]acl.Operation{}
	mixed := map[kmsg.Key]bool{}
	for _, r := range authzTable {
		if op, seen := ops[r.Key]; r.Resource != resCluster || r.Case != "" || seen && op != r.Operation {
			mixed[r.Key] = true
		}
		ops[r.Key] = r.Operation
	}
	out := map[kmsg.Key]authzHook{}
	for key, op := range ops {
		if !mixed[key] {
			out[key] = wholeCluster(op)
		}
	}
	return out
}()

// authzFromTable is the hook of the APIs without their own: their rows
// decide alone. An API whose rows are not one operation on the cluster
// needs a hook of its own; without one it is refused.
func authzFromTable(z *authz, req kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	if hook, ok := tableHooks[kmsg.Key(req.Key())]; ok {
		return hook(z, req)
	}
	return refuse(z, req)
}

// refuse is the hook of an API without a row.
func refuse(z *authz, req kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	return nil, z.denyWhole(req, kerr.ClusterAuthorizationFailed)
}

// tableOp is the operation on res that key's row for every request (case
// "") asks for; ALL, which only a grant of ALL or a super user passes, when
// there is none (TestAuthzTable fails then).
func tableOp(key kmsg.Key, res acl.ResourceType) acl.Operation {
	for _, r := range authzTable {
		if r.Key == key && r.Resource == res && r.Case == "" {
			return r.Operation
		}
	}
	return acl.OpAll
}

// authzExempt are the APIs whose row needs no grant: version discovery
// and authentication, which a connection uses before it has a principal
// to be granted anything.
var authzExempt = func() map[kmsg.Key]bool {
	out := map[kmsg.Key]bool{}
	for _, r := range authzTable {
		if r.Resource == resNone {
			out[r.Key] = true
		}
	}
	return out
}()
