package handler

// DescribeUserScramCredentials, version 0.
//
// Kafka: lists the SCRAM mechanisms and iteration counts of the named
// users (all users for a null list), never salts or keys. A named user
// without credentials gets RESOURCE_NOT_FOUND, a user named twice
// DUPLICATE_RESOURCE. Mechanism codes: 1 = SCRAM-SHA-256,
// 2 = SCRAM-SHA-512.
//
// Samsa: the same, from the metadata image (credentials live in the Raft
// metadata log, controller.ScramRecord).

import (
	"context"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	authn "github.com/samsa-io/samsa/internal/security"
)

var describeUserScramAPI = api{key: kmsg.DescribeUserSCRAMCredentials, min: 0, max: 0, serve: (*Handler).describeUserScram,
	authz: authzFromTable}

// scramMechanisms maps Kafka's mechanism codes to names.
var scramMechanisms = map[int8]string{1: authn.MechScramSHA256, 2: authn.MechScramSHA512}

func scramMechanismCode(name string) int8 {
	for code, n := range scramMechanisms {
		if n == name {
			return code
		}
	}
	return 0
}

func (h *Handler) describeUserScram(_ context.Context, kreq kmsg.Request) kmsg.Response {
	req := kreq.(*kmsg.DescribeUserSCRAMCredentialsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeUserSCRAMCredentialsResponse)
	im := h.Image()
	byUser := map[string][]kmsg.DescribeUserSCRAMCredentialsResponseResultCredentialInfo{}
	for k, c := range im.Scram {
		info := kmsg.NewDescribeUserSCRAMCredentialsResponseResultCredentialInfo()
		info.Mechanism, info.Iterations = scramMechanismCode(k.Mechanism), c.Iterations
		byUser[k.User] = append(byUser[k.User], info)
	}
	var users []string
	if req.Users == nil {
		for u := range byUser {
			users = append(users, u)
		}
		slices.Sort(users)
	} else {
		for _, u := range req.Users {
			users = append(users, u.Name)
		}
	}
	seen := map[string]int{}
	for _, u := range users {
		seen[u]++
	}
	reported := map[string]bool{}
	for _, u := range users {
		if reported[u] {
			continue // report a duplicate once
		}
		reported[u] = true
		r := kmsg.NewDescribeUserSCRAMCredentialsResponseResult()
		r.User = u
		infos := byUser[u]
		switch {
		case seen[u] > 1:
			r.ErrorCode = kerr.DuplicateResource.Code
			r.ErrorMessage = kmsg.StringPtr("Cannot describe SCRAM credentials for the same user twice in a single request: " + u)
		case len(infos) == 0:
			r.ErrorCode = kerr.ResourceNotFound.Code
			r.ErrorMessage = kmsg.StringPtr("Attempt to describe a user credential that does not exist: " + u)
		default:
			slices.SortFunc(infos, func(a, b kmsg.DescribeUserSCRAMCredentialsResponseResultCredentialInfo) int {
				return int(a.Mechanism) - int(b.Mechanism)
			})
			r.CredentialInfos = infos
		}
		resp.Results = append(resp.Results, r)
	}
	return resp
}
