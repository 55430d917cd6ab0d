package handler

// DeleteAcls, versions 1–3.
//
// Kafka: each filter (as DescribeAcls's) deletes every binding it matches
// and returns them; a binding matched by several filters is deleted once
// and listed under each. A filter with UNKNOWN fields is INVALID_REQUEST.
// Without an authorizer every result is SECURITY_DISABLED. Needs ALTER on
// the cluster.
//
// Samsa: the matches are computed from the image and their removal
// written in one record; a binding removed meanwhile is a no-op.

import (
	"context"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/acl"
	"github.com/samsa-io/samsa/internal/metadata"
)

var deleteACLsAPI = api{key: kmsg.DeleteACLs, min: 1, max: 3, serve: (*Handler).deleteACLs,
	authz: authzFromTable, forward: forwardAlways, denyItems: denyDeleteACLsItems}

func (h *Handler) deleteACLs(ctx context.Context, kreq kmsg.Request) kmsg.Response {
	req := kreq.(*kmsg.DeleteACLsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteACLsResponse)
	resp.Results = make([]kmsg.DeleteACLsResponseResult, len(req.Filters))
	if h.authorizer == nil {
		for i := range resp.Results {
			resp.Results[i] = kmsg.NewDeleteACLsResponseResult()
			resp.Results[i].ErrorCode, resp.Results[i].ErrorMessage = kerr.SecurityDisabled.Code, ptr("No Authorizer is configured.")
		}
		return resp
	}
	current := h.Image().ACLs
	matches := make([][]metadata.ACL, len(req.Filters))
	errs := make([]error, len(req.Filters))
	var remove []metadata.ACL
	for i, kf := range req.Filters {
		f := acl.Filter{ResourceType: acl.ResourceType(kf.ResourceType), ResourceName: kf.ResourceName,
			PatternType: acl.PatternType(kf.ResourcePatternType), Principal: kf.Principal, Host: kf.Host,
			Operation: acl.Operation(kf.Operation), Permission: acl.Permission(kf.PermissionType)}
		if err := f.Validate(); err != nil {
			errs[i] = fmt.Errorf("%w: %w", errInvalidRequest, err)
			continue
		}
		matches[i] = f.Select(current)
		for _, b := range matches[i] {
			if !slices.Contains(remove, b) {
				remove = append(remove, b)
			}
		}
	}
	var storeErr error
	if len(remove) > 0 {
		if sc, err := h.securityControl(); err != nil {
			storeErr = err
		} else {
			storeErr = sc.DeleteACLs(ctx, remove)
		}
	}
	for i := range resp.Results {
		r := kmsg.NewDeleteACLsResponseResult()
		err := errs[i]
		if err == nil && len(matches[i]) > 0 {
			err = storeErr
		}
		r.ErrorCode, r.ErrorMessage = errorCode(err), errorMessage(err)
		if err == nil {
			for _, b := range matches[i] {
				m := kmsg.NewDeleteACLsResponseResultMatchingACL()
				m.ResourceType, m.ResourceName = kmsg.ACLResourceType(b.ResourceType), b.ResourceName
				m.ResourcePatternType = kmsg.ACLResourcePatternType(b.PatternType)
				m.Principal, m.Host = b.Principal, b.Host
				m.Operation, m.PermissionType = kmsg.ACLOperation(b.Operation), kmsg.ACLPermissionType(b.Permission)
				r.MatchingACLs = append(r.MatchingACLs, m)
			}
		}
		resp.Results[i] = r
	}
	return resp
}

// denyDeleteACLsItems answers every item of a DeleteACLs request refused
// whole with code (api.denyItems).
func denyDeleteACLsItems(req kmsg.Request, resp kmsg.Response, code *kerr.Error) {
	r := req.(*kmsg.DeleteACLsRequest)
	msg := &code.Description
	out := resp.(*kmsg.DeleteACLsResponse)
	for range r.Filters {
		res := kmsg.NewDeleteACLsResponseResult()
		res.ErrorCode, res.ErrorMessage = code.Code, msg
		out.Results = append(out.Results, res)
	}
}
