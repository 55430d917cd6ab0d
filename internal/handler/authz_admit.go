package handler

// The per-request guard around serving: authorization (authz.go) and
// client quotas (internal/quota). admit runs before a request is served,
// complete after; Handle calls both.
//
// Quotas follow Kafka: produced bytes are the request's record bytes,
// fetched bytes the response's (consumers only, not followers), and
// request_percentage the time spent serving (requests that park waiting
// for others are not counted: see parks). The throttle time goes into
// the response's throttle_time_ms. A response of a version that throttles
// on the client (KIP-219) is sent at once and the client's next request
// waits in admit until the time has passed (Kafka mutes the channel);
// an older response is itself delayed. Either way only this connection
// waits: its requests are served one at a time.

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/acl"
	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/quota"
	"github.com/samsa-io/samsa/protocol"
)

// accessControl is the Handler's authorizer (nil: authorization is off) and
// client-quota manager, embedded in Handler.
type accessControl struct {
	authorizer *acl.Authorizer
	quotas     *quota.Manager
}

func newAccessControl(cfg *config.Broker) accessControl {
	return accessControl{authorizer: newAuthorizer(cfg), quotas: newQuotas(cfg)}
}

// newAuthorizer returns the configured authorizer, or nil when
// authorizer.class.name is empty.
func newAuthorizer(cfg *config.Broker) *acl.Authorizer {
	if cfg == nil || !cfg.Authz.Enabled() {
		return nil
	}
	return acl.New(cfg.Authz.SuperUsers, cfg.Authz.AllowEveryoneIfNoACLFound)
}

// newQuotas returns the quota manager with the configured sampling.
func newQuotas(cfg *config.Broker) *quota.Manager {
	if cfg == nil {
		return quota.New(quota.Config{})
	}
	return quota.New(quota.Config{WindowNum: cfg.Quota.WindowNum,
		WindowSize: time.Duration(cfg.Quota.WindowSizeSeconds) * time.Second})
}

// guard is one request's state between admit and complete.
type guard struct {
	fix     func(kmsg.Response)
	client  quota.Client
	metered bool // client quotas apply
	started time.Time
}

// admit authorizes req and waits out a quota hold. A non-nil response is
// the answer to send instead of serving the request.
func (h *Handler) admit(ctx context.Context, req *protocol.Request) (guard, kmsg.Response) {
	g := guard{started: time.Now()}
	fix, deny := h.authorize(req)
	if deny != nil {
		return g, deny
	}
	g.fix = fix
	g.metered = req.Principal != "" && !authzExempt[kmsg.Key(req.Key)]
	if !g.metered {
		return g, nil
	}
	g.client = quota.ClientOf(req.Principal, req.ClientID)
	im := h.Image()
	wait := h.quotas.HeldFor(im, quota.Request, g.client)
	if k, ok := byteKind(req.Body); ok {
		wait = max(wait, h.quotas.HeldFor(im, k, g.client))
	}
	if wait > 0 {
		sleep(ctx, wait)
		g.started = time.Now()
	}
	return g, nil
}

// complete adds the authorization errors to resp, records the request
// against the client's quotas and applies the throttle time.
func (h *Handler) complete(ctx context.Context, req *protocol.Request, g guard, resp kmsg.Response) kmsg.Response {
	if resp == nil {
		return nil
	}
	if g.fix != nil {
		g.fix(resp)
	}
	if !g.metered {
		return resp
	}
	im := h.Image()
	var throttle time.Duration
	if !parks(req.Body) {
		throttle = h.quotas.Record(im, quota.Request, g.client, float64(time.Since(g.started)))
	}
	kind, metered := byteKind(req.Body)
	if metered {
		// A fetch's record sets may still be in files (protocol.FetchRegions).
		if n := meteredBytes(req.Body, resp) + protocol.FetchRegionsFrom(ctx).Bytes(); n > 0 {
			throttle = max(throttle, h.quotas.Record(im, kind, g.client, float64(n)))
		}
	}
	st, ok := resp.(kmsg.ThrottleResponse)
	if throttle <= 0 || !ok {
		return resp
	}
	if sr, ok := resp.(kmsg.SetThrottleResponse); ok {
		cur, _ := st.Throttle()
		sr.SetThrottle(max(cur, int32(throttle/time.Millisecond)))
	}
	if _, afterResponse := st.Throttle(); afterResponse {
		h.quotas.Hold(im, quota.Request, g.client, throttle)
		if metered {
			h.quotas.Hold(im, kind, g.client, throttle)
		}
		return resp
	}
	sleep(ctx, throttle)
	return resp
}

// parks reports whether a request may wait for others (a long-poll
// fetch, acks=all, a rebalance): its wall time is not handling time, which
// request_percentage limits (Kafka counts thread time, not purgatory), so
// it is not recorded.
func parks(body kmsg.Request) bool {
	switch r := body.(type) {
	case *kmsg.FetchRequest:
		return r.MaxWaitMillis > 0
	case *kmsg.ProduceRequest:
		return r.Acks == -1
	case *kmsg.JoinGroupRequest, *kmsg.SyncGroupRequest, *kmsg.ConsumerGroupHeartbeatRequest:
		return true
	}
	return false
}

// byteKind reports which byte-rate quota a request counts against.
func byteKind(body kmsg.Request) (quota.Kind, bool) {
	switch r := body.(type) {
	case *kmsg.ProduceRequest:
		return quota.Produce, true
	case *kmsg.FetchRequest:
		return quota.Fetch, r.ReplicaID < 0 && r.ReplicaState.ID < 0
	}
	return 0, false
}

// meteredBytes is the record bytes a produce request carried or a fetch
// response returns.
func meteredBytes(body kmsg.Request, resp kmsg.Response) int {
	n := 0
	switch r := body.(type) {
	case *kmsg.ProduceRequest:
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				n += len(p.Records)
			}
		}
	case *kmsg.FetchRequest:
		if fr, ok := resp.(*kmsg.FetchResponse); ok {
			for _, t := range fr.Topics {
				for _, p := range t.Partitions {
					n += len(p.RecordBatches)
				}
			}
		}
	}
	return n
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
