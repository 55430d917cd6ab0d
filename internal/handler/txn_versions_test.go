package handler

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/acl"
	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/group"
	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/txn"
)

// The transactional API tests run a real txn.Coordinator and a real
// group.Coordinator over in-memory logs behind a Handler for node 1. The
// coordinator's markers complete the group's pending transactional offsets,
// as the real marker writer's WriteTxnMarkers path does, so a commit shows
// up in OffsetFetch.

// txnStateMem is __transaction_state in memory.
type txnStateMem struct {
	mu   sync.Mutex
	recs map[int32][]txn.Record
}

func (l *txnStateMem) Append(_ context.Context, p int32, recs []txn.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs[p] = append(l.recs[p], recs...)
	return nil
}

func (l *txnStateMem) Replay(_ context.Context, p int32, fn func(txn.Record) error) error {
	l.mu.Lock()
	recs := slices.Clone(l.recs[p])
	l.mu.Unlock()
	for _, r := range recs {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// txnOffsetsMem is the groups' memLog that also takes transactional
// offset commits.
type txnOffsetsMem struct{ *memLog }

func (l txnOffsetsMem) AppendTxn(ctx context.Context, p int32, _ int64, _ int16, recs []group.Record) error {
	return l.Append(ctx, p, recs)
}

// txnMarkerSink records every marker and applies those for
// __consumer_offsets to the group coordinator.
type txnMarkerSink struct {
	groups *group.Coordinator
	mu     sync.Mutex
	got    []string // "commit pid [topic/partition ...]"
}

func (s *txnMarkerSink) Write(_ context.Context, pid int64, _ int16, _ int32, commit bool, parts []txn.TopicPartition) error {
	for _, tp := range parts {
		if tp.Topic == group.OffsetsTopic {
			s.groups.CompleteTxn(tp.Partition, pid, commit)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, fmt.Sprintf("%v %d %v", commit, pid, parts))
	return nil
}

func (s *txnMarkerSink) markers() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

type txnFixture struct {
	*groupsFixture
	txn     *txn.Coordinator
	markers *txnMarkerSink
}

// newTxnFixture hosts topic t (2 partitions) and both coordinators.
func newTxnFixture(t *testing.T) *txnFixture {
	t.Helper()
	cfg := config.Default()
	cfg.NodeID = 1
	cfg.OffsetsTopicNumPartitions = testOffsetsPartitions
	cfg.OffsetsTopicReplicationFactor = 1
	var im atomic.Pointer[metadata.Image]
	im.Store(dpImage(dpTopic("t", 1, 2, nil)))
	gc := group.New(group.Config{NumPartitions: testOffsetsPartitions, MinSessionTimeout: 100 * time.Millisecond,
		MaxSessionTimeout: time.Minute, PartitionCount: func(string) int32 { return 2 }},
		txnOffsetsMem{&memLog{parts: map[int32][]group.Record{}}})
	t.Cleanup(func() { gc.Close() })
	all := make(map[int32]int32)
	for p := int32(0); p < testOffsetsPartitions; p++ {
		all[p] = 1
	}
	gc.SetLeaders(all)
	sink := &txnMarkerSink{groups: gc}
	next := int64(5000)
	tc := txn.New(txn.Config{NumPartitions: 1, MaxTimeout: time.Minute,
		NextProducerID: func() (int64, error) { return atomic.AddInt64(&next, 1), nil }},
		&txnStateMem{recs: map[int32][]txn.Record{}}, sink)
	t.Cleanup(func() { tc.Close() })
	tc.SetLeaders(map[int32]int32{0: 1})
	deadline := time.Now().Add(5 * time.Second)
	for p := int32(0); p < testOffsetsPartitions; p++ {
		for gc.Status(p) != group.Loaded {
			if time.Now().After(deadline) {
				t.Fatal("group coordinator did not load")
			}
			time.Sleep(time.Millisecond)
		}
	}
	for _, loaded := tc.Status(0); !loaded; _, loaded = tc.Status(0) {
		if time.Now().After(deadline) {
			t.Fatal("transaction coordinator did not load")
		}
		time.Sleep(time.Millisecond)
	}
	ctl := &adminController{errs: map[string]error{}, ids: map[string][16]byte{}}
	h := New(Deps{NodeID: 1, Config: cfg, Image: im.Load, Controller: ctl, Groups: gc, Txn: tc,
		Logger: slog.New(slog.DiscardHandler)})
	return &txnFixture{groupsFixture: &groupsFixture{t: t, h: h, c: gc, ctl: ctl}, txn: tc, markers: sink}
}

func (f *txnFixture) initTxn(version int16, id string) (int64, int16) {
	f.t.Helper()
	req := kmsg.NewPtrInitProducerIDRequest()
	req.Version, req.TransactionalID, req.TransactionTimeoutMillis = version, &id, 30000
	resp := serve[*kmsg.InitProducerIDResponse](f.groupsFixture, req)
	code(f.t, fmt.Sprintf("InitProducerId v%d", version), resp.ErrorCode, nil)
	if resp.ProducerID < 0 || resp.ProducerEpoch < 0 {
		f.t.Fatalf("InitProducerId v%d: id %d epoch %d", version, resp.ProducerID, resp.ProducerEpoch)
	}
	return resp.ProducerID, resp.ProducerEpoch
}

type txnPart struct {
	topic string
	part  int32
}

// addParts sends AddPartitionsToTxn at version: the producer form below v4,
// a one-transaction batch from v4. It returns each partition's code.
func (f *txnFixture) addParts(version int16, id string, pid int64, epoch int16, verify bool, parts ...txnPart) map[txnPart]int16 {
	f.t.Helper()
	req := kmsg.NewPtrAddPartitionsToTxnRequest()
	req.Version = version
	if version < 4 {
		req.TransactionalID, req.ProducerID, req.ProducerEpoch = id, pid, epoch
		for _, p := range parts {
			req.Topics = append(req.Topics, kmsg.AddPartitionsToTxnRequestTopic{Topic: p.topic, Partitions: []int32{p.part}})
		}
	} else {
		tx := kmsg.NewAddPartitionsToTxnRequestTransaction()
		tx.TransactionalID, tx.ProducerID, tx.ProducerEpoch, tx.VerifyOnly = id, pid, epoch, verify
		for _, p := range parts {
			tx.Topics = append(tx.Topics, kmsg.AddPartitionsToTxnRequestTransactionTopic{Topic: p.topic, Partitions: []int32{p.part}})
		}
		req.Transactions = append(req.Transactions, tx)
	}
	resp := serve[*kmsg.AddPartitionsToTxnResponse](f.groupsFixture, req)
	got := map[txnPart]int16{}
	if version < 4 {
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				got[txnPart{t.Topic, p.Partition}] = p.ErrorCode
			}
		}
		return got
	}
	code(f.t, "AddPartitionsToTxn top-level", resp.ErrorCode, nil)
	if len(resp.Transactions) != 1 || resp.Transactions[0].TransactionalID != id {
		f.t.Fatalf("AddPartitionsToTxn v%d: results by transaction %+v", version, resp.Transactions)
	}
	for _, t := range resp.Transactions[0].Topics {
		for _, p := range t.Partitions {
			got[txnPart{t.Topic, p.Partition}] = p.ErrorCode
		}
	}
	return got
}

func (f *txnFixture) endTxn(version int16, id string, pid int64, epoch int16, commit bool) *kmsg.EndTxnResponse {
	f.t.Helper()
	req := kmsg.NewPtrEndTxnRequest()
	req.Version, req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit = version, id, pid, epoch, commit
	return serve[*kmsg.EndTxnResponse](f.groupsFixture, req)
}

func (f *txnFixture) addOffsets(version int16, id string, pid int64, epoch int16, g string) int16 {
	f.t.Helper()
	req := kmsg.NewPtrAddOffsetsToTxnRequest()
	req.Version, req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Group = version, id, pid, epoch, g
	return serve[*kmsg.AddOffsetsToTxnResponse](f.groupsFixture, req).ErrorCode
}

// txnCommitOffset commits offset for t/0 in g within the transaction.
func (f *txnFixture) txnCommitOffset(version int16, id string, pid int64, epoch int16, g string, offset int64) int16 {
	f.t.Helper()
	req := kmsg.NewPtrTxnOffsetCommitRequest()
	req.Version, req.TransactionalID, req.Group, req.ProducerID, req.ProducerEpoch = version, id, g, pid, epoch
	req.Topics = []kmsg.TxnOffsetCommitRequestTopic{{Topic: "t",
		Partitions: []kmsg.TxnOffsetCommitRequestTopicPartition{{Partition: 0, Offset: offset, LeaderEpoch: -1}}}}
	resp := serve[*kmsg.TxnOffsetCommitResponse](f.groupsFixture, req)
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		f.t.Fatalf("TxnOffsetCommit v%d: %+v", version, resp.Topics)
	}
	return resp.Topics[0].Partitions[0].ErrorCode
}

// committed is g's committed offset of t/0 (-1 when none).
func (f *txnFixture) committed(g string) int64 {
	f.t.Helper()
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Version, req.Group = 7, g
	req.Topics = []kmsg.OffsetFetchRequestTopic{{Topic: "t", Partitions: []int32{0}}}
	resp := serve[*kmsg.OffsetFetchResponse](f.groupsFixture, req)
	return resp.Topics[0].Partitions[0].Offset
}

// The advertised ranges lie within the codec's.
func TestTxnAPIVersionRanges(t *testing.T) {
	want := map[kmsg.Key][2]int16{kmsg.InitProducerID: {0, 5}, kmsg.AddPartitionsToTxn: {0, 5},
		kmsg.AddOffsetsToTxn: {0, 4}, kmsg.EndTxn: {0, 5}, kmsg.TxnOffsetCommit: {0, 5}}
	v := New(Deps{}).Versions()
	for key, r := range want {
		got, ok := v.Lookup(int16(key))
		if !ok || got.Min != r[0] || got.Max != r[1] {
			t.Errorf("%s: %+v %v, want %v", key.Name(), got, ok, r)
		}
		if r[1] > kmsg.RequestForKey(int16(key)).MaxVersion() {
			t.Errorf("%s: max %d above the codec's", key.Name(), r[1])
		}
	}
}

// Like a Kafka 4.0 cluster below transaction.version 2: the higher versions
// are advertised but ApiVersions never claims transaction.version 2, the
// feature clients gate KIP-890 part 2 (epoch bump per EndTxn, implicit
// adds from Produce) on.
func TestApiVersionsDoesNotClaimTransactionsV2(t *testing.T) {
	dp := newDataPath(t)
	for v := int16(3); v <= 4; v++ {
		req := kmsg.NewPtrApiVersionsRequest()
		req.Version, req.ClientSoftwareName, req.ClientSoftwareVersion = v, "test", "1"
		resp := dp.h.apiVersions(context.Background(), req).(*kmsg.ApiVersionsResponse)
		for _, f := range resp.SupportedFeatures {
			if f.Name == "transaction.version" && f.MaxVersion >= 2 {
				t.Errorf("v%d supported features: %+v", v, f)
			}
		}
		for _, f := range resp.FinalizedFeatures {
			if f.Name == "transaction.version" && f.MaxVersionLevel >= 2 {
				t.Errorf("v%d finalized features: %+v", v, f)
			}
		}
	}
}

// Every version of the five APIs through the handler: a transaction per
// version, begun, added to, ended, its offsets visible after commit.
func TestTxnAPIsEveryVersion(t *testing.T) {
	f := newTxnFixture(t)
	for v := int16(0); v <= 5; v++ {
		id := fmt.Sprintf("init-v%d", v)
		pid, epoch := f.initTxn(v, id)
		again, epoch2 := f.initTxn(v, id)
		if again != pid || epoch2 != epoch+1 {
			t.Fatalf("InitProducerId v%d again: %d/%d, want %d/%d", v, again, epoch2, pid, epoch+1)
		}
	}
	for v := int16(0); v <= 5; v++ {
		id := fmt.Sprintf("add-v%d", v)
		pid, epoch := f.initTxn(5, id)
		if got := f.addParts(v, id, pid, epoch, false, txnPart{"t", 1}); got[txnPart{"t", 1}] != 0 {
			t.Fatalf("AddPartitionsToTxn v%d: %v", v, got)
		}
		info, err := f.txn.Describe(id)
		if err != nil || !slices.Equal(info.Partitions, []txn.TopicPartition{{Topic: "t", Partition: 1}}) {
			t.Fatalf("AddPartitionsToTxn v%d: transaction %+v %v", v, info, err)
		}
		end := f.endTxn(v, id, pid, epoch, false)
		code(t, fmt.Sprintf("EndTxn v%d", v), end.ErrorCode, nil)
		if v >= 5 && (end.ProducerID != pid || end.ProducerEpoch != epoch) {
			t.Fatalf("EndTxn v%d: next id/epoch %d/%d, want %d/%d (no per-transaction bump)", v, end.ProducerID, end.ProducerEpoch, pid, epoch)
		}
	}
	for v := int16(0); v <= 5; v++ {
		id, g := fmt.Sprintf("offsets-v%d", v), fmt.Sprintf("g-v%d", v)
		pid, epoch := f.initTxn(5, id)
		if v <= 4 { // v5 adds the offsets partition itself (KIP-890 part 2 form)
			code(t, fmt.Sprintf("AddOffsetsToTxn v%d", v), f.addOffsets(v, id, pid, epoch, g), nil)
		}
		code(t, fmt.Sprintf("TxnOffsetCommit v%d", v), f.txnCommitOffset(v, id, pid, epoch, g, 40+int64(v)), nil)
		if off := f.committed(g); off != -1 {
			t.Fatalf("v%d: offset %d visible before the commit", v, off)
		}
		code(t, fmt.Sprintf("EndTxn commit after TxnOffsetCommit v%d", v), f.endTxn(5, id, pid, epoch, true).ErrorCode, nil)
		if off := f.committed(g); off != 40+int64(v) {
			t.Fatalf("v%d: committed offset %d, want %d", v, off, 40+v)
		}
	}
}

// The whole cycle at the highest versions, with KIP-890 part 1
// verification of a partition that is and one that is not in the
// transaction.
func TestTxnCycleHighestVersions(t *testing.T) {
	f := newTxnFixture(t)
	const id, g = "app-txn", "app-group"
	pid, epoch := f.initTxn(5, id)
	in, out := txnPart{"t", 0}, txnPart{"t", 1}

	// Before anything is added, nothing verifies.
	if got := f.addParts(5, id, pid, epoch, true, in); got[in] != kerr.TransactionAbortable.Code {
		t.Fatalf("verify before add: %v", got)
	}
	if got := f.addParts(5, id, pid, epoch, false, in); got[in] != 0 {
		t.Fatalf("add t/0: %v", got)
	}
	code(t, "AddOffsetsToTxn v4", f.addOffsets(4, id, pid, epoch, g), nil)
	code(t, "TxnOffsetCommit v4", f.txnCommitOffset(4, id, pid, epoch, g, 7), nil)

	got := f.addParts(5, id, pid, epoch, true, in, out)
	if got[in] != 0 || got[out] != kerr.TransactionAbortable.Code {
		t.Fatalf("v5 verify: %v, want t/0 ok and t/1 TRANSACTION_ABORTABLE", got)
	}
	got = f.addParts(4, id, pid, epoch, true, in, out)
	if got[in] != 0 || got[out] != kerr.InvalidTxnState.Code {
		t.Fatalf("v4 verify: %v, want t/0 ok and t/1 INVALID_TXN_STATE", got)
	}
	got = f.addParts(5, id, pid, epoch+1, true, in, out)
	if got[in] != kerr.ProducerFenced.Code || got[out] != kerr.ProducerFenced.Code {
		t.Fatalf("verify with a wrong epoch: %v", got)
	}
	got = f.addParts(5, "no-such-id", pid, epoch, true, in)
	if got[in] != kerr.InvalidProducerIDMapping.Code {
		t.Fatalf("verify of an unknown id: %v", got)
	}
	got = f.addParts(5, id, pid, epoch, true, in, txnPart{"nope", 0})
	if got[in] != kerr.OperationNotAttempted.Code || got[txnPart{"nope", 0}] != kerr.UnknownTopicOrPartition.Code {
		t.Fatalf("verify with an unknown topic: %v", got)
	}
	info, err := f.txn.Describe(id)
	offsetsTP := txn.TopicPartition{Topic: group.OffsetsTopic, Partition: f.c.PartitionFor(g)}
	if err != nil || len(info.Partitions) != 2 || !slices.Contains(info.Partitions, offsetsTP) ||
		!slices.Contains(info.Partitions, txn.TopicPartition{Topic: "t", Partition: 0}) {
		t.Fatalf("verification changed the transaction: %+v %v", info.Partitions, err)
	}

	end := f.endTxn(5, id, pid, epoch, true)
	code(t, "EndTxn v5", end.ErrorCode, nil)
	if end.ProducerID != pid || end.ProducerEpoch != epoch {
		t.Fatalf("EndTxn v5: %d/%d, want %d/%d", end.ProducerID, end.ProducerEpoch, pid, epoch)
	}
	if off := f.committed(g); off != 7 {
		t.Fatalf("committed offset %d, want 7", off)
	}
	if m := f.markers.markers(); len(m) != 1 || m[0] != fmt.Sprintf("true %d %v", pid, info.Partitions) {
		t.Fatalf("markers %q", m)
	}
	// The finished transaction holds nothing any more.
	if got := f.addParts(5, id, pid, epoch, true, in); got[in] != kerr.TransactionAbortable.Code {
		t.Fatalf("verify after commit: %v", got)
	}
	// The same epoch carries on (no per-transaction bump without
	// transaction.version 2).
	if got := f.addParts(3, id, pid, epoch, false, out); got[out] != 0 {
		t.Fatalf("next transaction at the same epoch: %v", got)
	}
	code(t, "EndTxn v4 abort", f.endTxn(4, id, pid, epoch, false).ErrorCode, nil)
	if end := f.endTxn(5, id, pid, epoch-1, false); end.ErrorCode != kerr.ProducerFenced.Code ||
		end.ProducerID != -1 || end.ProducerEpoch != -1 {
		t.Fatalf("EndTxn v5 fenced: %+v", end)
	}
}

// One v5 request carrying two transactions: one verified, one added.
func TestAddPartitionsToTxnBatch(t *testing.T) {
	f := newTxnFixture(t)
	pa, ea := f.initTxn(5, "a")
	pb, eb := f.initTxn(5, "b")
	if got := f.addParts(3, "a", pa, ea, false, txnPart{"t", 0}); got[txnPart{"t", 0}] != 0 {
		t.Fatalf("add a: %v", got)
	}
	req := kmsg.NewPtrAddPartitionsToTxnRequest()
	req.Version = 5
	req.Transactions = []kmsg.AddPartitionsToTxnRequestTransaction{
		{TransactionalID: "a", ProducerID: pa, ProducerEpoch: ea, VerifyOnly: true,
			Topics: []kmsg.AddPartitionsToTxnRequestTransactionTopic{{Topic: "t", Partitions: []int32{0, 1}}}},
		{TransactionalID: "b", ProducerID: pb, ProducerEpoch: eb,
			Topics: []kmsg.AddPartitionsToTxnRequestTransactionTopic{{Topic: "t", Partitions: []int32{1}}}},
	}
	resp := serve[*kmsg.AddPartitionsToTxnResponse](f.groupsFixture, req)
	if len(resp.Transactions) != 2 {
		t.Fatalf("results: %+v", resp.Transactions)
	}
	a, b := resp.Transactions[0], resp.Transactions[1]
	if a.TransactionalID != "a" || a.Topics[0].Partitions[0].ErrorCode != 0 ||
		a.Topics[0].Partitions[1].ErrorCode != kerr.TransactionAbortable.Code {
		t.Fatalf("a: %+v", a)
	}
	if b.TransactionalID != "b" || b.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("b: %+v", b)
	}
	if info, err := f.txn.Describe("b"); err != nil || len(info.Partitions) != 1 {
		t.Fatalf("b not added: %+v %v", info, err)
	}
}

// v0/v1 clients predate PRODUCER_FENCED and get INVALID_PRODUCER_EPOCH.
func TestTxnFencedCodeByVersion(t *testing.T) {
	f := newTxnFixture(t)
	pid, epoch := f.initTxn(5, "old")
	f.initTxn(5, "old") // fences epoch
	for v, want := range map[int16]*kerr.Error{0: kerr.InvalidProducerEpoch, 1: kerr.InvalidProducerEpoch,
		2: kerr.ProducerFenced, 5: kerr.ProducerFenced} {
		code(t, fmt.Sprintf("EndTxn v%d", v), f.endTxn(v, "old", pid, epoch, true).ErrorCode, want)
		got := f.addParts(v, "old", pid, epoch, false, txnPart{"t", 0})
		code(t, fmt.Sprintf("AddPartitionsToTxn v%d", v), got[txnPart{"t", 0}], want)
		code(t, fmt.Sprintf("AddOffsetsToTxn v%d", v), f.addOffsets(min(v, 4), "old", pid, epoch, "g"), want)
	}
}

// v0–v3 need WRITE on the transactional id (every partition answers
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED without it); v4+ are broker
// requests and need CLUSTER_ACTION (top-level CLUSTER_AUTHORIZATION_FAILED).
func TestAuthzAddPartitionsToTxn(t *testing.T) {
	dp := newSecured(t, dpTopic("t", 1, 1, nil))
	v3 := kmsg.NewPtrAddPartitionsToTxnRequest()
	v3.Version, v3.TransactionalID, v3.ProducerID = 3, "tx", 1
	v3.Topics = []kmsg.AddPartitionsToTxnRequestTopic{{Topic: "t", Partitions: []int32{0}}}
	v5 := kmsg.NewPtrAddPartitionsToTxnRequest()
	v5.Version = 5
	v5.Transactions = []kmsg.AddPartitionsToTxnRequestTransaction{{TransactionalID: "tx", ProducerID: 1, VerifyOnly: true,
		Topics: []kmsg.AddPartitionsToTxnRequestTransactionTopic{{Topic: "t", Partitions: []int32{0}}}}}

	r3 := dp.as("User:alice", v3).(*kmsg.AddPartitionsToTxnResponse)
	if len(r3.Topics) != 1 || r3.Topics[0].Partitions[0].ErrorCode != kerr.TransactionalIDAuthorizationFailed.Code {
		t.Fatalf("v3 without WRITE: %+v", r3.Topics)
	}
	grant(dp, "User:alice", acl.ResourceTransactionalID, "tx", acl.PatternLiteral, acl.OpWrite)
	v3.Topics = append(v3.Topics, kmsg.AddPartitionsToTxnRequestTopic{Topic: "other", Partitions: []int32{0}})
	r3 = dp.as("User:alice", v3).(*kmsg.AddPartitionsToTxnResponse)
	if len(r3.Topics) != 2 || r3.Topics[0].Partitions[0].ErrorCode != kerr.TopicAuthorizationFailed.Code ||
		r3.Topics[1].Partitions[0].ErrorCode != kerr.TopicAuthorizationFailed.Code {
		t.Fatalf("v3 without topic WRITE: %+v", r3.Topics)
	}
	grant(dp, "User:alice", acl.ResourceTopic, "t", acl.PatternLiteral, acl.OpWrite)
	r3 = dp.as("User:alice", v3).(*kmsg.AddPartitionsToTxnResponse)
	if r3.Topics[0].Partitions[0].ErrorCode != kerr.OperationNotAttempted.Code ||
		r3.Topics[1].Partitions[0].ErrorCode != kerr.TopicAuthorizationFailed.Code {
		t.Fatalf("v3 with WRITE on one of two topics: %+v", r3.Topics)
	}
	v3.Topics = v3.Topics[:1]
	r3 = dp.as("User:alice", v3).(*kmsg.AddPartitionsToTxnResponse)
	if r3.Topics[0].Partitions[0].ErrorCode != kerr.CoordinatorNotAvailable.Code { // authorized; no coordinator here
		t.Fatalf("v3 with WRITE: %+v", r3.Topics)
	}
	r5 := dp.as("User:alice", v5).(*kmsg.AddPartitionsToTxnResponse)
	if r5.ErrorCode != kerr.ClusterAuthorizationFailed.Code || len(r5.Transactions) != 0 {
		t.Fatalf("v5 without CLUSTER_ACTION: %+v", r5)
	}
	grant(dp, "User:alice", acl.ResourceCluster, acl.ClusterName, acl.PatternLiteral, acl.OpClusterAction)
	r5 = dp.as("User:alice", v5).(*kmsg.AddPartitionsToTxnResponse)
	if r5.ErrorCode != 0 || len(r5.Transactions) != 1 ||
		r5.Transactions[0].Topics[0].Partitions[0].ErrorCode != kerr.CoordinatorNotAvailable.Code {
		t.Fatalf("v5 with CLUSTER_ACTION: %+v", r5)
	}
}
