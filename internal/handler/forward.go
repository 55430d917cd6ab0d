package handler

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/protocol"
)

// Forwarder sends a request to the active controller and returns its
// answer (KIP-590 forwarding). The server provides it; nil disables
// forwarding.
type Forwarder func(ctx context.Context, req kmsg.Request) (kmsg.Response, error)

// forwardedKeys are the admin APIs only the active controller can carry
// out. Clients may send them to any broker (franz-go and the Java client
// send AlterConfigs, for one, to a random broker), so a broker that is not
// the active controller passes them on instead of answering NOT_CONTROLLER.
var forwardedKeys = map[kmsg.Key]bool{
	kmsg.CreateTopics: true, kmsg.DeleteTopics: true, kmsg.CreatePartitions: true,
	kmsg.AlterConfigs: true, kmsg.IncrementalAlterConfigs: true, kmsg.ElectLeaders: true,
	kmsg.AlterPartitionAssignments: true, kmsg.CreateACLs: true, kmsg.DeleteACLs: true,
	kmsg.AlterClientQuotas: true, kmsg.AlterUserSCRAMCredentials: true,
}

// forwardedCtx marks a request that was already forwarded once: the
// controller link may hand it to this node's own handler when leadership
// moved here meanwhile, and it must then be served, not sent on again.
type forwardedCtx struct{}

// forward passes req to the active controller when this node is not it.
// ok is false when the request is to be served here: not a forwarded API,
// this node is the controller, or forwarding failed (the local path then
// answers NOT_CONTROLLER, which clients retry).
func (h *Handler) forward(ctx context.Context, req *protocol.Request) (kmsg.Response, bool) {
	if h.Forward == nil || !forwardedKeys[kmsg.Key(req.Key)] || ctx.Value(forwardedCtx{}) != nil {
		return nil, false
	}
	if im := h.Image(); im.ControllerID == h.NodeID {
		return nil, false
	}
	resp, err := h.Forward(context.WithValue(ctx, forwardedCtx{}, true), req.Body)
	if err != nil {
		h.Logger.Debug("forward to the active controller failed; answering locally",
			"api", kmsg.NameForKey(req.Key), "err", err)
		return nil, false
	}
	return resp, true
}
