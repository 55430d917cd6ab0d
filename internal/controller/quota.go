package controller

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/samsa-io/samsa/internal/metadata"
)

// QuotaChange sets and removes quota keys of one entity.
type QuotaChange struct {
	Entity metadata.QuotaEntity `json:"entity"`
	Set    map[string]float64   `json:"set,omitempty"`
	Remove []string             `json:"remove,omitempty"`
}

// QuotasRecord applies client-quota changes (AlterClientQuotas).
type QuotasRecord struct {
	Changes []QuotaChange `json:"changes"`
}

// AlterQuotas stores client-quota changes; the caller has validated the
// entities, keys and values.
func (c *Controller) AlterQuotas(ctx context.Context, changes []QuotaChange) error {
	return c.proposeLeader(ctx, RecordQuotas, &QuotasRecord{Changes: changes})
}

func applyQuotas(next *metadata.Image, rec *QuotasRecord) error {
	out := make(map[metadata.QuotaEntity]metadata.QuotaValues, len(next.Quotas)+len(rec.Changes))
	maps.Copy(out, next.Quotas)
	for _, ch := range rec.Changes {
		if ch.Entity == (metadata.QuotaEntity{}) {
			return domainErr(ErrInvalidRequest, "A quota entity needs a user or a client id.")
		}
		vals := maps.Clone(out[ch.Entity])
		if vals == nil {
			vals = metadata.QuotaValues{}
		}
		for _, k := range ch.Remove {
			delete(vals, k)
		}
		for k, v := range ch.Set {
			if v <= 0 {
				return domainErr(ErrInvalidRequest, fmt.Sprintf("Quota %s must be positive, got %v.", k, v))
			}
			vals[k] = v
		}
		if len(vals) == 0 {
			delete(out, ch.Entity)
		} else {
			out[ch.Entity] = vals
		}
	}
	next.Quotas = out
	return nil
}

// snapshotQuotas lists the image's quotas as changes that recreate them,
// sorted so that snapshots of equal images are equal.
func snapshotQuotas(im *metadata.Image) []QuotaChange {
	out := make([]QuotaChange, 0, len(im.Quotas))
	for e, v := range im.Quotas {
		out = append(out, QuotaChange{Entity: e, Set: v})
	}
	slices.SortFunc(out, func(a, b QuotaChange) int {
		return cmp.Or(cmp.Compare(a.Entity.User, b.Entity.User), cmp.Compare(a.Entity.ClientID, b.Entity.ClientID))
	})
	return out
}
