package handler

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/controller"
	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/protocol"
)

// Forwarder sends a request to the active controller and returns its
// answer (KIP-590 forwarding). The server provides it; nil disables
// forwarding.
type Forwarder func(ctx context.Context, req kmsg.Request) (kmsg.Response, error)

// forwardAlways is the forward policy of the admin APIs only the active
// controller can carry out. Clients may send them to any broker (franz-go
// and the Java client send AlterConfigs, for one, to a random broker), so a
// broker that is not the active controller passes them on instead of
// answering NOT_CONTROLLER. DescribeQuorum names it too although it changes
// nothing: Kafka's brokers forward it, since the answer is the Raft
// leader's view, the only one with the leader's log end offset. Each API's
// api value names its policy (its forward field).
func forwardAlways(*Handler, kmsg.Request) bool { return true }

// forwardedCtx marks a request that was already forwarded once: the
// controller link may hand it to this node's own handler when leadership
// moved here meanwhile, and it must then be served, not sent on again.
type forwardedCtx struct{}

// forward passes req to the active controller when this node is not it.
// ok is false when the request is to be served here: a's forward policy
// keeps it here, this node is the controller, or forwarding failed (the
// local path then answers NOT_CONTROLLER, which clients retry).
func (h *Handler) forward(ctx context.Context, a api, req *protocol.Request) (kmsg.Response, bool) {
	if h.Forward == nil || a.forward == nil || ctx.Value(forwardedCtx{}) != nil {
		return nil, false
	}
	if im := h.Image(); im.ControllerID == h.NodeID {
		return nil, false
	}
	if !a.forward(h, req.Body) {
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

// errCreationForwarded says a topic this broker needed was handed to the
// active controller: it exists once the next metadata update arrives, and
// the caller answers with a retriable error meanwhile.
var errCreationForwarded = errors.New("handler: topic creation forwarded to the active controller")

// createTopicOnController creates a topic the broker needs on its own
// (__consumer_offsets, __transaction_state, a topic auto-created by
// Metadata): directly when this node is the active controller, otherwise
// by forwarding a CreateTopics request to it, as Kafka's brokers do. A
// forwarded creation that succeeds (or finds the topic there) returns
// errCreationForwarded.
func (h *Handler) createTopicOnController(ctx context.Context, creq controller.CreateTopicRequest) (*metadata.Topic, error) {
	t, err := h.Controller.CreateTopic(ctx, creq)
	if !errors.Is(err, controller.ErrNotController) || h.Forward == nil || ctx.Value(forwardedCtx{}) != nil {
		return t, err
	}
	req := kmsg.NewPtrCreateTopicsRequest()
	req.Version, req.TimeoutMillis = 5, 10_000
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = creq.Name, creq.NumPartitions, creq.ReplicationFactor
	for _, k := range slices.Sorted(maps.Keys(creq.Configs)) {
		c := kmsg.NewCreateTopicsRequestTopicConfig()
		c.Name, c.Value = k, kmsg.StringPtr(creq.Configs[k])
		rt.Configs = append(rt.Configs, c)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := h.Forward(context.WithValue(ctx, forwardedCtx{}, true), req)
	if err != nil {
		return nil, fmt.Errorf("forward creation of %q to the active controller: %w", creq.Name, err)
	}
	cr, ok := resp.(*kmsg.CreateTopicsResponse)
	if !ok || len(cr.Topics) != 1 {
		return nil, fmt.Errorf("forward creation of %q: unexpected answer %T", creq.Name, resp)
	}
	if e := kerr.ErrorForCode(cr.Topics[0].ErrorCode); e != nil && !errors.Is(e, kerr.TopicAlreadyExists) {
		return nil, fmt.Errorf("forward creation of %q: %w", creq.Name, e)
	}
	return nil, errCreationForwarded
}
