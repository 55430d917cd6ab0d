package handler

// AlterUserScramCredentials, version 0.
//
// Kafka: upserts credentials given as (mechanism, iterations, salt,
// salted password) — the client salts, so the password never travels —
// and deletes (user, mechanism) credentials. Per user: an unknown
// mechanism is UNSUPPORTED_SASL_MECHANISM, an empty name or iterations
// outside 4096–16384 UNACCEPTABLE_CREDENTIAL, deleting a credential that
// does not exist RESOURCE_NOT_FOUND, and a user with the same mechanism
// twice in one request DUPLICATE_RESOURCE. A user with any error changes
// nothing.
//
// Samsa: the broker derives the stored and server keys (RFC 5802) and
// writes one controller.ScramRecord for all valid users; only the active
// controller serves it (forwarded like other admin writes).

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/controller"
	"github.com/samsa-io/samsa/internal/metadata"
	authn "github.com/samsa-io/samsa/internal/security"
)

var alterUserScramAPI = api{key: kmsg.AlterUserSCRAMCredentials, min: 0, max: 0, serve: (*Handler).alterUserScram,
	authz: authzFromTable, forward: forwardAlways, denyItems: denyAlterUserSCRAMCredentialsItems}

// scramController is the part of the controller AlterUserScramCredentials
// needs; *controller.Controller has it.
type scramController interface {
	AlterScram(ctx context.Context, rec controller.ScramRecord) error
}

type scramUserErr struct {
	code int16
	msg  string
}

func (h *Handler) alterUserScram(ctx context.Context, kreq kmsg.Request) kmsg.Response {
	req := kreq.(*kmsg.AlterUserSCRAMCredentialsRequest)
	resp := req.ResponseKind().(*kmsg.AlterUserSCRAMCredentialsResponse)
	im := h.Image()
	var order []string
	errs := map[string]*scramUserErr{}
	touched := map[metadata.ScramKey]bool{}
	note := func(user string) {
		if _, ok := errs[user]; !ok {
			errs[user] = nil
			order = append(order, user)
		}
	}
	fail := func(user string, code int16, msg string) {
		note(user)
		if errs[user] == nil {
			errs[user] = &scramUserErr{code, msg}
		}
	}
	var rec controller.ScramRecord
	check := func(user string, mech int8) (metadata.ScramKey, bool) {
		note(user)
		name, ok := scramMechanisms[mech]
		switch {
		case user == "":
			fail(user, kerr.UnacceptableCredential.Code, "Username must not be empty")
			return metadata.ScramKey{}, false
		case !ok:
			fail(user, kerr.UnsupportedSaslMechanism.Code, fmt.Sprintf("Unknown SCRAM mechanism %d", mech))
			return metadata.ScramKey{}, false
		}
		k := metadata.ScramKey{User: user, Mechanism: name}
		if touched[k] {
			fail(user, kerr.DuplicateResource.Code, "A user credential cannot be altered twice in the same request")
			return k, false
		}
		touched[k] = true
		return k, true
	}
	for _, d := range req.Deletions {
		k, ok := check(d.Name, d.Mechanism)
		if !ok {
			continue
		}
		if _, exists := im.Scram[k]; !exists {
			fail(d.Name, kerr.ResourceNotFound.Code, "Attempt to delete a user credential that does not exist")
			continue
		}
		rec.Deletions = append(rec.Deletions, k)
	}
	for _, u := range req.Upsertions {
		k, ok := check(u.Name, u.Mechanism)
		if !ok {
			continue
		}
		if u.Iterations < authn.MinScramIterations || u.Iterations > authn.MaxScramIterations {
			fail(u.Name, kerr.UnacceptableCredential.Code, fmt.Sprintf("Iterations must be between %d and %d",
				authn.MinScramIterations, authn.MaxScramIterations))
			continue
		}
		if len(u.Salt) == 0 || len(u.SaltedPassword) == 0 {
			fail(u.Name, kerr.UnacceptableCredential.Code, "Salt and salted password must not be empty")
			continue
		}
		c, err := authn.CredentialFromSalted(k.Mechanism, u.SaltedPassword, u.Salt, u.Iterations)
		if err != nil {
			fail(u.Name, kerr.UnsupportedSaslMechanism.Code, err.Error())
			continue
		}
		rec.Upserts = append(rec.Upserts, controller.ScramUpsert{Key: k, Credential: metadata.ScramCredential{
			Salt: c.Salt, StoredKey: c.StoredKey, ServerKey: c.ServerKey, Iterations: c.Iterations}})
	}
	// A user with an error changes nothing.
	rec.Deletions = keepOK(rec.Deletions, func(k metadata.ScramKey) string { return k.User }, errs)
	rec.Upserts = keepOK(rec.Upserts, func(u controller.ScramUpsert) string { return u.Key.User }, errs)
	var writeErr *scramUserErr
	if len(rec.Deletions)+len(rec.Upserts) > 0 {
		sc, ok := h.Controller.(scramController)
		if !ok {
			writeErr = &scramUserErr{kerr.UnsupportedVersion.Code, "This node cannot store SCRAM credentials"}
		} else if err := sc.AlterScram(ctx, rec); err != nil {
			code := kerr.UnknownServerError.Code
			if errors.Is(err, controller.ErrNotController) {
				code = kerr.NotController.Code
			}
			writeErr = &scramUserErr{code, err.Error()}
		}
	}
	for _, user := range order {
		r := kmsg.NewAlterUserSCRAMCredentialsResponseResult()
		r.User = user
		e := errs[user]
		if e == nil {
			e = writeErr
		}
		if e != nil {
			r.ErrorCode, r.ErrorMessage = e.code, kmsg.StringPtr(e.msg)
		}
		resp.Results = append(resp.Results, r)
	}
	return resp
}

func keepOK[T any](xs []T, user func(T) string, errs map[string]*scramUserErr) []T {
	var out []T
	for _, x := range xs {
		if errs[user(x)] == nil {
			out = append(out, x)
		}
	}
	return out
}

// denyAlterUserSCRAMCredentialsItems answers every item of an
// AlterUserSCRAMCredentials request refused whole with code (api.denyItems).
func denyAlterUserSCRAMCredentialsItems(req kmsg.Request, resp kmsg.Response, code *kerr.Error) {
	r := req.(*kmsg.AlterUserSCRAMCredentialsRequest)
	msg := &code.Description
	out := resp.(*kmsg.AlterUserSCRAMCredentialsResponse)
	seen := map[string]bool{}
	add := func(user string) {
		if seen[user] {
			return
		}
		seen[user] = true
		res := kmsg.NewAlterUserSCRAMCredentialsResponseResult()
		res.User, res.ErrorCode, res.ErrorMessage = user, code.Code, msg
		out.Results = append(out.Results, res)
	}
	for _, d := range r.Deletions {
		add(d.Name)
	}
	for _, u := range r.Upsertions {
		add(u.Name)
	}
}
