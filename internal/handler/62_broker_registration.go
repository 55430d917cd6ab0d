package handler

// BrokerRegistration, versions 0–4 (KIP-631), served on the client
// listener by the active controller only (NOT_CONTROLLER elsewhere).
//
// A starting broker registers every advertised non-controller listener
// with host, port and rack. The first is its inter-broker listener (a
// Samsa broker sends that one first; this node's own
// inter.broker.listener.name need not match the broker's): the primary
// endpoint, used for replication and the controller link. All of them
// answer clients on their listener (Metadata, FindCoordinator,
// DescribeCluster). Two listeners with the same name are INVALID_REQUEST.
// A previous incarnation of the same broker id is moved out of every ISR
// and leadership first; the broker starts fenced and is unfenced by a
// heartbeat once it has replayed the metadata log up to its registration.
// The broker epoch returned, a new one for every registration, is the
// metadata log index of the registration record; the broker sends it in
// every BrokerHeartbeat and AlterPartition. Of the log dirs (v2+), the
// directory ids, the first is kept as the broker's metadata log dir's (a
// Samsa broker sends that one first; Kafka's DescribeQuorum reports it for
// an observer). The previous broker epoch (v3+, -1 before) tells a clean
// shutdown from an unclean one (KIP-966: see RegisterBrokerIncarnation).
// Features and the ZooKeeper migration flag are accepted and ignored; a
// cluster id that does not match ours is INCONSISTENT_CLUSTER_ID.

import (
	"context"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/metadata"
)

var brokerRegistrationAPI = api{key: kmsg.BrokerRegistration, min: 0, max: 4, serve: (*Handler).brokerRegistration,
	authz: authzFromTable}

func (h *Handler) brokerRegistration(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.BrokerRegistrationRequest)
	resp := req.ResponseKind().(*kmsg.BrokerRegistrationResponse)
	resp.BrokerEpoch = -1
	if h.Cluster == nil {
		resp.ErrorCode = kerr.NotController.Code
		return resp
	}
	if id := h.Image().ClusterID; id != "" && req.ClusterID != "" && req.ClusterID != id {
		resp.ErrorCode = kerr.InconsistentClusterID.Code
		return resp
	}
	if len(req.Listeners) == 0 {
		resp.ErrorCode = kerr.InvalidRequest.Code
		return resp
	}
	b := metadata.Broker{ID: req.BrokerID}
	for _, l := range req.Listeners {
		if slices.ContainsFunc(b.Endpoints, func(e metadata.Endpoint) bool { return e.Name == l.Name }) {
			resp.ErrorCode = kerr.InvalidRequest.Code
			return resp
		}
		b.Endpoints = append(b.Endpoints, metadata.Endpoint{Name: l.Name, Host: l.Host, Port: int32(l.Port)})
	}
	p := b.Endpoints[0]
	b.Host, b.Port, b.ListenerName = p.Host, p.Port, p.Name
	if req.Rack != nil {
		b.Rack = *req.Rack
	}
	if len(req.LogDirs) > 0 {
		b.MetadataDirectoryID = req.LogDirs[0]
	}
	epoch, err := h.Cluster.RegisterBrokerIncarnation(ctx, b, req.PreviousBrokerEpoch)
	if err != nil {
		resp.ErrorCode = errorCode(err)
		return resp
	}
	resp.BrokerEpoch = epoch
	return resp
}
