package handler

// DescribeAcls, versions 1–3.
//
// Kafka: returns the bindings matching one filter, grouped by resource
// pattern. The filter's resource type, pattern type (ANY, MATCH, LITERAL,
// PREFIXED), operation and permission may be ANY; a null name, principal
// or host matches any. Without an authorizer the answer is
// SECURITY_DISABLED; a filter with UNKNOWN fields is INVALID_REQUEST.
// Needs DESCRIBE on the cluster (authz_hooks.go).
//
// Samsa: the same, from this node's metadata image.

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/acl"
	"github.com/samsa-io/samsa/internal/controller"
	"github.com/samsa-io/samsa/internal/metadata"
)

var describeACLsAPI = api{key: kmsg.DescribeACLs, min: 1, max: 3, serve: (*Handler).describeACLs,
	authz: authzFromTable}

// SecurityControl is what the ACL and client-quota APIs need from the
// active controller; the controller package's *Controller satisfies it. A
// Controller without it answers these APIs with UNKNOWN_SERVER_ERROR.
type SecurityControl interface {
	CreateACLs(ctx context.Context, acls []metadata.ACL) error
	DeleteACLs(ctx context.Context, acls []metadata.ACL) error
	AlterQuotas(ctx context.Context, changes []controller.QuotaChange) error
}

var errNoSecurityControl = fmt.Errorf("%w: the controller does not store ACLs or quotas", errInvalidRequest)

func (h *Handler) securityControl() (SecurityControl, error) {
	if sc, ok := h.Controller.(SecurityControl); ok {
		return sc, nil
	}
	return nil, errNoSecurityControl
}

func (h *Handler) describeACLs(_ context.Context, kreq kmsg.Request) kmsg.Response {
	req := kreq.(*kmsg.DescribeACLsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeACLsResponse)
	if h.authorizer == nil {
		resp.ErrorCode, resp.ErrorMessage = kerr.SecurityDisabled.Code, ptr("No Authorizer is configured.")
		return resp
	}
	f := acl.Filter{
		ResourceType: acl.ResourceType(req.ResourceType), ResourceName: req.ResourceName,
		PatternType: acl.PatternType(req.ResourcePatternType), Principal: req.Principal, Host: req.Host,
		Operation: acl.Operation(req.Operation), Permission: acl.Permission(req.PermissionType),
	}
	if err := f.Validate(); err != nil {
		resp.ErrorCode, resp.ErrorMessage = kerr.InvalidRequest.Code, ptr(err.Error())
		return resp
	}
	index := map[[3]any]int{}
	for _, b := range f.Select(h.Image().ACLs) {
		key := [3]any{b.ResourceType, b.ResourceName, b.PatternType}
		i, ok := index[key]
		if !ok {
			r := kmsg.NewDescribeACLsResponseResource()
			r.ResourceType, r.ResourceName = kmsg.ACLResourceType(b.ResourceType), b.ResourceName
			r.ResourcePatternType = kmsg.ACLResourcePatternType(b.PatternType)
			i = len(resp.Resources)
			index[key] = i
			resp.Resources = append(resp.Resources, r)
		}
		e := kmsg.NewDescribeACLsResponseResourceACL()
		e.Principal, e.Host = b.Principal, b.Host
		e.Operation, e.PermissionType = kmsg.ACLOperation(b.Operation), kmsg.ACLPermissionType(b.Permission)
		resp.Resources[i].ACLs = append(resp.Resources[i].ACLs, e)
	}
	return resp
}

func ptr[T any](v T) *T { return &v }
