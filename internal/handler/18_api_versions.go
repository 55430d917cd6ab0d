package handler

// ApiVersions, versions 0–5.
//
// Answers with the version table every other file registers (allAPIs), so
// what we advertise is exactly what the version gate accepts. A request for
// a version above 5 never reaches here: the network layer answers it with a
// v0 body carrying UNSUPPORTED_VERSION and our ranges (KIP-511), which is how
// clients newer than us negotiate down.
//
// From v3 the answer carries the feature flags (features.go): each
// feature's supported range and, for the features finalized above level
// 0, its finalized level, with the Raft index of this node's metadata
// image as their epoch. Below v4, as Kafka (KIP-1022), a feature whose
// supported range starts at 0 is left out: older clients read a minimum
// of 0 as invalid.
//
// From v5 (KIP-1242) a client that knows which cluster and node it means
// to talk to says so, to notice a broker whose address now belongs to
// another: as Kafka 4.4, a cluster id with a negative node id is
// INVALID_REQUEST, and one that is not this cluster's, or a node id that
// is not this node's, is REBOOTSTRAP_REQUIRED, both without the version
// table. Without a cluster id nothing is checked.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

var apiVersionsAPI = api{key: kmsg.ApiVersions, min: 0, max: 5, serve: (*Handler).apiVersions,
	authz: authzFromTable}

func (h *Handler) apiVersions(_ context.Context, kreq kmsg.Request) kmsg.Response {
	req := kreq.(*kmsg.ApiVersionsRequest)
	resp := req.ResponseKind().(*kmsg.ApiVersionsResponse)
	if req.Version >= 5 && req.ClusterID != nil {
		switch {
		case req.NodeID < 0:
			resp.ErrorCode = kerr.InvalidRequest.Code
			return resp
		case *req.ClusterID != h.Image().ClusterID || req.NodeID != h.NodeID:
			resp.ErrorCode = kerr.RebootstrapRequired.Code
			return resp
		}
	}
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
