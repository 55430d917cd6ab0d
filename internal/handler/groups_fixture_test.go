package handler

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/group"
	"github.com/samsa-io/samsa/internal/metadata"
)

// The group API tests run a real group.Coordinator over an in-memory log
// that leads every offsets partition, behind a Handler for node 1.

type memLog struct {
	mu    sync.Mutex
	parts map[int32][]group.Record
}

func (l *memLog) Append(_ context.Context, p int32, recs []group.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.parts[p] = append(l.parts[p], recs...)
	return nil
}

func (l *memLog) Replay(_ context.Context, p int32, fn func(group.Record) error) error {
	l.mu.Lock()
	recs := append([]group.Record(nil), l.parts[p]...)
	l.mu.Unlock()
	for _, r := range recs {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

type groupsFixture struct {
	t   *testing.T
	h   *Handler
	c   *group.Coordinator
	ctl *adminController
}

const testOffsetsPartitions = 5

func newGroupsFixture(t *testing.T, topics ...*metadata.Topic) *groupsFixture {
	t.Helper()
	cfg := config.Default()
	cfg.NodeID = 1
	cfg.OffsetsTopicNumPartitions = testOffsetsPartitions
	cfg.OffsetsTopicReplicationFactor = 1
	var im atomic.Pointer[metadata.Image]
	im.Store(dpImage(topics...))
	c := group.New(group.Config{NumPartitions: testOffsetsPartitions, MinSessionTimeout: 100 * time.Millisecond,
		MaxSessionTimeout: time.Minute, PartitionCount: func(topic string) int32 {
			if t, ok := im.Load().Topic(topic); ok {
				return int32(len(t.Partitions))
			}
			return 0
		}}, &memLog{parts: map[int32][]group.Record{}})
	t.Cleanup(func() { c.Close() })
	all := make(map[int32]int32)
	for p := int32(0); p < testOffsetsPartitions; p++ {
		all[p] = 1
	}
	c.SetLeaders(all)
	deadline := time.Now().Add(5 * time.Second)
	for p := int32(0); p < testOffsetsPartitions; p++ {
		for c.Status(p) != group.Loaded {
			if time.Now().After(deadline) {
				t.Fatal("coordinator did not load")
			}
			time.Sleep(time.Millisecond)
		}
	}
	f := &groupsFixture{t: t, c: c, ctl: &adminController{errs: map[string]error{}, ids: map[string][16]byte{}}}
	f.h = New(Deps{NodeID: 1, Config: cfg, Image: im.Load, Controller: f.ctl, Groups: c,
		Logger: slog.New(slog.DiscardHandler)})
	return f
}

// serve round-trips req at its version through the handler and the wire
// encoding, as a client would see it.
func serve[R kmsg.Response](f *groupsFixture, req kmsg.Request) R {
	f.t.Helper()
	resp := f.h.apis[req.Key()].serve(f.h, context.Background(), req)
	out := req.ResponseKind()
	out.SetVersion(req.GetVersion())
	if err := out.ReadFrom(resp.AppendTo(nil)); err != nil {
		f.t.Fatalf("decode response: %v", err)
	}
	return out.(R)
}

func code(t *testing.T, what string, got int16, want *kerr.Error) {
	t.Helper()
	var w int16
	if want != nil {
		w = want.Code
	}
	if got != w {
		t.Fatalf("%s: %v, want %v", what, kerr.ErrorForCode(got), want)
	}
}

// joinStable joins member-less group g through the handler (KIP-394 round
// trip) and syncs it; it returns the member id.
func (f *groupsFixture) joinStable(g string, version int16) string {
	f.t.Helper()
	join := func(member string) *kmsg.JoinGroupResponse {
		req := kmsg.NewPtrJoinGroupRequest()
		req.Version, req.Group, req.MemberID = version, g, member
		req.SessionTimeoutMillis, req.RebalanceTimeoutMillis, req.ProtocolType = 10000, 10000, "consumer"
		p := kmsg.NewJoinGroupRequestProtocol()
		p.Name, p.Metadata = "range", []byte{0, 0, 0, 0, 0, 1, 0, 1, 't'} // subscribes to "t"
		req.Protocols = append(req.Protocols, p)
		return serve[*kmsg.JoinGroupResponse](f, req)
	}
	resp := join("")
	if resp.ErrorCode == kerr.MemberIDRequired.Code {
		resp = join(resp.MemberID)
	}
	code(f.t, "join", resp.ErrorCode, nil)
	sync := kmsg.NewPtrSyncGroupRequest()
	sync.Version, sync.Group, sync.MemberID, sync.Generation = min(version, 5), g, resp.MemberID, resp.Generation
	a := kmsg.NewSyncGroupRequestGroupAssignment()
	a.MemberID, a.MemberAssignment = resp.MemberID, []byte("asg")
	sync.GroupAssignment = append(sync.GroupAssignment, a)
	code(f.t, "sync", serve[*kmsg.SyncGroupResponse](f, sync).ErrorCode, nil)
	return resp.MemberID
}
