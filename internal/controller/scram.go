package controller

import (
	"context"
	"fmt"
	"maps"

	"github.com/samsa-io/samsa/internal/metadata"
)

// ScramUpsert sets one user's credential for one mechanism.
type ScramUpsert struct {
	Key        metadata.ScramKey        `json:"key"`
	Credential metadata.ScramCredential `json:"credential"`
}

// ScramRecord changes SCRAM credentials (AlterUserScramCredentials):
// deletions first, then upserts, all or nothing.
type ScramRecord struct {
	Upserts   []ScramUpsert       `json:"upserts,omitempty"`
	Deletions []metadata.ScramKey `json:"deletions,omitempty"`
}

// AlterScram stores SCRAM credential changes; the caller has validated
// mechanisms, iterations and that each deleted credential exists.
func (c *Controller) AlterScram(ctx context.Context, rec ScramRecord) error {
	return c.proposeLeader(ctx, RecordScram, &rec)
}

func applyScram(next *metadata.Image, rec *ScramRecord) error {
	out := make(map[metadata.ScramKey]metadata.ScramCredential, len(next.Scram)+len(rec.Upserts))
	maps.Copy(out, next.Scram)
	for _, k := range rec.Deletions {
		delete(out, k)
	}
	for _, u := range rec.Upserts {
		if u.Key.User == "" || u.Credential.Iterations <= 0 || len(u.Credential.StoredKey) == 0 {
			return domainErr(ErrInvalidRequest, fmt.Sprintf("Invalid SCRAM credential for user %q.", u.Key.User))
		}
		out[u.Key] = u.Credential
	}
	next.Scram = out
	return nil
}

// snapshotScram lists the image's credentials for a snapshot.
func snapshotScram(im *metadata.Image) []ScramUpsert {
	out := make([]ScramUpsert, 0, len(im.Scram))
	for k, v := range im.Scram {
		out = append(out, ScramUpsert{Key: k, Credential: v})
	}
	return out
}
