package handler

// DescribeClientQuotas, versions 0–1.
//
// Kafka (KIP-546): returns the quotas of every entity matching all the
// filter's components. A component names an entity type ("user",
// "client-id") and matches an exact name (0), the type's default (1) or
// any entity of that type (2). With Strict an entity must have no part
// outside the components. Unknown entity types are INVALID_REQUEST. Needs
// DESCRIBE_CONFIGS on the cluster.
//
// Samsa: the same, from this node's metadata image. Only user and
// client-id entities exist ("ip" quotas are not supported). No match is an
// empty Entries array, never null: Entries is nullable (null only with an
// error), and Kafka's ConfigCommand fails on a null one.

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/metadata"
)

var describeClientQuotasAPI = api{key: kmsg.DescribeClientQuotas, min: 0, max: 1, serve: (*Handler).describeClientQuotas,
	authz: authzFromTable}

// Quota entity types as the protocol names them.
const (
	quotaUser     = "user"
	quotaClientID = "client-id"
)

// Component match types of DescribeClientQuotas.
const (
	matchExact   kmsg.QuotasMatchType = 0
	matchDefault kmsg.QuotasMatchType = 1
	matchAny     kmsg.QuotasMatchType = 2
)

func (h *Handler) describeClientQuotas(_ context.Context, kreq kmsg.Request) kmsg.Response {
	req := kreq.(*kmsg.DescribeClientQuotasRequest)
	resp := req.ResponseKind().(*kmsg.DescribeClientQuotasResponse)
	for _, c := range req.Components {
		if c.EntityType != quotaUser && c.EntityType != quotaClientID {
			resp.ErrorCode = kerr.InvalidRequest.Code
			resp.ErrorMessage = ptr(fmt.Sprintf("Custom entity type '%s' not supported.", c.EntityType))
			return resp
		}
	}
	resp.Entries = []kmsg.DescribeClientQuotasResponseEntry{}
	im := h.Image()
	entities := slices.SortedFunc(maps.Keys(im.Quotas), func(a, b metadata.QuotaEntity) int {
		if a.User != b.User {
			return compareStrings(a.User, b.User)
		}
		return compareStrings(a.ClientID, b.ClientID)
	})
	for _, e := range entities {
		if !quotaMatches(e, req.Components, req.Strict) {
			continue
		}
		entry := kmsg.NewDescribeClientQuotasResponseEntry()
		for _, part := range quotaParts(e) {
			ee := kmsg.NewDescribeClientQuotasResponseEntryEntity()
			ee.Type, ee.Name = part.typ, part.name
			entry.Entity = append(entry.Entity, ee)
		}
		vals := im.Quotas[e]
		for _, k := range slices.Sorted(maps.Keys(vals)) {
			v := kmsg.NewDescribeClientQuotasResponseEntryValue()
			v.Key, v.Value = k, vals[k]
			entry.Values = append(entry.Values, v)
		}
		resp.Entries = append(resp.Entries, entry)
	}
	return resp
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

type quotaPart struct {
	typ  string
	name *string // nil: the type's default
}

// quotaParts lists an entity's parts in the protocol's form.
func quotaParts(e metadata.QuotaEntity) []quotaPart {
	var out []quotaPart
	add := func(typ, name string) {
		if name == "" {
			return
		}
		p := quotaPart{typ: typ}
		if name != metadata.QuotaDefault {
			p.name = &name
		}
		out = append(out, p)
	}
	add(quotaUser, e.User)
	add(quotaClientID, e.ClientID)
	return out
}

// quotaMatches applies DescribeClientQuotas's filter to an entity.
func quotaMatches(e metadata.QuotaEntity, comps []kmsg.DescribeClientQuotasRequestComponent, strict bool) bool {
	part := map[string]string{quotaUser: e.User, quotaClientID: e.ClientID}
	named := map[string]bool{}
	for _, c := range comps {
		named[c.EntityType] = true
		v := part[c.EntityType]
		switch c.MatchType {
		case matchExact:
			if c.Match == nil || v != *c.Match {
				return false
			}
		case matchDefault:
			if v != metadata.QuotaDefault {
				return false
			}
		case matchAny:
			if v == "" {
				return false
			}
		default:
			return false
		}
	}
	if strict {
		for typ, v := range part {
			if v != "" && !named[typ] {
				return false
			}
		}
	}
	return true
}
