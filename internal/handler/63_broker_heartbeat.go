package handler

// BrokerHeartbeat, versions 0–1 (KIP-631), served by the active
// controller only (NOT_CONTROLLER elsewhere).
//
// A heartbeat renews the broker's session (broker.session.timeout.ms); the
// first one after registration unfences the broker unless it asks to stay
// fenced (WantFence). The response says whether it is fenced. The broker
// epoch and metadata offset are not checked yet: IsCaughtUp is always
// true. WantShutdown (controlled shutdown) is answered ShouldShutdown
// after the broker is fenced, which moves its leadership away first. An
// unregistered broker gets BROKER_ID_NOT_REGISTERED and registers again.

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/controller"
)

var brokerHeartbeatAPI = api{key: kmsg.BrokerHeartbeat, min: 0, max: 1, serve: (*Handler).brokerHeartbeat}

func (h *Handler) brokerHeartbeat(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.BrokerHeartbeatRequest)
	resp := req.ResponseKind().(*kmsg.BrokerHeartbeatResponse)
	resp.IsFenced = true
	if h.Cluster == nil {
		resp.ErrorCode = kerr.NotController.Code
		return resp
	}
	fenced, err := h.Cluster.BrokerHeartbeat(ctx, req.BrokerID, req.WantFence || req.WantShutdown)
	switch {
	case errors.Is(err, controller.ErrUnknownBroker):
		resp.ErrorCode = kerr.BrokerIDNotRegistered.Code
	case err != nil:
		resp.ErrorCode = errorCode(err)
	default:
		resp.IsFenced, resp.IsCaughtUp = fenced, true
		resp.ShouldShutdown = req.WantShutdown && fenced
	}
	return resp
}
