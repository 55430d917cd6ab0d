package server

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestCommittedOffsetsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	s := startTestServer(t, dir, groupTestConfig...)
	addr := s.Addrs()[0].String()
	produceN(t, addr, "resume", 3, 300)
	ty := &tally{seen: make(map[[2]int64]int)}
	gc := startGroupConsumer(t, addr, "rg", "resume", ty)
	waitUntil(t, 30*time.Second, "first 300 consumed", func() bool { return ty.unique() == 300 })
	gc.leave()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = startTestServer(t, dir, groupTestConfig...)
	defer s.Close()
	addr = s.Addrs()[0].String()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var offs kadm.OffsetResponses
	waitUntil(t, 20*time.Second, "offsets fetchable after restart", func() bool {
		offs, err = kadm.NewClient(cl).FetchOffsets(ctx, "rg")
		return err == nil
	})
	total := int64(0)
	offs.Each(func(o kadm.OffsetResponse) { total += o.At })
	if total != 300 {
		t.Fatalf("committed offsets after restart sum to %d, want 300: %v", total, offs)
	}
	produceN(t, addr, "resume", 0, 30)
	ty2 := &tally{seen: make(map[[2]int64]int)}
	gc = startGroupConsumer(t, addr, "rg", "resume", ty2)
	defer gc.leave()
	waitUntil(t, 30*time.Second, "the 30 new records", func() bool { return ty2.unique() == 30 })
	time.Sleep(200 * time.Millisecond) // nothing older may follow
	if n := ty2.unique(); n != 30 {
		t.Fatalf("resumed consumer got %d records, want only the 30 new ones", n)
	}
}

// rawGroupClient sends group requests straight to the (single) broker.
type rawGroupClient struct {
	t   *testing.T
	cl  *kgo.Client
	ctx context.Context
}

func newRawGroupClient(t *testing.T, addr string) *rawGroupClient {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	rc := &rawGroupClient{t: t, cl: cl, ctx: ctx}
	waitUntil(t, 20*time.Second, "a loaded coordinator", func() bool {
		req := kmsg.NewPtrFindCoordinatorRequest()
		req.CoordinatorKey = "probe"
		resp, err := req.RequestWith(ctx, cl)
		return err == nil && resp.ErrorCode == 0
	})
	return rc
}

func (rc *rawGroupClient) join(group, member, instance string, session int32) *kmsg.JoinGroupResponse {
	rc.t.Helper()
	req := kmsg.NewPtrJoinGroupRequest()
	req.Group, req.MemberID, req.SessionTimeoutMillis, req.RebalanceTimeoutMillis = group, member, session, 5000
	if instance != "" {
		req.InstanceID = &instance
	}
	req.ProtocolType = "consumer"
	p := kmsg.NewJoinGroupRequestProtocol()
	p.Name, p.Metadata = "range", []byte{0, 0, 0, 0, 0, 0}
	req.Protocols = append(req.Protocols, p)
	resp, err := req.RequestWith(rc.ctx, rc.cl)
	if err != nil {
		rc.t.Fatal(err)
	}
	return resp
}

func (rc *rawGroupClient) sync(group, member string, gen int32) *kmsg.SyncGroupResponse {
	rc.t.Helper()
	req := kmsg.NewPtrSyncGroupRequest()
	req.Group, req.MemberID, req.Generation = group, member, gen
	a := kmsg.NewSyncGroupRequestGroupAssignment()
	a.MemberID, a.MemberAssignment = member, []byte("assigned")
	req.GroupAssignment = append(req.GroupAssignment, a)
	resp, err := req.RequestWith(rc.ctx, rc.cl)
	if err != nil {
		rc.t.Fatal(err)
	}
	return resp
}

func (rc *rawGroupClient) heartbeat(group, member, instance string, gen int32) int16 {
	rc.t.Helper()
	req := kmsg.NewPtrHeartbeatRequest()
	req.Group, req.MemberID, req.Generation = group, member, gen
	if instance != "" {
		req.InstanceID = &instance
	}
	resp, err := req.RequestWith(rc.ctx, rc.cl)
	if err != nil {
		rc.t.Fatal(err)
	}
	return resp.ErrorCode
}

func wantCode(t *testing.T, what string, got int16, want *kerr.Error) {
	t.Helper()
	var wantCode int16
	if want != nil {
		wantCode = want.Code
	}
	if got != wantCode {
		t.Fatalf("%s: error %v, want %v", what, kerr.ErrorForCode(got), want)
	}
}

func TestGroupErrorCodes(t *testing.T) {
	s := startTestServer(t, t.TempDir(), groupTestConfig...)
	defer s.Close()
	rc := newRawGroupClient(t, s.Addrs()[0].String())

	wantCode(t, "session timeout below the minimum", rc.join("e", "", "", 10).ErrorCode, kerr.InvalidSessionTimeout)
	first := rc.join("e", "", "", 500)
	wantCode(t, "first join", first.ErrorCode, kerr.MemberIDRequired)
	joined := rc.join("e", first.MemberID, "", 500)
	wantCode(t, "join with the given id", joined.ErrorCode, nil)
	if joined.LeaderID != first.MemberID || joined.Generation != 1 {
		t.Fatalf("join = %+v", joined)
	}
	sync := rc.sync("e", first.MemberID, 1)
	wantCode(t, "leader sync", sync.ErrorCode, nil)
	if string(sync.MemberAssignment) != "assigned" {
		t.Fatalf("assignment %q", sync.MemberAssignment)
	}
	wantCode(t, "heartbeat", rc.heartbeat("e", first.MemberID, "", 1), nil)
	wantCode(t, "unknown member", rc.heartbeat("e", "stranger", "", 1), kerr.UnknownMemberID)
	wantCode(t, "old generation", rc.heartbeat("e", first.MemberID, "", 0), kerr.IllegalGeneration)

	commit := kmsg.NewPtrOffsetCommitRequest()
	commit.Group, commit.MemberID, commit.Generation = "e", first.MemberID, 7
	ct := kmsg.NewOffsetCommitRequestTopic()
	ct.Topic = "__consumer_offsets"
	cp := kmsg.NewOffsetCommitRequestTopicPartition()
	cp.Offset = 1
	ct.Partitions = append(ct.Partitions, cp)
	commit.Topics = append(commit.Topics, ct)
	cresp, err := commit.RequestWith(rc.ctx, rc.cl)
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, "commit with a wrong generation", cresp.Topics[0].Partitions[0].ErrorCode, kerr.IllegalGeneration)

	// Static membership: a second join with the same instance id fences
	// the first member id.
	a := rc.join("static", "", "inst-1", 500)
	wantCode(t, "static join", a.ErrorCode, nil)
	wantCode(t, "static sync", rc.sync("static", a.MemberID, a.Generation).ErrorCode, nil)
	b := rc.join("static", "", "inst-1", 500)
	if b.ErrorCode != 0 || b.MemberID == a.MemberID {
		t.Fatalf("static rejoin = %v %q", kerr.ErrorForCode(b.ErrorCode), b.MemberID)
	}
	wantCode(t, "fenced instance", rc.heartbeat("static", a.MemberID, "inst-1", a.Generation), kerr.FencedInstanceID)

	// A member that stops heartbeating leaves after its session timeout.
	adm := kadm.NewClient(rc.cl)
	waitUntil(t, 10*time.Second, "the silent member to expire", func() bool {
		d, err := adm.DescribeGroups(rc.ctx, "e")
		return err == nil && d["e"].State == "Empty"
	})
}
