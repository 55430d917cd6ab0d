package handler

// ApiVersions, versions 0–4.
//
// Answers with the version table every other file registers (allAPIs), so
// what we advertise is exactly what the version gate accepts. A request for
// a version above 4 never reaches here: the network layer answers it with a
// v0 body carrying UNSUPPORTED_VERSION and our ranges (KIP-511), which is how
// clients newer than us negotiate down.
//
// From v3 the answer carries the feature flags (features.go): each
// feature's supported range and, for the features finalized above level
// 0, its finalized level, with the Raft index of this node's metadata
// image as their epoch. Below v4, as Kafka (KIP-1022), a feature whose
// supported range starts at 0 is left out: older clients read a minimum
// of 0 as invalid.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

var apiVersionsAPI = api{key: kmsg.ApiVersions, min: 0, max: 4, serve: (*Handler).apiVersions,
	authz: authzFromTable}

func (h *Handler) apiVersions(_ context.Context, req kmsg.Request) kmsg.Response {
	resp := req.(*kmsg.ApiVersionsRequest).ResponseKind().(*kmsg.ApiVersionsResponse)
	resp.ApiKeys = h.versions.ApiKeys()
	if resp.Version >= 3 {
		h.addFeatures(resp)
	}
	return resp
}

func (h *Handler) addFeatures(resp *kmsg.ApiVersionsResponse) {
	for _, f := range features {
		if f.level == 0 && resp.Version < 4 {
			continue
		}
		sf := kmsg.NewApiVersionsResponseSupportedFeature()
		sf.Name, sf.MinVersion, sf.MaxVersion = f.name, f.level, f.level
		resp.SupportedFeatures = append(resp.SupportedFeatures, sf)
		if f.level > 0 {
			ff := kmsg.NewApiVersionsResponseFinalizedFeature()
			ff.Name, ff.MinVersionLevel, ff.MaxVersionLevel = f.name, f.level, f.level
			resp.FinalizedFeatures = append(resp.FinalizedFeatures, ff)
		}
	}
	resp.FinalizedFeaturesEpoch = int64(h.Image().AppliedIndex)
}
