package handler

// SaslAuthenticate, versions 0–2.
//
// Kafka: carries one SASL token each way after a v1 SaslHandshake; a
// failed authentication answers SASL_AUTHENTICATION_FAILED with a message
// and closes the connection; v1+ reports session_lifetime_ms
// (KIP-368, connections.max.reauth.ms). On a listener without SASL the
// request is answered with ILLEGAL_SASL_STATE.
//
// Samsa: as for SaslHandshake, the network layer serves this API on SASL
// listeners; the handler answers the non-SASL case.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

var saslAuthenticateAPI = api{key: kmsg.SASLAuthenticate, min: 0, max: 2, serve: (*Handler).saslAuthenticate,
	authz: authzFromTable}

func (h *Handler) saslAuthenticate(_ context.Context, kreq kmsg.Request) kmsg.Response {
	resp := kreq.ResponseKind().(*kmsg.SASLAuthenticateResponse)
	resp.ErrorCode = kerr.IllegalSaslState.Code
	msg := "SaslAuthenticate is only served on SASL_PLAINTEXT and SASL_SSL listeners"
	resp.ErrorMessage = &msg
	return resp
}
