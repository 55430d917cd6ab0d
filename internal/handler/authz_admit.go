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
func (h *Handler) admit(ctx context.Context, a api, req *protocol.Request) (guard, kmsg.Response) {
	g := guard{started: time.Now()}
	fix, deny := h.authorize(a, req)
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
	if a.bytes.counts(req.Body) {
		wait = max(wait, h.quotas.HeldFor(im, a.bytes.kind, g.client))
	}
	if wait > 0 {
		sleep(ctx, wait)
		g.started = time.Now()
	}
	return g, nil
}

// complete adds the authorization errors to resp, records the request
// against the client's quotas and applies the throttle time.
func (h *Handler) complete(ctx context.Context, a api, req *protocol.Request, g guard, resp kmsg.Response) kmsg.Response {
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
	if a.parks == nil || !a.parks(req.Body) {
		throttle = h.quotas.Record(im, quota.Request, g.client, float64(time.Since(g.started)))
	}
	metered := a.bytes.counts(req.Body)
	if metered {
		// A fetch's record sets may still be in files (protocol.FetchRegions).
		if n := a.bytes.count(req.Body, resp) + protocol.FetchRegionsFrom(ctx).Bytes(); n > 0 {
			throttle = max(throttle, h.quotas.Record(im, a.bytes.kind, g.client, float64(n)))
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
			h.quotas.Hold(im, a.bytes.kind, g.client, throttle)
		}
		return resp
	}
	sleep(ctx, throttle)
	return resp
}

// The parks policies (api.parks): a request that may wait for others (a
// long-poll fetch, acks=all, a rebalance) has wall time that is not
// handling time, which request_percentage limits (Kafka counts thread
// time, not purgatory), so it is not recorded.

func produceParks(req kmsg.Request) bool { return req.(*kmsg.ProduceRequest).Acks == -1 }
func fetchParks(req kmsg.Request) bool   { return req.(*kmsg.FetchRequest).MaxWaitMillis > 0 }
func shareFetchParks(req kmsg.Request) bool {
	return req.(*kmsg.ShareFetchRequest).MaxWaitMillis > 0
}
func alwaysParks(kmsg.Request) bool { return true }

// byteRate is the byte-rate quota an API's requests count against
// (api.bytes); the zero value counts nothing.
type byteRate struct {
	kind quota.Kind
	// applies reports whether a request counts; nil: every request.
	applies func(req kmsg.Request) bool
	// count is the record bytes a request carried or its response returns.
	count func(req kmsg.Request, resp kmsg.Response) int
}

// counts reports whether req counts against the byte-rate quota.
func (b byteRate) counts(req kmsg.Request) bool {
	return b.count != nil && (b.applies == nil || b.applies(req))
}

var (
	produceByteRate = byteRate{kind: quota.Produce, count: producedBytes}
	// A follower's fetches are replication, which client quotas leave alone.
	fetchByteRate = byteRate{kind: quota.Fetch, applies: consumerFetch, count: fetchedBytes}
)

func consumerFetch(req kmsg.Request) bool {
	r := req.(*kmsg.FetchRequest)
	return r.ReplicaID < 0 && r.ReplicaState.ID < 0
}

// producedBytes is the record bytes a produce request carried.
func producedBytes(req kmsg.Request, _ kmsg.Response) int {
	n := 0
	for _, t := range req.(*kmsg.ProduceRequest).Topics {
		for _, p := range t.Partitions {
			n += len(p.Records)
		}
	}
	return n
}

// fetchedBytes is the record bytes a fetch response returns.
func fetchedBytes(_ kmsg.Request, resp kmsg.Response) int {
	n := 0
	if fr, ok := resp.(*kmsg.FetchResponse); ok {
		for _, t := range fr.Topics {
			for _, p := range t.Partitions {
				n += len(p.RecordBatches)
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
