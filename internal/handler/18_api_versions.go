package handler

// ApiVersions, versions 0–4.
//
// Answers with the version table every other file registers (allAPIs), so
// what we advertise is exactly what the version gate accepts. A request for
// a version above 4 never reaches here: the network layer answers it with a
// v0 body carrying UNSUPPORTED_VERSION and our ranges (KIP-511), which is how
// clients newer than us negotiate down.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

var apiVersionsAPI = api{key: kmsg.ApiVersions, min: 0, max: 4, serve: (*Handler).apiVersions}

func (h *Handler) apiVersions(_ context.Context, req kmsg.Request) kmsg.Response {
	resp := req.(*kmsg.ApiVersionsRequest).ResponseKind().(*kmsg.ApiVersionsResponse)
	resp.ApiKeys = h.versions.ApiKeys()
	return resp
}
