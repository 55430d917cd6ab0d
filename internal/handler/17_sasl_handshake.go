package handler

// SaslHandshake, versions 0–1.
//
// Kafka: the client names a SASL mechanism; the broker answers with its
// enabled mechanisms and UNSUPPORTED_SASL_MECHANISM if the one asked for
// is not among them. v0 is followed by raw SASL tokens, v1 by
// SaslAuthenticate requests. On a listener without SASL (PLAINTEXT, SSL)
// the request is answered with ILLEGAL_SASL_STATE.
//
// Samsa: on SASL_PLAINTEXT and SASL_SSL listeners the network layer
// (internal/network, per connection) serves the handshake itself, before
// and during re-authentication, so this handler only ever sees requests
// from non-SASL listeners and answers ILLEGAL_SASL_STATE.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

var saslHandshakeAPI = api{key: kmsg.SASLHandshake, min: 0, max: 1, serve: (*Handler).saslHandshake,
	authz: authzFromTable}

func (h *Handler) saslHandshake(_ context.Context, kreq kmsg.Request) kmsg.Response {
	resp := kreq.ResponseKind().(*kmsg.SASLHandshakeResponse)
	resp.ErrorCode = kerr.IllegalSaslState.Code
	return resp
}
