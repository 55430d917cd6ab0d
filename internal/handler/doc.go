// Package handler serves Kafka requests: it turns each decoded request into
// calls on Samsa's domain packages (partition, controller, group, txn,
// metadata) and their results into the response, so that those packages
// never see the wire format (franz-go's kmsg is the codec).
//
// # How a request flows
//
// The network layer reads a frame, has package protocol parse and
// version-gate it against Versions (the table built from every API's
// version range), and calls Handle, one request at a time per connection.
// Handle looks up the API's value and:
//
//  1. admits the request (authz_admit.go): the API's authorization hook
//     (authz.go) either denies it whole or removes the items the principal
//     may not touch, and a client held by a quota waits out the hold;
//  2. forwards it to the active controller when the API's forward policy
//     says so and this node is not the controller (forward.go);
//  3. otherwise serves it: the API's serve function, with the client's id,
//     host and listener in the context;
//  4. completes it (authz_admit.go): the denied items are added back with
//     their error codes, the request is recorded against the client's
//     quotas and the throttle time applied.
//
// Domain errors become Kafka error codes in one place, errors.go.
//
// # One file per API, and the rule for per-API policy
//
// Each API lives in one file named by its key (00_produce.go,
// 01_fetch.go, ...), which opens with the versions it serves and how it
// behaves, Kafka's and Samsa's, and defines the API's api value. That value
// is the API's index: it names the serve function and every per-API policy
// Handle applies around it, as fields (see api in handler.go):
//
//   - authz: the authorization hook. A hook of one API or a family of APIs
//     may live in an authz_*.go file beside its siblings, but only the api
//     value chooses it; authzFromTable means the API's rows in the
//     authorization table (authz_table.go, Kafka's table of operations and
//     resources) decide alone.
//   - forward: whether the request goes to the active controller.
//   - parks and bytes: how it counts against client quotas.
//   - denyItems: how a request refused whole answers each of its items,
//     for the responses that carry errors per item.
//
// No other table keyed by API decides what happens to a request: to learn
// everything about an API, read its file and follow the names in its api
// value. The authorization table is the one list by API, a transcription of
// Kafka's, and TestAuthzTable checks the hooks against it.
//
// # Adding an API
//
// Write NN_name.go with the API's behaviour in its opening comment and its
// api value; add the value to allAPIs (handler.go); add its rows to the
// authorization table and, unless its rows are one operation on the
// cluster, a hook; give it a forward policy if only the active controller
// can carry it out; map any new domain error in errors.go; and test it in
// NN_name_test.go. TestAuthzTable fails until the rows cover every served
// version.
//
// A Handler is safe for concurrent use: it holds no per-request state, and
// the parts it is built from (Deps) must be safe for concurrent use too.
package handler
