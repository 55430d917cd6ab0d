package handler

// UpdateFeatures, versions 0–2.
//
// Changes finalized feature levels (KIP-584; v1 adds KIP-778's upgrade
// type and validate-only). Samsa implements one level of each feature
// (features.go), so the only update it accepts is one to the level already
// finalized, which changes nothing; every other is refused as Kafka's
// controller refuses a level it does not support. As Kafka 4.x, the
// updates are applied atomically: the first one refused (in feature-name
// order) refuses the request as a whole, with INVALID_UPDATE_VERSION at
// the top level and "The update failed for all features since the
// following feature had an error: " before the reason, and no per-feature
// results; a request accepted in full answers, before v2, a result with
// no error (and Kafka's message "NONE") for each feature (v2 has no
// results). Each update is checked
// as Kafka checks it: the upgrade type (1 upgrade, 2 safe downgrade, 3
// unsafe downgrade; v0's allow_downgrade reads as a safe downgrade), a
// negative level, then the levels this node supports, then the direction
// of the change. ALTER on the cluster is needed (authz_table.go).

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

var updateFeaturesAPI = api{key: kmsg.UpdateFeatures, min: 0, max: 2, serve: (*Handler).updateFeatures,
	authz: authzFromTable}

// The upgrade types of an update (KIP-778).
const (
	upgradeTypeUpgrade         int8 = 1
	upgradeTypeSafeDowngrade   int8 = 2
	upgradeTypeUnsafeDowngrade int8 = 3
)

func (h *Handler) updateFeatures(_ context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.UpdateFeaturesRequest)
	resp := req.ResponseKind().(*kmsg.UpdateFeaturesResponse)
	updates := slices.Clone(req.FeatureUpdates)
	slices.SortStableFunc(updates, func(a, b kmsg.UpdateFeaturesRequestFeatureUpdate) int {
		return strings.Compare(a.Feature, b.Feature)
	})
	for _, u := range updates {
		upgradeType := u.UpgradeType
		if req.Version == 0 {
			upgradeType = upgradeTypeUpgrade
			if u.AllowDowngrade {
				upgradeType = upgradeTypeSafeDowngrade
			}
		}
		if reason := h.featureUpdateRefusal(u.Feature, u.MaxVersionLevel, upgradeType); reason != "" {
			msg := "The update failed for all features since the following feature had an error: " + reason
			resp.ErrorCode, resp.ErrorMessage = kerr.InvalidUpdateVersion.Code, &msg
			return resp
		}
	}
	// Every update asks for the level already finalized: nothing to write.
	if req.Version < 2 {
		for _, u := range req.FeatureUpdates {
			res := kmsg.NewUpdateFeaturesResponseResult()
			res.Feature = u.Feature
			res.ErrorMessage = kmsg.StringPtr("NONE") // Kafka's message of its no-error code
			resp.Results = append(resp.Results, res)
		}
	}
	return resp
}

// featureUpdateRefusal is why setting feature name to level with the given
// upgrade type is refused, in Kafka's words, or "" when it is allowed.
func (h *Handler) featureUpdateRefusal(name string, level int16, upgradeType int8) string {
	refuse := func(why string) string {
		return fmt.Sprintf("Invalid update version %d for feature %s. %s", level, name, why)
	}
	if upgradeType < upgradeTypeUpgrade || upgradeType > upgradeTypeUnsafeDowngrade {
		return refuse("The controller does not support the given upgrade type.")
	}
	if level < 0 {
		return refuse("A feature version cannot be less than 0.")
	}
	f, known := findFeature(name)
	switch {
	case !known && level == 0:
		return refuse(fmt.Sprintf("Feature %s not found.", name))
	case !known || f.level == 0 && level != 0:
		return refuse(fmt.Sprintf("Local controller %d does not support this feature.", h.NodeID))
	case level != f.level:
		return refuse(fmt.Sprintf("Local controller %d only supports versions %d-%d", h.NodeID, f.level, f.level))
	}
	// level is the finalized level: Kafka's direction checks (a downgrade
	// needs a downgrade type, an upgrade the upgrade type) concern a change.
	return ""
}
