package handler

// AlterClientQuotas, versions 0–1.
//
// Kafka (KIP-546): each entry names an entity (user and/or client-id, a
// null name meaning the type's default) and operations that set or remove
// quota keys. Each entry is answered on its own, echoing its entity: an
// unknown entity type, an entity type named twice, an unknown key or a
// non-positive value is INVALID_REQUEST. ValidateOnly changes nothing.
// Needs ALTER_CONFIGS on the cluster.
//
// Samsa: the keys are producer_byte_rate, consumer_byte_rate and
// request_percentage; valid entries are written in one metadata record
// (forwarded to the active controller by forward.go when needed).

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/controller"
	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/quota"
)

var alterClientQuotasAPI = api{key: kmsg.AlterClientQuotas, min: 0, max: 1, serve: (*Handler).alterClientQuotas,
	authz: authzFromTable, forward: forwardAlways, denyItems: denyAlterClientQuotasItems}

func (h *Handler) alterClientQuotas(ctx context.Context, kreq kmsg.Request) kmsg.Response {
	req := kreq.(*kmsg.AlterClientQuotasRequest)
	resp := req.ResponseKind().(*kmsg.AlterClientQuotasResponse)
	errs := make([]error, len(req.Entries))
	var changes []controller.QuotaChange
	var idx []int
	for i, e := range req.Entries {
		ch, err := quotaChange(e)
		if err != nil {
			errs[i] = err
			continue
		}
		changes, idx = append(changes, ch), append(idx, i)
	}
	if len(changes) > 0 && !req.ValidateOnly {
		err := h.storeQuotas(ctx, changes)
		for _, i := range idx {
			errs[i] = err
		}
	}
	for i, e := range req.Entries {
		r := kmsg.NewAlterClientQuotasResponseEntry()
		r.ErrorCode, r.ErrorMessage = errorCode(errs[i]), errorMessage(errs[i])
		for _, p := range e.Entity {
			re := kmsg.NewAlterClientQuotasResponseEntryEntity()
			re.Type, re.Name = p.Type, p.Name
			r.Entity = append(r.Entity, re)
		}
		resp.Entries = append(resp.Entries, r)
	}
	return resp
}

func (h *Handler) storeQuotas(ctx context.Context, changes []controller.QuotaChange) error {
	sc, err := h.securityControl()
	if err != nil {
		return err
	}
	return sc.AlterQuotas(ctx, changes)
}

// quotaChange checks one entry and converts it.
func quotaChange(e kmsg.AlterClientQuotasRequestEntry) (controller.QuotaChange, error) {
	var ch controller.QuotaChange
	for _, p := range e.Entity {
		name := metadata.QuotaDefault
		if p.Name != nil {
			name = *p.Name
		}
		var dst *string
		switch p.Type {
		case quotaUser:
			dst = &ch.Entity.User
		case quotaClientID:
			dst = &ch.Entity.ClientID
		default:
			return ch, fmt.Errorf("%w: Unhandled client quota entity type: %s", errInvalidRequest, p.Type)
		}
		if *dst != "" {
			return ch, fmt.Errorf("%w: Duplicate %s entity type.", errInvalidRequest, p.Type)
		}
		if name == "" {
			return ch, fmt.Errorf("%w: Empty %s entity name.", errInvalidRequest, p.Type)
		}
		*dst = name
	}
	if ch.Entity == (metadata.QuotaEntity{}) {
		return ch, fmt.Errorf("%w: Invalid empty client quota entity.", errInvalidRequest)
	}
	for _, op := range e.Ops {
		if !quota.IsKey(op.Key) {
			return ch, fmt.Errorf("%w: Unknown quota key %s.", errInvalidRequest, op.Key)
		}
		if op.Remove {
			ch.Remove = append(ch.Remove, op.Key)
			continue
		}
		if op.Value <= 0 {
			return ch, fmt.Errorf("%w: Quota %s must be positive, got %v.", errInvalidRequest, op.Key, op.Value)
		}
		if ch.Set == nil {
			ch.Set = map[string]float64{}
		}
		ch.Set[op.Key] = op.Value
	}
	return ch, nil
}

// denyAlterClientQuotasItems answers every item of an AlterClientQuotas
// request refused whole with code (api.denyItems).
func denyAlterClientQuotasItems(req kmsg.Request, resp kmsg.Response, code *kerr.Error) {
	r := req.(*kmsg.AlterClientQuotasRequest)
	msg := &code.Description
	out := resp.(*kmsg.AlterClientQuotasResponse)
	for _, e := range r.Entries {
		res := kmsg.NewAlterClientQuotasResponseEntry()
		res.ErrorCode, res.ErrorMessage = code.Code, msg
		for _, ent := range e.Entity {
			re := kmsg.NewAlterClientQuotasResponseEntryEntity()
			re.Type, re.Name = ent.Type, ent.Name
			res.Entity = append(res.Entity, re)
		}
		out.Entries = append(out.Entries, res)
	}
}
