package handler

// BrokerHeartbeat, versions 0–1 (KIP-631), served by the active
// controller only (NOT_CONTROLLER elsewhere).
//
// A heartbeat renews the broker's session (broker.session.timeout.ms). Its
// BrokerEpoch must be the one the broker's latest registration returned:
// another one (a previous incarnation's request, a zombie) is
// STALE_BROKER_EPOCH, and an unregistered broker gets
// BROKER_ID_NOT_REGISTERED; either way the broker registers again.
// IsCaughtUp says the broker's CurrentMetadataOffset has reached its own
// registration record (KIP-631); until then it stays fenced. The first
// heartbeat after that unfences it unless it asks to stay fenced
// (WantFence). WantShutdown (controlled shutdown) fences the broker, which
// moves its leadership away first, and is answered ShouldShutdown.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/controller"
)

var brokerHeartbeatAPI = api{key: kmsg.BrokerHeartbeat, min: 0, max: 1, serve: (*Handler).brokerHeartbeat,
	authz: authzFromTable}

func (h *Handler) brokerHeartbeat(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.BrokerHeartbeatRequest)
	resp := req.ResponseKind().(*kmsg.BrokerHeartbeatResponse)
	resp.IsFenced = true
	if h.Cluster == nil {
		resp.ErrorCode = kerr.NotController.Code
		return resp
	}
	res, err := h.Cluster.BrokerHeartbeat(ctx, controller.HeartbeatRequest{BrokerID: req.BrokerID,
		BrokerEpoch: req.BrokerEpoch, MetadataOffset: req.CurrentMetadataOffset,
		WantFence: req.WantFence || req.WantShutdown})
	if err != nil {
		resp.ErrorCode = errorCode(err)
		return resp
	}
	resp.IsFenced, resp.IsCaughtUp = res.Fenced, res.CaughtUp
	resp.ShouldShutdown = req.WantShutdown && res.Fenced
	return resp
}
