package handler

import (
	"context"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/metrics"
	"github.com/samsa-io/samsa/internal/partition"
	"github.com/samsa-io/samsa/internal/share"
	"github.com/samsa-io/samsa/protocol"
)

// api describes one served API key. Each NN_name.go file defines one, and
// it is the API's index: besides the versions we accept and advertise and
// the function that serves them, it names every per-API policy Handle
// applies around serve (the rule of doc.go), so that nothing about an API
// is decided by a table keyed by API elsewhere. The policies' functions may
// live with their kind in a shared file, named in the comments below.
type api struct {
	key      kmsg.Key
	min, max int16
	serve    func(h *Handler, ctx context.Context, req kmsg.Request) kmsg.Response

	// authz authorizes a request before it is served (authz.go; the hooks
	// are in authz_*.go). authzFromTable: the API's rows in the
	// authorization table (authz_table.go) decide alone. nil refuses every
	// request, as an API without rows is.
	authz authzHook
	// forward reports whether a request is passed to the active controller
	// when this node is not it (forward.go); nil: it is always served here.
	forward func(h *Handler, req kmsg.Request) bool
	// parks reports whether a request may wait for others, so its wall time
	// is not counted against the request quota (authz_admit.go); nil: never.
	parks func(req kmsg.Request) bool
	// bytes is the byte-rate quota the API counts against
	// (authz_admit.go); the zero value: none.
	bytes byteRate
	// denyItems answers each item of a request refused whole (denyWhole,
	// authz.go) with the code, for the responses that carry errors per
	// item; nil: the top-level error code says it all.
	denyItems func(req kmsg.Request, resp kmsg.Response, code *kerr.Error)
}

// allAPIs is the one registry of served APIs; ApiVersions reports exactly
// these ranges and the network layer's version gate enforces them.
func allAPIs() []api {
	return []api{
		produceAPI, fetchAPI, listOffsetsAPI, metadataAPI,
		apiVersionsAPI, createTopicsAPI, deleteTopicsAPI, deleteRecordsAPI,
		initProducerIDAPI, describeConfigsAPI, alterConfigsAPI,
		createPartitionsAPI, incrementalAlterConfigsAPI, describeClusterAPI,
		offsetForLeaderEpochAPI,
		offsetCommitAPI, offsetFetchAPI, findCoordinatorAPI, joinGroupAPI, heartbeatAPI,
		leaveGroupAPI, syncGroupAPI, describeGroupsAPI, listGroupsAPI, deleteGroupsAPI,
		offsetDeleteAPI, consumerGroupHeartbeatAPI, consumerGroupDescribeAPI,
		alterPartitionAPI, brokerRegistrationAPI, brokerHeartbeatAPI,
		electLeadersAPI, alterPartitionAssignmentsAPI, listPartitionReassignmentsAPI,
		describeLogDirsAPI, describeQuorumAPI,
		addPartitionsToTxnAPI, addOffsetsToTxnAPI, endTxnAPI, writeTxnMarkersAPI, txnOffsetCommitAPI,
		describeProducersAPI, describeTransactionsAPI, listTransactionsAPI,
		saslHandshakeAPI, saslAuthenticateAPI, describeUserScramAPI, alterUserScramAPI,
		describeACLsAPI, createACLsAPI, deleteACLsAPI, describeClientQuotasAPI, alterClientQuotasAPI,
		updateFeaturesAPI, describeTopicPartitionsAPI, unregisterBrokerAPI, listConfigResourcesAPI,
		shareGroupHeartbeatAPI, shareGroupDescribeAPI, shareFetchAPI, shareAcknowledgeAPI, // share_groups.go
		describeShareGroupOffsetsAPI,
	}
}

// ProducerIDs hands out producer ids for InitProducerId.
type ProducerIDs interface {
	Next() (int64, error)
}

// Deps are the parts a Handler needs. All must be set, except Groups (nil:
// group APIs answer COORDINATOR_NOT_AVAILABLE) and Cluster (nil: the
// broker-to-controller APIs answer NOT_CONTROLLER).
type Deps struct {
	NodeID      int32
	Config      *config.Broker
	Image       func() *metadata.Image
	Controller  Controller
	Partitions  *partition.Manager
	ProducerIDs ProducerIDs
	Groups      Groups
	Txn         Transactions // nil: transactional requests answer COORDINATOR_NOT_AVAILABLE
	Cluster     ClusterControl
	Metrics     *metrics.BrokerTopic // nil records nothing
	Logger      *slog.Logger
	Forward     Forwarder // admin requests to the active controller (forward.go); nil: none

	// Share keeps share groups (share_groups.go); nil: New makes one from
	// Config's group.share.* settings.
	Share *share.Manager
}

// Handler dispatches decoded requests to their API's serve function. It is
// safe for concurrent use: it holds no per-request state.
type Handler struct {
	Deps
	apis          map[int16]api
	versions      *protocol.Versions
	accessControl                  // authorizer and client quotas (authz_admit.go)
	tooFewBrokers tooFewBrokersLog // 10_find_coordinator.go
}

// New builds a Handler with every API registered.
func New(d Deps) *Handler {
	if d.Groups == nil {
		d.Groups = noGroups{}
	}
	if d.Txn == nil {
		d.Txn = noTxn{}
	}
	if d.Share == nil {
		d.Share = share.NewManager(shareConfig(d.Config))
	}
	h := &Handler{Deps: d, apis: make(map[int16]api), accessControl: newAccessControl(d.Config)}
	var ranges []protocol.VersionRange
	for _, a := range allAPIs() {
		h.apis[int16(a.key)] = a
		ranges = append(ranges, protocol.VersionRange{Key: int16(a.key), Min: a.min, Max: a.max})
	}
	h.versions = protocol.NewVersions(ranges)
	return h
}

// Versions is the table for the version gate and ApiVersions.
func (h *Handler) Versions() *protocol.Versions { return h.versions }

// Handle serves one request. The network layer has already checked that the
// key and version are in our table.
func (h *Handler) Handle(ctx context.Context, req *protocol.Request) kmsg.Response {
	a, ok := h.apis[req.Key]
	if !ok {
		return nil
	}
	g, deny := h.admit(ctx, a, req) // ACLs and quota holds (authz.go, authz_admit.go)
	if deny != nil {
		return deny
	}
	if resp, ok := h.forward(ctx, a, req); ok {
		return h.complete(ctx, a, req, g, resp)
	}
	return h.complete(ctx, a, req, g, a.serve(h, withPrincipal(withClient(ctx, req.ClientID, req.ClientHost, req.Listener), req.Principal), req.Body))
}
