package handler

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestFeatureLevelsAreFixed guards the reason finalized levels are not yet
// a record of the metadata log (features.go): each feature has one level.
// Giving a feature a second level (a range, or a level a request can
// change) needs the level stored in the Raft image first, so that every
// node of the cluster reports and acts on the same one.
func TestFeatureLevelsAreFixed(t *testing.T) {
	if !slices.IsSortedFunc(features, func(a, b feature) int { return strings.Compare(a.name, b.name) }) {
		t.Errorf("features are not sorted by name")
	}
	want := map[string]int16{
		"eligible.leader.replicas.version": 1, "group.version": 1, "kraft.version": 0,
		"metadata.version": 33, "share.version": 1, "streams.version": 0, "transaction.version": 0,
	}
	if len(features) != len(want) {
		t.Fatalf("%d features, want %d: a new one needs its level argued in docs/features.md", len(features), len(want))
	}
	for _, f := range features {
		if l, ok := want[f.name]; !ok || l != f.level {
			t.Errorf("%s at level %d, want %d (see the comment above)", f.name, f.level, l)
		}
	}
}

func TestApiVersionsFeatures(t *testing.T) {
	dp := newDataPath(t)
	im := dpImage()
	im.AppliedIndex = 42
	dp.setImage(im)
	type row struct {
		name     string
		min, max int16
	}
	for _, tc := range []struct {
		version   int16
		supported []row
		finalized []row
	}{
		{0, nil, nil},
		{3, // KIP-1022: no range starting at 0 below v4
			[]row{{"eligible.leader.replicas.version", 1, 1}, {"group.version", 1, 1}, {"metadata.version", 33, 33}, {"share.version", 1, 1}},
			[]row{{"eligible.leader.replicas.version", 1, 1}, {"group.version", 1, 1}, {"metadata.version", 33, 33}, {"share.version", 1, 1}}},
		{4,
			[]row{{"eligible.leader.replicas.version", 1, 1}, {"group.version", 1, 1}, {"kraft.version", 0, 0},
				{"metadata.version", 33, 33}, {"share.version", 1, 1}, {"streams.version", 0, 0}, {"transaction.version", 0, 0}},
			[]row{{"eligible.leader.replicas.version", 1, 1}, {"group.version", 1, 1}, {"metadata.version", 33, 33}, {"share.version", 1, 1}}},
	} {
		req := kmsg.NewPtrApiVersionsRequest()
		req.SetVersion(tc.version)
		resp := dp.h.apiVersions(context.Background(), req).(*kmsg.ApiVersionsResponse)
		// What the client reads.
		back := kmsg.NewPtrApiVersionsResponse()
		back.SetVersion(tc.version)
		if err := back.ReadFrom(resp.AppendTo(nil)); err != nil {
			t.Fatalf("v%d: %v", tc.version, err)
		}
		var supported, finalized []row
		for _, f := range back.SupportedFeatures {
			supported = append(supported, row{f.Name, f.MinVersion, f.MaxVersion})
		}
		for _, f := range back.FinalizedFeatures {
			finalized = append(finalized, row{f.Name, f.MinVersionLevel, f.MaxVersionLevel})
		}
		if !slices.Equal(supported, tc.supported) || !slices.Equal(finalized, tc.finalized) {
			t.Errorf("v%d: supported %v finalized %v, want %v and %v", tc.version, supported, finalized, tc.supported, tc.finalized)
		}
		wantEpoch := int64(42)
		if tc.version < 3 {
			wantEpoch = -1 // no such field: the default
		}
		if back.FinalizedFeaturesEpoch != wantEpoch {
			t.Errorf("v%d: epoch %d, want %d (the image's Raft index)", tc.version, back.FinalizedFeaturesEpoch, wantEpoch)
		}
	}
}

func TestUpdateFeatures(t *testing.T) {
	dp := newDataPath(t)
	const prefix = "The update failed for all features since the following feature had an error: "
	update := func(name string, level int16, upgradeType int8) kmsg.UpdateFeaturesRequestFeatureUpdate {
		return kmsg.UpdateFeaturesRequestFeatureUpdate{Feature: name, MaxVersionLevel: level, UpgradeType: upgradeType}
	}
	for _, tc := range []struct {
		name    string
		updates []kmsg.UpdateFeaturesRequestFeatureUpdate
		refusal string // "": accepted
	}{
		{"the finalized level", []kmsg.UpdateFeaturesRequestFeatureUpdate{update("metadata.version", 33, 1), update("group.version", 1, 2)}, ""},
		{"an unfinalized feature disabled", []kmsg.UpdateFeaturesRequestFeatureUpdate{update("streams.version", 0, 2)}, ""},
		{"nothing", nil, ""},
		{"transactions V2", []kmsg.UpdateFeaturesRequestFeatureUpdate{update("transaction.version", 2, 1)},
			"Invalid update version 2 for feature transaction.version. Local controller 1 does not support this feature."},
		{"another metadata.version", []kmsg.UpdateFeaturesRequestFeatureUpdate{update("metadata.version", 30, 2)},
			"Invalid update version 30 for feature metadata.version. Local controller 1 only supports versions 33-33"},
		{"the classic group protocol only", []kmsg.UpdateFeaturesRequestFeatureUpdate{update("group.version", 0, 2)},
			"Invalid update version 0 for feature group.version. Local controller 1 only supports versions 1-1"},
		{"an unknown feature", []kmsg.UpdateFeaturesRequestFeatureUpdate{update("group.version", 1, 1), update("nosuch", 1, 1)},
			"Invalid update version 1 for feature nosuch. Local controller 1 does not support this feature."},
		{"an unknown feature disabled", []kmsg.UpdateFeaturesRequestFeatureUpdate{update("nosuch", 0, 2)},
			"Invalid update version 0 for feature nosuch. Feature nosuch not found."},
		{"a negative level", []kmsg.UpdateFeaturesRequestFeatureUpdate{update("group.version", -1, 1)},
			"Invalid update version -1 for feature group.version. A feature version cannot be less than 0."},
		{"an unknown upgrade type", []kmsg.UpdateFeaturesRequestFeatureUpdate{update("group.version", 1, 4)},
			"Invalid update version 1 for feature group.version. The controller does not support the given upgrade type."},
		{"the first refusal by name", []kmsg.UpdateFeaturesRequestFeatureUpdate{update("zz", 1, 1), update("aa", 1, 1)},
			"Invalid update version 1 for feature aa. Local controller 1 does not support this feature."},
	} {
		for v := int16(0); v <= 2; v++ {
			req := kmsg.NewPtrUpdateFeaturesRequest()
			req.SetVersion(v)
			req.ValidateOnly = v > 0
			req.FeatureUpdates = slices.Clone(tc.updates)
			for i := range req.FeatureUpdates {
				if v == 0 { // v0 has no upgrade type: allow_downgrade
					req.FeatureUpdates[i].AllowDowngrade = req.FeatureUpdates[i].UpgradeType == 2
				}
			}
			if v == 0 && strings.Contains(tc.refusal, "upgrade type") {
				continue
			}
			raw := dp.h.updateFeatures(context.Background(), req).(*kmsg.UpdateFeaturesResponse)
			resp := kmsg.NewPtrUpdateFeaturesResponse()
			resp.SetVersion(v)
			if err := resp.ReadFrom(raw.AppendTo(nil)); err != nil {
				t.Fatalf("%s v%d: %v", tc.name, v, err)
			}
			if tc.refusal != "" {
				if resp.ErrorCode != kerr.InvalidUpdateVersion.Code || resp.ErrorMessage == nil || *resp.ErrorMessage != prefix+tc.refusal || len(resp.Results) != 0 {
					t.Errorf("%s v%d: %d %v %v, want INVALID_UPDATE_VERSION %q and no results", tc.name, v, resp.ErrorCode, deref(resp.ErrorMessage), resp.Results, tc.refusal)
				}
				continue
			}
			wantResults := len(tc.updates)
			if v == 2 {
				wantResults = 0 // v2 answers no per-feature results
			}
			if resp.ErrorCode != 0 || len(resp.Results) != wantResults {
				t.Errorf("%s v%d: %d %v %+v, want success with %d results", tc.name, v, resp.ErrorCode, deref(resp.ErrorMessage), resp.Results, wantResults)
			}
			for _, r := range resp.Results {
				if r.ErrorCode != 0 {
					t.Errorf("%s v%d: %s: %d", tc.name, v, r.Feature, r.ErrorCode)
				}
			}
		}
	}
}

// The ranges Kafka 4.4's ApiVersions answers for the two APIs (checked
// against the reference node), which are also the whole of kmsg's.
func TestFeatureAPIVersions(t *testing.T) {
	for _, tc := range []struct {
		a        api
		min, max int16
	}{
		{updateFeaturesAPI, 0, 2},
		{describeTopicPartitionsAPI, 0, 0},
	} {
		codec := kmsg.RequestForKey(int16(tc.a.key)).MaxVersion()
		if tc.a.min != tc.min || tc.a.max != tc.max || codec != tc.max {
			t.Errorf("%s: %d-%d (codec max %d), want %d-%d", kmsg.NameForKey(int16(tc.a.key)), tc.a.min, tc.a.max, codec, tc.min, tc.max)
		}
	}
}
