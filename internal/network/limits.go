package network

import (
	"context"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// LimitsConfig holds the connection limits of a broker, Kafka's
// max.connections, listener.name.X.max.connections, max.connections.per.ip
// and max.connections.per.ip.overrides.
type LimitsConfig struct {
	MaxConnections int // every listener together
	// ListenerMax holds per-listener limits by listener name; a listener
	// not in it is unlimited.
	ListenerMax map[string]int
	// ExemptListeners (the inter-broker and controller listeners) are not
	// held to MaxConnections, so replication and the quorum keep working
	// when clients use up the broker-wide limit; their own ListenerMax
	// still applies.
	ExemptListeners []string
	MaxPerIP        int
	// PerIPOverrides replaces MaxPerIP for the IP addresses it names
	// (resolved already: see ResolveOverrides).
	PerIPOverrides map[netip.Addr]int
}

// ConnLimits counts the connections of every listener of a broker and
// holds them to a LimitsConfig. Listeners share one; a nil *ConnLimits
// limits nothing. It is safe for concurrent use.
//
// Kafka's semantics: at the broker-wide or listener limit the acceptor
// waits (stops accepting, so new connections queue in the kernel's
// backlog) until a connection closes; over the per-IP limit the new
// connection is accepted and closed at once.
type ConnLimits struct {
	cfg LimitsConfig

	mu          sync.Mutex
	total       int
	perListener map[string]int
	perIP       map[netip.Addr]int
	// freed is closed, and replaced, whenever a slot is released; waiters
	// select on it.
	freed chan struct{}
}

// NewConnLimits returns limits with cfg; a limit of 0 admits nothing.
func NewConnLimits(cfg LimitsConfig) *ConnLimits {
	return &ConnLimits{
		cfg:         cfg,
		perListener: map[string]int{},
		perIP:       map[netip.Addr]int{},
		freed:       make(chan struct{}),
	}
}

// waitSlot blocks until listener may hold one more connection under the
// broker-wide and listener limits, and takes the slot. It fails only when
// ctx ends.
func (l *ConnLimits) waitSlot(ctx context.Context, listener string) error {
	if l == nil {
		return nil
	}
	for {
		l.mu.Lock()
		if l.slotFree(listener) {
			l.total++
			l.perListener[listener]++
			l.mu.Unlock()
			return nil
		}
		freed := l.freed
		l.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// slotFree reports whether listener may take a slot; l.mu is held.
func (l *ConnLimits) slotFree(listener string) bool {
	if max, ok := l.cfg.ListenerMax[listener]; ok && l.perListener[listener] >= max {
		return false
	}
	return l.total < l.cfg.MaxConnections || slices.Contains(l.cfg.ExemptListeners, listener)
}

// releaseSlot gives back a slot taken by waitSlot.
func (l *ConnLimits) releaseSlot(listener string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.total--
	l.perListener[listener]--
	close(l.freed)
	l.freed = make(chan struct{})
	l.mu.Unlock()
}

// admitIP counts one more connection from ip, or reports false (and
// counts nothing) when ip already has its limit.
func (l *ConnLimits) admitIP(ip netip.Addr) (ok bool, limit int) {
	if l == nil {
		return true, math.MaxInt
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	limit = l.cfg.MaxPerIP
	if n, ok := l.cfg.PerIPOverrides[ip]; ok {
		limit = n
	}
	if l.perIP[ip] >= limit {
		return false, limit
	}
	l.perIP[ip]++
	return true, limit
}

// releaseIP gives back a connection counted by admitIP.
func (l *ConnLimits) releaseIP(ip netip.Addr) {
	if l == nil {
		return
	}
	l.mu.Lock()
	if l.perIP[ip]--; l.perIP[ip] <= 0 {
		delete(l.perIP, ip)
	}
	l.mu.Unlock()
}

// ResolveOverrides turns max.connections.per.ip.overrides, keyed by host
// name or IP address, into limits by IP address. A host name that does not
// resolve is logged and left out, as Kafka does at start-up.
func ResolveOverrides(ctx context.Context, overrides map[string]int32, logger *slog.Logger) map[netip.Addr]int {
	out := map[netip.Addr]int{}
	for host, n := range overrides {
		if ip, err := netip.ParseAddr(host); err == nil {
			out[ip.Unmap()] = int(n)
			continue
		}
		ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			logger.Warn("max.connections.per.ip.overrides: cannot resolve host; its override is ignored", "host", host, "err", err)
			continue
		}
		for _, ip := range ips {
			out[ip.Unmap()] = int(n)
		}
	}
	return out
}

// remoteIP is the IP address of a connection's peer, IPv4-mapped IPv6
// addresses as IPv4 (the zero Addr when the address is not IP).
func remoteIP(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		ip, _ := netip.AddrFromSlice(ta.IP)
		return ip.Unmap()
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// Accept errors (out of file descriptors, above all) are retried after a
// pause that doubles from acceptBackoffMin to acceptBackoffMax and resets
// on the next success, so a broker at its descriptor limit neither spins a
// core nor floods the log, and recovers as soon as descriptors free up.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
)

// acceptBackoff is the pause of one accept loop; only that loop uses it.
type acceptBackoff struct{ next time.Duration }

// wait logs err and sleeps before the next Accept; it reports false when
// ctx ends first. The log rate is bounded by the pause: at most one line
// per acceptBackoffMax once the pause has grown.
func (b *acceptBackoff) wait(ctx context.Context, logger *slog.Logger, err error) bool {
	b.next = min(max(2*b.next, acceptBackoffMin), acceptBackoffMax)
	logger.Warn("accept failed; retrying", "err", err, "retry_in", b.next)
	t := time.NewTimer(b.next)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// reset is called after an Accept succeeds.
func (b *acceptBackoff) reset() { b.next = 0 }

// logThrottle lets at most burst lines through per interval and counts
// the rest; the next line let through reports how many were left out. It
// keeps what a client can make the broker log (failed logins, refused
// connections) from flooding the log. Safe for concurrent use.
type logThrottle struct {
	interval time.Duration
	burst    int

	mu         sync.Mutex
	windowEnd  time.Time
	used       int
	suppressed int
}

func newLogThrottle(interval time.Duration, burst int) *logThrottle {
	return &logThrottle{interval: interval, burst: burst}
}

// log writes msg at INFO through logger unless this window's burst is
// spent.
func (t *logThrottle) log(logger *slog.Logger, msg string, attrs ...any) {
	t.mu.Lock()
	now := time.Now()
	if now.After(t.windowEnd) {
		t.windowEnd, t.used = now.Add(t.interval), 0
	}
	if t.used >= t.burst {
		t.suppressed++
		t.mu.Unlock()
		return
	}
	t.used++
	left := t.suppressed
	t.suppressed = 0
	t.mu.Unlock()
	if left > 0 {
		attrs = append(attrs, "similar_lines_left_out", left)
	}
	logger.Info(msg, attrs...)
}
