package handler

// UnregisterBroker, version 0 (KIP-631; kafka-cluster.sh unregister).
//
// Removes a broker that is gone for good from the cluster's metadata: the
// active controller takes it out of every ISR, moves its leaderships away
// and deletes its registration (controller/unregister.go). A broker that is
// not registered gets BROKER_ID_NOT_REGISTERED. ALTER on the cluster is
// needed (authz_table.go), and a broker forwards the request to the active
// controller, as Kafka's brokers do.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

var unregisterBrokerAPI = api{key: kmsg.UnregisterBroker, min: 0, max: 0, serve: (*Handler).unregisterBroker,
	authz: authzFromTable, forward: forwardAlways}

func (h *Handler) unregisterBroker(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.UnregisterBrokerRequest)
	resp := req.ResponseKind().(*kmsg.UnregisterBrokerResponse)
	if err := h.Controller.UnregisterBroker(ctx, req.BrokerID); err != nil {
		resp.ErrorCode, resp.ErrorMessage = errorCode(err), errorMessage(err)
	}
	return resp
}
