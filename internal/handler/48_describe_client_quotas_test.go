package handler

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Kafka's ConfigCommand (--entity-type users --alter) describes the
// entity's quotas first and fails with a NullPointerException on a null
// Entries array: no match must be an empty array.
func TestDescribeClientQuotasNoMatchIsEmptyNotNull(t *testing.T) {
	h, _ := newAdminHandler()
	for _, version := range []int16{0, 1} {
		req := kmsg.NewPtrDescribeClientQuotasRequest()
		req.Version = version
		c := kmsg.NewDescribeClientQuotasRequestComponent()
		c.EntityType, c.MatchType, c.Match = quotaUser, matchExact, ptr("alice")
		req.Components = append(req.Components, c)
		resp := h.describeClientQuotas(context.Background(), req).(*kmsg.DescribeClientQuotasResponse)
		if resp.ErrorCode != 0 || resp.Entries == nil || len(resp.Entries) != 0 {
			t.Fatalf("v%d: code %d, entries %#v; want 0 and an empty non-null array", version, resp.ErrorCode, resp.Entries)
		}
		resp.Version = version
		back := kmsg.NewPtrDescribeClientQuotasResponse()
		back.Version = version
		if err := back.ReadFrom(resp.AppendTo(nil)); err != nil {
			t.Fatalf("v%d: decode: %v", version, err)
		}
		if back.Entries == nil {
			t.Errorf("v%d: Entries encoded as null", version)
		}
	}
}
