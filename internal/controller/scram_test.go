package controller

import (
	"bytes"
	"testing"

	"github.com/samsa-io/samsa/internal/metadata"
)

func TestScramRecordAndSnapshot(t *testing.T) {
	im := metadata.Empty()
	key := metadata.ScramKey{User: "alice", Mechanism: "SCRAM-SHA-512"}
	cred := metadata.ScramCredential{Salt: []byte("s"), StoredKey: []byte("k"), ServerKey: []byte("v"), Iterations: 4096}
	data, err := encodeRecord(RecordScram, &ScramRecord{Upserts: []ScramUpsert{{Key: key, Credential: cred}}})
	if err != nil {
		t.Fatal(err)
	}
	h, payload, err := lookupHandler(data)
	if err != nil {
		t.Fatal(err)
	}
	next := im.Clone()
	if err := h.apply(next, payload); err != nil {
		t.Fatal(err)
	}
	if len(im.Scram) != 0 {
		t.Fatal("apply modified the previous image")
	}
	var buf bytes.Buffer
	if err := encodeSnapshot(&buf, next); err != nil {
		t.Fatal(err)
	}
	back, err := decodeSnapshot(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := back.ScramCredential("SCRAM-SHA-512", "alice"); !ok || got.Iterations != 4096 || string(got.StoredKey) != "k" {
		t.Fatalf("after snapshot: %+v %v", got, ok)
	}
	if err := applyScram(back, &ScramRecord{Deletions: []metadata.ScramKey{key}}); err != nil || len(back.Scram) != 0 {
		t.Fatalf("delete: %v, %v", err, back.Scram)
	}
	if err := applyScram(back, &ScramRecord{Upserts: []ScramUpsert{{Key: key}}}); err == nil {
		t.Fatal("empty credential accepted")
	}
}
