package handler

import (
	"context"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/acl"
	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/protocol"
	"github.com/samsa-io/samsa/protocol/records"
)

// Kafka asks WRITE on the request's transactional id whenever a Produce
// carries transactional batches, whether or not the request names one: a
// principal with WRITE on the topic alone must not open transactions (and
// hold back the last stable offset) by leaving the transactional id out.
func TestAuthzProduceTransactionalBatchNeedsTransactionalID(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 1, nil))
	cfg := *dp.h.Config
	cfg.Authz.ClassName = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
	d := dp.h.Deps
	d.Config = &cfg
	h := New(d)
	im := dp.im.Load().Clone()
	im.ACLs = append(slices.Clone(im.ACLs), metadata.ACL{ResourceType: int8(acl.ResourceTopic), ResourceName: "t",
		PatternType: int8(acl.PatternLiteral), Principal: "User:mallory", Host: "*", Operation: int8(acl.OpWrite),
		Permission: int8(acl.PermissionAllow)})
	dp.im.Store(im)

	txnal := recordsAt(t, records.Header{ProducerID: 4242, ProducerEpoch: 0, BaseSequence: 0, Attributes: 0x10}, 1000, 1000)
	for _, id := range []*string{nil, kmsg.StringPtr("not-granted")} {
		req := produceReq(9, -1, "t", 0, append([]byte(nil), txnal...))
		req.TransactionID = id
		resp := h.Handle(context.Background(), &protocol.Request{Header: protocol.Header{Key: req.Key(), Version: req.GetVersion(),
			ClientID: "test"}, Body: req, Principal: "User:mallory", ClientHost: "127.0.0.1"}).(*kmsg.ProduceResponse)
		if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
			t.Fatalf("transactional id %v: answer %+v, want one partition", id, resp.Topics)
		}
		code(t, "transactional produce without WRITE on a transactional id", resp.Topics[0].Partitions[0].ErrorCode, kerr.TransactionalIDAuthorizationFailed)
	}
	if end := dp.m.Partition("t", 0).LogEndOffset(); end != 0 {
		t.Fatalf("log ends at %d: the transactional batch was written", end)
	}
	// The same principal's plain batches still go in.
	req := produceReq(9, -1, "t", 0, plainBatch(t, 1, 1000))
	resp := h.Handle(context.Background(), &protocol.Request{Header: protocol.Header{Key: req.Key(), Version: req.GetVersion(),
		ClientID: "test"}, Body: req, Principal: "User:mallory", ClientHost: "127.0.0.1"}).(*kmsg.ProduceResponse)
	code(t, "plain produce with WRITE on the topic", resp.Topics[0].Partitions[0].ErrorCode, nil)
}
