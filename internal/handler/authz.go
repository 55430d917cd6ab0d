package handler

// Authorization (ACLs): one hook per API key, named by the API's api value
// (its authz field) and run at the single dispatch point (Handle) before
// the request is served, so the serve functions stay free of security
// checks. The hooks shared by several APIs are here; the others are in
// authz_hooks.go, authz_admin.go, authz_groups.go, authz_ops.go and
// authz_describe_topic_partitions.go (and 24_add_partitions_to_txn.go).
//
// A hook either denies the whole request (it returns the response to send,
// usually the API's error code at the top level) or removes from the
// request the items the principal may not touch and returns a fix that
// adds those items back to the served response with their error code
// (TOPIC_AUTHORIZATION_FAILED, GROUP_AUTHORIZATION_FAILED, ...), as Kafka
// answers them. What each API needs is written down in the authorization
// table (authz_table.go): the APIs whose only need is an operation on the
// cluster are served from it, and an API without a row is refused.
//
// Requests a node sends itself in-process (the active controller's own
// broker registration and heartbeats) carry no principal and are trusted.

import (
	"reflect"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/acl"
	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/protocol"
)

// authz is one request's authorization context.
type authz struct {
	h         *Handler
	principal string
	host      string
	im        *metadata.Image
}

// authzHook checks one request; see the file comment.
type authzHook func(z *authz, req kmsg.Request) (fix func(kmsg.Response), deny kmsg.Response)

// authorize runs the hook a's value names. Both results are nil when the
// request is to be served as it is.
func (h *Handler) authorize(a api, req *protocol.Request) (fix func(kmsg.Response), deny kmsg.Response) {
	if h.authorizer == nil || req.Principal == "" || authzExempt[kmsg.Key(req.Key)] {
		return nil, nil
	}
	z := &authz{h: h, principal: req.Principal, host: req.ClientHost, im: h.Image()}
	hook := a.authz
	if hook == nil {
		hook = refuse
	}
	return hook(z, req.Body)
}

// can reports whether the principal may perform op on res.
func (z *authz) can(op acl.Operation, res acl.Resource) bool {
	return z.h.authorizer.Authorize(z.im.ACLs, z.principal, z.host, op, res)
}

// canTopic returns a topic-name predicate for op.
func (z *authz) canTopic(op acl.Operation) func(string) bool {
	return func(name string) bool { return z.can(op, acl.Topic(name)) }
}

// topicName resolves a request's topic by name or, when the name is empty
// (topic-id versions), by ID.
func (z *authz) topicName(name string, id [16]byte) string {
	if name == "" {
		if t, ok := z.im.TopicByID(id); ok {
			return t.Name
		}
	}
	return name
}

// canTopicOrID checks op on a topic named by name or, in topic-id
// versions, by id. An id no topic has passes: the serving API answers
// UNKNOWN_TOPIC_ID, as Kafka does, which reveals nothing.
func (z *authz) canTopicOrID(op acl.Operation, name string, id [16]byte) bool {
	if name == "" {
		t, ok := z.im.TopicByID(id)
		if !ok {
			return true
		}
		name = t.Name
	}
	return z.can(op, acl.Topic(name))
}

// denyWhole returns req's response kind with code at its top-level error
// code (and message, when the response has one) and, through the API's
// denyItems, at each item of the responses that carry errors per item, as
// Kafka's error responses do: an empty result list would read as "nothing
// was asked" (clients report "received 0 results" and carry on).
func (z *authz) denyWhole(req kmsg.Request, code *kerr.Error) kmsg.Response {
	resp := req.ResponseKind()
	resp.SetVersion(req.GetVersion())
	v := reflect.ValueOf(resp).Elem()
	if f := v.FieldByName("ErrorCode"); f.IsValid() && f.Kind() == reflect.Int16 {
		f.SetInt(int64(code.Code))
	}
	if f := v.FieldByName("ErrorMessage"); f.IsValid() && f.Type() == reflect.TypeFor[*string]() {
		msg := code.Description
		f.Set(reflect.ValueOf(&msg))
	}
	if a, ok := z.h.apis[int16(req.Key())]; ok && a.denyItems != nil {
		a.denyItems(req, resp, code)
	}
	return resp
}

// wholeCluster is the hook of APIs that need op on the cluster resource.
func wholeCluster(op acl.Operation) authzHook {
	return func(z *authz, req kmsg.Request) (func(kmsg.Response), kmsg.Response) {
		if z.can(op, acl.Cluster()) {
			return nil, nil
		}
		return nil, z.denyWhole(req, kerr.ClusterAuthorizationFailed)
	}
}

// wholeGroup is the hook of group APIs that need their row's operation on
// the request's group.
func wholeGroup[T kmsg.Request](key kmsg.Key, group func(T) string) authzHook {
	op := tableOp(key, resGroup)
	return func(z *authz, req kmsg.Request) (func(kmsg.Response), kmsg.Response) {
		if z.can(op, acl.Group(group(req.(T)))) {
			return nil, nil
		}
		return nil, z.denyWhole(req, kerr.GroupAuthorizationFailed)
	}
}

// splitAllowed keeps in *items those ok accepts and returns the others.
// When it denies every item, *items is left empty but not nil.
func splitAllowed[T any](items *[]T, ok func(*T) bool) []T {
	var kept, denied []T
	for i := range *items {
		if ok(&(*items)[i]) {
			kept = append(kept, (*items)[i])
		} else {
			denied = append(denied, (*items)[i])
		}
	}
	if denied != nil {
		if kept == nil {
			kept = []T{} // not nil: in several requests nil means "every item"
		}
		*items = kept
	}
	return denied
}
