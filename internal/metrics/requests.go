package metrics

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/protocol"
)

// Handler is what the network layer calls for each request (the
// network.Handler contract, restated here so that imports flow one way).
type Handler interface {
	Handle(ctx context.Context, req *protocol.Request) kmsg.Response
}

// maxTrackedVersion bounds the preallocated version slots; a request with
// a higher version (none exist today) takes the label lookup path.
const maxTrackedVersion = 32

// Requests counts requests per API and version
// (kafka_network_requestmetrics_requests_total{request,version}) and times
// them per API (kafka_network_requestmetrics_totaltimems, a histogram in
// milliseconds, from the request being handed to the handler to the
// response being ready, long-poll waits included, as Kafka's TotalTimeMs).
//
// Series are created on first use and cached in fixed arrays indexed by
// API key and version, so the request path does an atomic load and an
// atomic add: no map lookup, no label hashing, no allocation.
type Requests struct {
	count *prometheus.CounterVec
	time  *prometheus.HistogramVec

	counters [kmsg.MaxKey + 1][maxTrackedVersion]atomic.Pointer[prometheus.Counter]
	timers   [kmsg.MaxKey + 1]atomic.Pointer[prometheus.Observer]
}

// NewRequests registers the request metrics on reg.
func NewRequests(reg prometheus.Registerer) *Requests {
	r := &Requests{
		count: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kafka_network_requestmetrics_requests_total",
			Help: "Requests handled, by API name and version.",
		}, []string{"request", "version"}),
		time: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kafka_network_requestmetrics_totaltimems",
			Help:    "Time to handle a request in milliseconds, by API name.",
			Buckets: []float64{0.1, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000},
		}, []string{"request"}),
	}
	reg.MustRegister(r.count, r.time)
	return r
}

// Wrap returns a Handler that records every request h serves. A nil
// *Requests returns h unchanged.
func (r *Requests) Wrap(h Handler) Handler {
	if r == nil {
		return h
	}
	return &instrumented{next: h, m: r}
}

type instrumented struct {
	next Handler
	m    *Requests
}

func (i *instrumented) Handle(ctx context.Context, req *protocol.Request) kmsg.Response {
	start := time.Now()
	resp := i.next.Handle(ctx, req)
	i.m.observe(req.Key, req.Version, time.Since(start))
	return resp
}

func (r *Requests) observe(key, version int16, d time.Duration) {
	if key < 0 || int(key) > kmsg.MaxKey {
		return // the version gate rejects these before any handler runs
	}
	r.counter(key, version).Inc()
	r.timer(key).Observe(float64(d) / float64(time.Millisecond))
}

func (r *Requests) counter(key, version int16) prometheus.Counter {
	if version < 0 || version >= maxTrackedVersion {
		return r.count.WithLabelValues(kmsg.NameForKey(key), strconv.Itoa(int(version)))
	}
	slot := &r.counters[key][version]
	if c := slot.Load(); c != nil {
		return *c
	}
	// Concurrent first uses get the same child from the vector, so
	// whichever store wins is right.
	c := r.count.WithLabelValues(kmsg.NameForKey(key), strconv.Itoa(int(version)))
	slot.Store(&c)
	return c
}

func (r *Requests) timer(key int16) prometheus.Observer {
	slot := &r.timers[key]
	if o := slot.Load(); o != nil {
		return *o
	}
	o := r.time.WithLabelValues(kmsg.NameForKey(key))
	slot.Store(&o)
	return o
}
