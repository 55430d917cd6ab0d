package handler

// CreateAcls, versions 1–3.
//
// Kafka: each creation is answered on its own. A binding must name a
// concrete resource type and a LITERAL or PREFIXED pattern, an operation
// and ALLOW or DENY, a "Type:name" principal and a host; the cluster
// resource is named kafka-cluster. Anything else is INVALID_REQUEST.
// Creating an existing binding succeeds. Without an authorizer every
// result is SECURITY_DISABLED. Needs ALTER on the cluster.
//
// Samsa: the valid bindings are written to the metadata log in one record
// (forwarded to the active controller by forward.go when needed).

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/acl"
	"github.com/samsa-io/samsa/internal/metadata"
)

var createACLsAPI = api{key: kmsg.CreateACLs, min: 1, max: 3, serve: (*Handler).createACLs,
	authz: authzFromTable, forward: forwardAlways, denyItems: denyCreateACLsItems}

func (h *Handler) createACLs(ctx context.Context, kreq kmsg.Request) kmsg.Response {
	req := kreq.(*kmsg.CreateACLsRequest)
	resp := req.ResponseKind().(*kmsg.CreateACLsResponse)
	resp.Results = make([]kmsg.CreateACLsResponseResult, len(req.Creations))
	errs := make([]error, len(req.Creations))
	var valid []metadata.ACL
	var validIdx []int
	for i, c := range req.Creations {
		b := metadata.ACL{ResourceType: int8(c.ResourceType), ResourceName: c.ResourceName,
			PatternType: int8(c.ResourcePatternType), Principal: c.Principal, Host: c.Host,
			Operation: int8(c.Operation), Permission: int8(c.PermissionType)}
		if err := acl.ValidateBinding(b); err != nil {
			errs[i] = fmt.Errorf("%w: %w", errInvalidRequest, err)
			continue
		}
		valid, validIdx = append(valid, b), append(validIdx, i)
	}
	if len(valid) > 0 {
		err := h.storeACLs(ctx, valid)
		for _, i := range validIdx {
			errs[i] = err
		}
	}
	for i := range resp.Results {
		resp.Results[i] = kmsg.NewCreateACLsResponseResult()
		if h.authorizer == nil {
			resp.Results[i].ErrorCode, resp.Results[i].ErrorMessage = kerr.SecurityDisabled.Code, ptr("No Authorizer is configured.")
			continue
		}
		resp.Results[i].ErrorCode, resp.Results[i].ErrorMessage = errorCode(errs[i]), errorMessage(errs[i])
	}
	return resp
}

func (h *Handler) storeACLs(ctx context.Context, acls []metadata.ACL) error {
	if h.authorizer == nil {
		return nil
	}
	sc, err := h.securityControl()
	if err != nil {
		return err
	}
	return sc.CreateACLs(ctx, acls)
}

// denyCreateACLsItems answers every item of a CreateACLs request refused
// whole with code (api.denyItems).
func denyCreateACLsItems(req kmsg.Request, resp kmsg.Response, code *kerr.Error) {
	r := req.(*kmsg.CreateACLsRequest)
	msg := &code.Description
	out := resp.(*kmsg.CreateACLsResponse)
	for range r.Creations {
		res := kmsg.NewCreateACLsResponseResult()
		res.ErrorCode, res.ErrorMessage = code.Code, msg
		out.Results = append(out.Results, res)
	}
}
