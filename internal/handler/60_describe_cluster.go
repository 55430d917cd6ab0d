package handler

// DescribeCluster, versions 0–2.
//
// Kafka: the cluster ID, the controller ID and the live brokers with their
// host, port and rack, as seen by the broker answering. From v1 the client
// names the endpoint type it expects: a broker listener serves BROKERS (1)
// and answers UNSUPPORTED_ENDPOINT_TYPE to CONTROLLERS (2). From v2
// (KIP-1073) include_fenced_brokers lists the fenced brokers too, each
// with is_fenced set.
// ClusterAuthorizedOperations is INT32_MIN unless requested; without an
// authorizer every cluster operation is allowed.
//
// Samsa: the same, from the metadata image; each broker's address is its
// endpoint for the listener the request arrived on, and brokers without
// that listener are left out. The controller ID is the
// active Raft controller's node ID (-1 while there is none). Requested
// operations are all of Kafka's cluster operations, narrowed to the
// principal's by the authorization hook when ACLs are on (authz_ops.go).

import (
	"context"
	"fmt"
	"math"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/acl"
)

var describeClusterAPI = api{key: kmsg.DescribeCluster, min: 0, max: 2, serve: (*Handler).describeCluster,
	authz: withOpsFix(wholeCluster(acl.OpDescribe), describeClusterOps)}

// Kafka's ACL operation codes allowed on the cluster resource, as bits of
// ClusterAuthorizedOperations: CREATE (5), ALTER (7), DESCRIBE (8),
// CLUSTER_ACTION (9), DESCRIBE_CONFIGS (10), ALTER_CONFIGS (11),
// IDEMPOTENT_WRITE (12).
const clusterOperations int32 = 1<<5 | 1<<7 | 1<<8 | 1<<9 | 1<<10 | 1<<11 | 1<<12

const (
	endpointBrokers     int8 = 1
	endpointControllers int8 = 2
)

func (h *Handler) describeCluster(ctx context.Context, kreq kmsg.Request) kmsg.Response {
	req := kreq.(*kmsg.DescribeClusterRequest)
	resp := req.ResponseKind().(*kmsg.DescribeClusterResponse)
	resp.EndpointType = endpointBrokers
	if req.Version >= 1 && req.EndpointType != endpointBrokers {
		err := fmt.Errorf("%w: The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type %s",
			errUnsupportedEndpointType, endpointName(req.EndpointType))
		resp.ErrorCode = errorCode(err)
		resp.ErrorMessage = errorMessage(err)
		return resp
	}
	im := h.Image()
	resp.ClusterID = im.ClusterID
	resp.ControllerID = im.ControllerID
	listener := clientOf(ctx).listener
	brokers := im.LiveBrokers()
	if req.IncludeFencedBrokers { // v2+
		brokers = im.SortedBrokers()
	}
	for _, b := range brokers {
		ep, ok := b.EndpointFor(listener)
		if !ok {
			continue // as Kafka: only brokers reachable on this listener
		}
		rb := kmsg.NewDescribeClusterResponseBroker()
		rb.NodeID, rb.Host, rb.Port, rb.IsFenced = b.ID, ep.Host, ep.Port, b.Fenced
		if b.Rack != "" {
			rb.Rack = kmsg.StringPtr(b.Rack)
		}
		resp.Brokers = append(resp.Brokers, rb)
	}
	resp.ClusterAuthorizedOperations = math.MinInt32
	if req.IncludeClusterAuthorizedOperations {
		resp.ClusterAuthorizedOperations = clusterOperations
	}
	return resp
}

func endpointName(t int8) string {
	if t == endpointControllers {
		return "CONTROLLER"
	}
	return fmt.Sprintf("UNKNOWN(%d)", t)
}
