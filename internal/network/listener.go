package network

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"

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
}

// Listener accepts connections on one address. It owns every connection
// goroutine; Close waits for all of them.
type Listener struct {
	cfg    Config
	ln     net.Listener
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

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
	return &Listener{cfg: cfg, ln: ln, ctx: ctx, cancel: cancel, conns: make(map[*conn]struct{})}
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

func (l *Listener) acceptLoop() {
	for {
		nc, err := l.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || l.ctx.Err() != nil {
				return
			}
			l.cfg.Logger.Warn("accept failed", "listener", l.cfg.Name, "err", err)
			continue
		}
		c := newConn(l, nc)
		l.mu.Lock()
		l.conns[c] = struct{}{}
		l.mu.Unlock()
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			c.run()
			l.mu.Lock()
			delete(l.conns, c)
			l.mu.Unlock()
		}()
	}
}

// Close stops accepting, closes every connection and waits for their
// goroutines to finish.
func (l *Listener) Close() error {
	l.cancel()
	err := l.ln.Close()
	l.mu.Lock()
	for c := range l.conns {
		c.raw.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
	return err
}
