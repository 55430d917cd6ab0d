package e2e

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// rawMember speaks the classic group protocol by hand through a franz-go
// client (which routes group requests to the coordinator).
type rawMember struct {
	t        *testing.T
	cl       *kgo.Client
	group    string
	topic    string
	instance *string
	id       string
	gen      int32
}

func newRawMember(t *testing.T, b *harness.Broker, group, topic string, instance *string) *rawMember {
	return &rawMember{t: t, cl: b.Client(), group: group, topic: topic, instance: instance}
}

func reqCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 20*time.Second)
}

// joinReq builds a JoinGroup for protocol "range" with consumer metadata
// subscribing to m.topic, so a franz-go leader can assign to this member.
func (m *rawMember) joinReq(sessionMs int32) *kmsg.JoinGroupRequest {
	meta := kmsg.NewConsumerMemberMetadata()
	meta.Topics = []string{m.topic}
	req := kmsg.NewPtrJoinGroupRequest()
	req.Group, req.MemberID, req.InstanceID = m.group, m.id, m.instance
	req.SessionTimeoutMillis, req.RebalanceTimeoutMillis = sessionMs, 10000
	req.ProtocolType = "consumer"
	proto := kmsg.NewJoinGroupRequestProtocol()
	proto.Name, proto.Metadata = "range", meta.AppendTo(nil)
	req.Protocols = append(req.Protocols, proto)
	return req
}

// join joins (answering MEMBER_ID_REQUIRED once) and returns the response.
func (m *rawMember) join(sessionMs int32) *kmsg.JoinGroupResponse {
	m.t.Helper()
	for range 2 {
		ctx, cancel := reqCtx()
		resp, err := m.joinReq(sessionMs).RequestWith(ctx, m.cl)
		cancel()
		if err != nil {
			m.t.Fatalf("join %s: %v", m.group, err)
		}
		m.id = resp.MemberID
		if resp.ErrorCode == kerr.MemberIDRequired.Code {
			continue
		}
		if resp.ErrorCode != 0 {
			m.t.Fatalf("join %s: %v", m.group, kerr.ErrorForCode(resp.ErrorCode))
		}
		m.gen = resp.Generation
		return resp
	}
	m.t.Fatalf("join %s: MEMBER_ID_REQUIRED twice", m.group)
	return nil
}

// sync sends SyncGroup; a leader passes the assignment for every member.
func (m *rawMember) sync(assign map[string][]int32) (int16, []int32) {
	m.t.Helper()
	req := kmsg.NewPtrSyncGroupRequest()
	req.Group, req.Generation, req.MemberID, req.InstanceID = m.group, m.gen, m.id, m.instance
	req.ProtocolType, req.Protocol = kmsg.StringPtr("consumer"), kmsg.StringPtr("range")
	for id, ps := range assign {
		a := kmsg.NewConsumerMemberAssignment()
		tp := kmsg.NewConsumerMemberAssignmentTopic()
		tp.Topic, tp.Partitions = m.topic, ps
		a.Topics = append(a.Topics, tp)
		ga := kmsg.NewSyncGroupRequestGroupAssignment()
		ga.MemberID, ga.MemberAssignment = id, a.AppendTo(nil)
		req.GroupAssignment = append(req.GroupAssignment, ga)
	}
	ctx, cancel := reqCtx()
	defer cancel()
	resp, err := req.RequestWith(ctx, m.cl)
	if err != nil {
		m.t.Fatalf("sync %s: %v", m.group, err)
	}
	var got kmsg.ConsumerMemberAssignment
	if resp.ErrorCode == 0 && len(resp.MemberAssignment) > 0 {
		if err := got.ReadFrom(resp.MemberAssignment); err != nil {
			m.t.Fatalf("sync %s: decode assignment: %v", m.group, err)
		}
	}
	var ps []int32
	for _, tp := range got.Topics {
		ps = append(ps, tp.Partitions...)
	}
	return resp.ErrorCode, ps
}

// heartbeat sends a Heartbeat as member id in generation gen.
func (m *rawMember) heartbeat(id string, gen int32) int16 {
	m.t.Helper()
	req := kmsg.NewPtrHeartbeatRequest()
	req.Group, req.Generation, req.MemberID, req.InstanceID = m.group, gen, id, m.instance
	ctx, cancel := reqCtx()
	defer cancel()
	resp, err := req.RequestWith(ctx, m.cl)
	if err != nil {
		m.t.Fatalf("heartbeat %s: %v", m.group, err)
	}
	return resp.ErrorCode
}

func wantCode(t *testing.T, what string, got int16, want *kerr.Error) {
	t.Helper()
	if got != want.Code {
		t.Errorf("%s: error code %d (%v), want %d (%s)", what, got, kerr.ErrorForCode(got), want.Code, want.Message)
	}
}

// TestGroupErrorCodes drives the classic protocol by hand and checks the
// error codes Kafka clients rely on.
func TestGroupErrorCodes(t *testing.T) {
	b := startGroupBroker(t, map[string]string{"group.max.session.timeout.ms": "60000"})
	b.CreateTopic("errs", 2, nil)

	t.Run("invalid session timeout", func(t *testing.T) {
		m := newRawMember(t, b, "g-session", "errs", nil)
		for _, ms := range []int32{50, 120000} {
			ctx, cancel := reqCtx()
			resp, err := m.joinReq(ms).RequestWith(ctx, m.cl)
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			wantCode(t, fmt.Sprintf("join with session timeout %d ms (allowed 100..60000)", ms),
				resp.ErrorCode, kerr.InvalidSessionTimeout)
		}
	})

	t.Run("unknown member, illegal generation, rebalance in progress", func(t *testing.T) {
		a := newRawMember(t, b, "g-codes", "errs", nil)
		resp := a.join(10000)
		if resp.LeaderID != a.id {
			t.Fatalf("sole member %s is not the leader %s", a.id, resp.LeaderID)
		}
		if code, _ := a.sync(map[string][]int32{a.id: {0, 1}}); code != 0 {
			t.Fatalf("sync: %v", kerr.ErrorForCode(code))
		}
		if code := a.heartbeat(a.id, a.gen); code != 0 {
			t.Errorf("heartbeat of the member: %v", kerr.ErrorForCode(code))
		}
		wantCode(t, "heartbeat with an unknown member id", a.heartbeat("no-such-member", a.gen), kerr.UnknownMemberID)
		wantCode(t, "heartbeat with generation+1", a.heartbeat(a.id, a.gen+1), kerr.IllegalGeneration)

		other := newRawMember(t, b, "g-codes", "errs", nil)
		joined := make(chan *kmsg.JoinGroupResponse, 1)
		go func() { // owned by this subtest: it waits on joined below
			ctx, cancel := reqCtx()
			defer cancel()
			r, _ := other.joinReq(10000).RequestWith(ctx, other.cl)
			if r != nil && r.ErrorCode == kerr.MemberIDRequired.Code {
				other.id = r.MemberID
				r, _ = other.joinReq(10000).RequestWith(ctx, other.cl)
			}
			joined <- r
		}()
		harness.Eventually(t, 10*time.Second, func() error {
			if code := a.heartbeat(a.id, a.gen); code != kerr.RebalanceInProgress.Code {
				return fmt.Errorf("heartbeat while a second member joins: %v, want REBALANCE_IN_PROGRESS",
					kerr.ErrorForCode(code))
			}
			return nil
		})
		a.join(10000) // rejoin completes the rebalance
		select {
		case r := <-joined:
			if r == nil || r.ErrorCode != 0 {
				t.Fatalf("second member's join failed: %+v", r)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("second member's join did not complete after the first rejoined")
		}
	})

	t.Run("fenced instance id", func(t *testing.T) {
		inst := kmsg.StringPtr("instance-1")
		old := newRawMember(t, b, "g-static", "errs", inst)
		old.join(10000)
		if code, _ := old.sync(map[string][]int32{old.id: {0, 1}}); code != 0 {
			t.Fatalf("sync: %v", kerr.ErrorForCode(code))
		}
		fresh := newRawMember(t, b, "g-static", "errs", inst)
		fresh.join(10000)
		if fresh.id == old.id {
			t.Fatalf("a rejoin of instance-1 without member id kept member id %s", old.id)
		}
		wantCode(t, "heartbeat of the replaced static member", old.heartbeat(old.id, old.gen), kerr.FencedInstanceID)
	})
}

// TestGroupSessionExpiry: a franz-go member and a hand-driven member share
// a 4-partition topic; the hand-driven one stops heartbeating and must be
// removed after its 1 s session timeout, its partitions going to the
// franz-go member.
func TestGroupSessionExpiry(t *testing.T) {
	b := startGroupBroker(t, nil)
	const topic, group = "expiry", "g-expiry"
	b.CreateTopic(topic, 4, nil)
	ty := newTally()
	live := startMember(t, b, "live", group, topic, kgo.RangeBalancer(), ty)
	waitAssignedAll(t, []*member{live}, topic, 4)

	raw := newRawMember(t, b, group, topic, nil)
	raw.join(1000)
	code, mine := raw.sync(nil)
	if code != 0 {
		t.Fatalf("sync of the hand-driven member: %v", kerr.ErrorForCode(code))
	}
	if len(mine) == 0 {
		t.Fatalf("the hand-driven member got no partition from the franz-go leader")
	}
	harness.Eventually(t, 10*time.Second, func() error {
		if n := live.partitions(topic); n != 4-len(mine) {
			return fmt.Errorf("franz-go member owns %d partitions, want %d", n, 4-len(mine))
		}
		return nil
	})
	stopped := time.Now()
	harness.Eventually(t, 15*time.Second, func() error {
		if n := live.partitions(topic); n != 4 {
			return fmt.Errorf("franz-go member owns %d partitions %v after the other stopped heartbeating",
				n, time.Since(stopped).Round(time.Millisecond))
		}
		return nil
	})
	if d := time.Since(stopped); d < 900*time.Millisecond {
		t.Errorf("partitions moved %v after the last heartbeat, before the 1 s session timeout", d)
	}
	wantCode(t, "heartbeat of the expired member", raw.heartbeat(raw.id, raw.gen), kerr.UnknownMemberID)
	desc, err := b.Admin().DescribeGroups(context.Background(), group)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range desc[group].Members {
		ids = append(ids, m.MemberID)
	}
	if slices.Contains(ids, raw.id) || len(ids) != 1 {
		t.Errorf("group members after expiry %v, want only the franz-go member", ids)
	}
}
