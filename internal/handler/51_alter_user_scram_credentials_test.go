package handler

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/controller"
	"github.com/samsa-io/samsa/internal/metadata"
)

// scramFake is an admin controller that also stores SCRAM records into
// the handler's image, as the real controller's FSM would.
type scramFake struct {
	*adminController
	im   *metadata.Image
	recs []controller.ScramRecord
}

func (f *scramFake) AlterScram(_ context.Context, rec controller.ScramRecord) error {
	f.recs = append(f.recs, rec)
	next := map[metadata.ScramKey]metadata.ScramCredential{}
	for k, v := range f.im.Scram {
		next[k] = v
	}
	for _, k := range rec.Deletions {
		delete(next, k)
	}
	for _, u := range rec.Upserts {
		next[u.Key] = u.Credential
	}
	f.im.Scram = next
	return nil
}

func TestUserScramCredentials(t *testing.T) {
	h, ac := newAdminHandler()
	fake := &scramFake{adminController: ac, im: h.Image()}
	h.Controller = fake
	up := func(name string, mech int8, iters int32) kmsg.AlterUserSCRAMCredentialsRequestUpsertion {
		u := kmsg.NewAlterUserSCRAMCredentialsRequestUpsertion()
		u.Name, u.Mechanism, u.Iterations, u.Salt, u.SaltedPassword = name, mech, iters, []byte("salt"), []byte("salted-password-bytes")
		return u
	}
	req := kmsg.NewPtrAlterUserSCRAMCredentialsRequest()
	req.Upsertions = []kmsg.AlterUserSCRAMCredentialsRequestUpsertion{
		up("alice", 2, 4096), up("alice", 1, 8192), up("bob", 2, 100), up("carol", 9, 4096), up("", 1, 4096),
		up("dave", 1, 4096), up("dave", 1, 4096),
	}
	del := kmsg.NewAlterUserSCRAMCredentialsRequestDeletion()
	del.Name, del.Mechanism = "erin", 1
	req.Deletions = append(req.Deletions, del)
	resp := h.alterUserScram(context.Background(), req).(*kmsg.AlterUserSCRAMCredentialsResponse)
	want := map[string]int16{"alice": 0, "bob": kerr.UnacceptableCredential.Code, "carol": kerr.UnsupportedSaslMechanism.Code,
		"": kerr.UnacceptableCredential.Code, "dave": kerr.DuplicateResource.Code, "erin": kerr.ResourceNotFound.Code}
	if len(resp.Results) != len(want) {
		t.Fatalf("results %+v", resp.Results)
	}
	for _, r := range resp.Results {
		if r.ErrorCode != want[r.User] {
			t.Errorf("user %q: code %d (%s), want %d", r.User, r.ErrorCode, msgOf(r.ErrorMessage), want[r.User])
		}
	}
	if len(fake.recs) != 1 || len(fake.recs[0].Upserts) != 2 || len(fake.recs[0].Deletions) != 0 {
		t.Fatalf("records %+v", fake.recs)
	}

	dreq := kmsg.NewPtrDescribeUserSCRAMCredentialsRequest()
	dresp := h.describeUserScram(context.Background(), dreq).(*kmsg.DescribeUserSCRAMCredentialsResponse)
	if len(dresp.Results) != 1 || dresp.Results[0].User != "alice" || len(dresp.Results[0].CredentialInfos) != 2 ||
		dresp.Results[0].CredentialInfos[0].Mechanism != 1 || dresp.Results[0].CredentialInfos[0].Iterations != 8192 {
		t.Fatalf("describe all: %+v", dresp.Results)
	}
	dreq.Users = []kmsg.DescribeUserSCRAMCredentialsRequestUser{{Name: "nobody"}, {Name: "alice"}, {Name: "alice"}}
	dresp = h.describeUserScram(context.Background(), dreq).(*kmsg.DescribeUserSCRAMCredentialsResponse)
	if len(dresp.Results) != 2 || dresp.Results[0].ErrorCode != kerr.ResourceNotFound.Code ||
		dresp.Results[1].ErrorCode != kerr.DuplicateResource.Code {
		t.Fatalf("describe named: %+v", dresp.Results)
	}
}
