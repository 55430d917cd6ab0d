package network

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/security"
	"github.com/samsa-io/samsa/protocol"
)

// AnonymousPrincipal is Kafka's principal for a connection that did not
// authenticate (PLAINTEXT, or SSL without a client certificate).
const AnonymousPrincipal = security.AnonymousPrincipal

// Handler serves decoded requests. Handle is called from one goroutine per
// connection, so calls for one connection never overlap, while calls for
// different connections run concurrently. A nil response means none is sent
// (Produce with acks=0). ctx is cancelled when the connection closes.
type Handler interface {
	Handle(ctx context.Context, req *protocol.Request) kmsg.Response
}

// Config configures a Listener.
type Config struct {
	Name            string // listener name, e.g. PLAINTEXT
	Addr            string // host:port to bind
	MaxRequestBytes int32  // socket.request.max.bytes
	Versions        *protocol.Versions
	Handler         Handler
	Logger          *slog.Logger

	// TLS, when set, makes every connection a TLS server connection (the
	// SSL and SASL_SSL protocols).
	TLS *tls.Config
	// PrincipalMapper names a connection by its verified client
	// certificate (mTLS) on a TLS listener without SASL.
	PrincipalMapper *security.PrincipalMapper
	// SASL, when set, requires SASL authentication (SASL_PLAINTEXT,
	// SASL_SSL) before any request but ApiVersions, SaslHandshake and
	// SaslAuthenticate.
	SASL *security.Authenticator
	// MaxReauthMs is connections.max.reauth.ms for SASL sessions (KIP-368);
	// 0: sessions never expire.
	MaxReauthMs int64
	// SASLMaxReceiveBytes is sasl.server.max.receive.size: on a SASL
	// listener, the largest frame before authentication completes; 0:
	// DefaultSASLMaxReceiveBytes.
	SASLMaxReceiveBytes int32
	// MaxIdle is connections.max.idle.ms: a connection that sends nothing
	// and has no request in progress for this long is closed, and one
	// frame must arrive within it once begun; 0: never.
	MaxIdle time.Duration
	// FailedAuthDelay is connection.failed.authentication.delay.ms: how
	// long a failed SASL authentication's answer and close wait.
	FailedAuthDelay time.Duration
	// Limits, shared by a broker's listeners, bounds connections (nil:
	// unlimited).
	Limits *ConnLimits
	// IPCountedUpstream: the connections come from a Mux that already
	// applied max.connections.per.ip (Mux.Limit), so the Listener does not
	// count them again.
	IPCountedUpstream bool
}

// DefaultSASLMaxReceiveBytes is Kafka's sasl.server.max.receive.size.
const DefaultSASLMaxReceiveBytes = 524288

// Client-caused log lines (closed connections, failed logins, refused
// connections) are throttled per listener: at most clientLogBurst lines
// per clientLogInterval, so an attacker cannot flood the log.
const (
	clientLogInterval = time.Second
	clientLogBurst    = 10
)

// Listener accepts connections on one address. It owns every connection
// goroutine; Close waits for all of them.
type Listener struct {
	cfg    Config
	ln     net.Listener
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// clientLog throttles log lines a client can cause.
	clientLog *logThrottle

	mu    sync.Mutex
	conns map[*conn]struct{}
}

// Listen binds the address. Serve must be called to accept connections.
func Listen(cfg Config) (*Listener, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s %s: %w", cfg.Name, cfg.Addr, err)
	}
	return NewListener(cfg, ln), nil
}

// NewListener serves the Kafka protocol on an existing listener, such as a
// Mux's Kafka side; cfg.Addr is not used. Close closes ln.
func NewListener(cfg Config, ln net.Listener) *Listener {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Listener{cfg: cfg, ln: ln, ctx: ctx, cancel: cancel, conns: make(map[*conn]struct{}),
		clientLog: newLogThrottle(clientLogInterval, clientLogBurst)}
}

// Addr is the bound address (useful when binding port 0).
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Serve accepts connections until Close. It starts its own goroutine.
func (l *Listener) Serve() {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		l.acceptLoop()
	}()
}

// acceptLoop accepts connections while the connection limits allow: at
// max.connections it waits with the connection it just accepted, and a
// connection over max.connections.per.ip is closed at once. Accept errors
// back off.
func (l *Listener) acceptLoop() {
	var backoff acceptBackoff
	limits, name := l.cfg.Limits, l.cfg.Name
	for {
		nc, err := l.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || l.ctx.Err() != nil {
				return
			}
			if !backoff.wait(l.ctx, l.cfg.Logger, err) {
				return
			}
			continue
		}
		backoff.reset()
		// As Kafka's acceptor does, hold the accepted connection and stop
		// accepting until a slot frees up; later connections wait in the
		// kernel's backlog. (Reserving a slot before Accept instead
		// would count one idle reservation per listener.)
		if err := limits.waitSlot(l.ctx, name); err != nil {
			nc.Close()
			return
		}
		ip := remoteIP(nc.RemoteAddr())
		ipLimits := limits
		if l.cfg.IPCountedUpstream {
			ipLimits = nil
		}
		if ok, limit := ipLimits.admitIP(ip); !ok {
			l.clientLog.log(l.cfg.Logger, "refusing connection: max.connections.per.ip reached",
				"remote", nc.RemoteAddr().String(), "limit", limit)
			nc.Close()
			limits.releaseSlot(name)
			continue
		}
		c := newConn(l, nc)
		l.mu.Lock()
		if l.ctx.Err() != nil { // Close already closed every connection
			l.mu.Unlock()
			nc.Close()
			ipLimits.releaseIP(ip)
			limits.releaseSlot(name)
			return
		}
		l.conns[c] = struct{}{}
		l.mu.Unlock()
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			c.run()
			l.mu.Lock()
			delete(l.conns, c)
			l.mu.Unlock()
			ipLimits.releaseIP(ip)
			limits.releaseSlot(name)
		}()
	}
}

// Close stops accepting, closes every connection and waits for their
// goroutines to finish.
func (l *Listener) Close() error {
	l.mu.Lock()
	l.cancel()
	l.mu.Unlock()
	err := l.ln.Close()
	l.mu.Lock()
	for c := range l.conns {
		c.raw.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
	return err
}
