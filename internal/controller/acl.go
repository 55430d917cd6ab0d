package controller

import (
	"context"
	"slices"

	"github.com/samsa-io/samsa/internal/metadata"
)

// ACLsRecord adds (CreateACLs) or removes (RemoveACLs) access-control
// bindings. Adding a binding that exists and removing one that does not
// are no-ops, so a retried request converges.
type ACLsRecord struct {
	ACLs []metadata.ACL `json:"acls"`
}

// CreateACLs stores bindings in the metadata log. The caller has checked
// each binding (concrete resource and pattern types, operation and
// permission, principal and host syntax).
func (c *Controller) CreateACLs(ctx context.Context, acls []metadata.ACL) error {
	return c.proposeLeader(ctx, RecordCreateACLs, &ACLsRecord{ACLs: acls})
}

// DeleteACLs removes exactly the given bindings; the caller found them by
// matching its filters against the current image.
func (c *Controller) DeleteACLs(ctx context.Context, acls []metadata.ACL) error {
	return c.proposeLeader(ctx, RecordRemoveACLs, &ACLsRecord{ACLs: acls})
}

// proposeLeader proposes one record on the active controller, serialized
// with every other proposal.
func (c *Controller) proposeLeader(ctx context.Context, typ RecordType, payload any) error {
	c.proposeMu.Lock()
	defer c.proposeMu.Unlock()
	if !c.IsLeader() {
		return c.notController()
	}
	return c.propose(ctx, typ, payload)
}

func applyCreateACLs(next *metadata.Image, rec *ACLsRecord) error {
	out := slices.Clone(next.ACLs)
	for _, a := range rec.ACLs {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	next.ACLs = out
	return nil
}

func applyRemoveACLs(next *metadata.Image, rec *ACLsRecord) error {
	next.ACLs = slices.DeleteFunc(slices.Clone(next.ACLs), func(a metadata.ACL) bool {
		return slices.Contains(rec.ACLs, a)
	})
	return nil
}
