package network

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// One TCP port can carry both Raft and the Kafka protocol (the controller
// listener, docs/architecture.md §3, and a broker-only node's inter-broker
// listener, which receives the metadata log as a Raft non-voter). The
// dialing side of a Raft connection writes RaftMagic before Raft's own
// bytes; the accepting Mux reads one byte of every new connection and
// hands it to the Raft side (magic consumed) or the Kafka side (the byte
// given back). A Kafka request starts with its 4-byte big-endian size,
// and a first byte of 0xFF would make that size negative, which no valid
// frame has, so the two can never be confused.

// RaftMagic is the first byte of a Raft connection on a shared listener.
const RaftMagic byte = 0xFF

// peekTimeout bounds how long an accepted connection may stay silent
// before its first byte tells which protocol it speaks. Kafka clients and
// Raft both send first, so only a stuck or idle peer waits this long.
const peekTimeout = 30 * time.Second

// DialFunc opens a TCP connection, like (*net.Dialer).DialContext. Tests
// pass one that injects network faults (package netfault).
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// DialRaft dials addr with dial (nil: a plain dialer) and writes RaftMagic,
// so the peer's Mux routes the connection to Raft.
func DialRaft(dial DialFunc, addr string, timeout time.Duration) (net.Conn, error) {
	if dial == nil {
		d := net.Dialer{}
		dial = d.DialContext
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial raft %s: %w", addr, err)
	}
	_ = c.SetWriteDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte{RaftMagic}); err != nil {
		c.Close()
		return nil, fmt.Errorf("dial raft %s: write magic: %w", addr, err)
	}
	_ = c.SetWriteDeadline(time.Time{})
	return c, nil
}

// Mux splits one bound listener into a Raft side and a Kafka side.
// Connections are classified on goroutines the Mux owns; Close stops them
// and closes connections not yet handed out. Handed-out connections belong
// to whoever accepted them.
type Mux struct {
	ln     net.Listener
	logger *slog.Logger
	raft   *connQueue
	kafka  *connQueue
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	pending map[net.Conn]struct{}

	tls    *tls.Config // set by UseTLS before Serve
	limits *ConnLimits // set by Limit before Serve
	// kafkaSlots bounds the connections classified as Kafka and waiting
	// for the Kafka side to accept them; when it is full the next one is
	// closed, so a Kafka side held at max.connections does not make the
	// Mux pile up connections (each a descriptor and a goroutine) in
	// front. The Mux itself never stops accepting: Raft connections of
	// the quorum arrive on the same port, and any bound on the
	// connections being classified would let a few silent ones shut
	// them out (peekTimeout and max.connections.per.ip bound those).
	kafkaSlots chan struct{}
	// clientLog throttles log lines a client can cause.
	clientLog *logThrottle
}

// muxMaxPending is how many Kafka connections a Mux holds while its Kafka
// side does not accept them.
const muxMaxPending = 128

// Limit applies max.connections.per.ip (and its overrides) to every
// connection, Raft or Kafka, when it is accepted, so one address cannot
// fill the classification queue. The Kafka listener fed by this Mux must
// then have IPCountedUpstream set. Call before Serve.
func (m *Mux) Limit(limits *ConnLimits) { m.limits = limits }

// UseTLS makes the mux a TLS port (a controller listener mapped to SSL):
// every connection must start a TLS handshake, and the protocol byte is
// read inside TLS, so Raft and broker-to-controller traffic are both
// encrypted. Call before Serve.
func (m *Mux) UseTLS(conf *tls.Config) { m.tls = conf }

// tlsHandshakeRecord is the first byte of a TLS ClientHello.
const tlsHandshakeRecord = 0x16

// ListenMux binds addr; Serve starts accepting.
func ListenMux(name, addr string, logger *slog.Logger) (*Mux, error) {
	if logger == nil {
		logger = slog.Default()
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s %s: %w", name, addr, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Mux{ln: ln, logger: logger, ctx: ctx, cancel: cancel, pending: map[net.Conn]struct{}{},
		kafkaSlots: make(chan struct{}, muxMaxPending), clientLog: newLogThrottle(clientLogInterval, clientLogBurst)}
	m.raft = newConnQueue(ln.Addr())
	m.kafka = newConnQueue(ln.Addr())
	return m, nil
}

// Addr is the bound address.
func (m *Mux) Addr() net.Addr { return m.ln.Addr() }

// Raft is the listener of connections that began with RaftMagic (the
// magic already read). Closing it refuses later Raft connections only.
func (m *Mux) Raft() net.Listener { return m.raft }

// Kafka is the listener of every other connection, first byte intact;
// give it to Serve. Until it is served, Kafka connections wait.
func (m *Mux) Kafka() net.Listener { return m.kafka }

// Serve accepts connections until Close. It starts its own goroutine.
func (m *Mux) Serve() {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.acceptLoop()
	}()
}

func (m *Mux) acceptLoop() {
	var backoff acceptBackoff
	for {
		c, err := m.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || m.ctx.Err() != nil {
				return
			}
			if !backoff.wait(m.ctx, m.logger, err) {
				return
			}
			continue
		}
		backoff.reset()
		if m.limits != nil {
			ip := remoteIP(c.RemoteAddr())
			if ok, limit := m.limits.admitIP(ip); !ok {
				m.clientLog.log(m.logger, "refusing connection: max.connections.per.ip reached", "remote", c.RemoteAddr().String(), "limit", limit)
				c.Close()
				continue
			}
			c = &ipCountedConn{Conn: c, release: func() { m.limits.releaseIP(ip) }}
		}
		m.mu.Lock()
		if m.ctx.Err() != nil {
			m.mu.Unlock()
			c.Close()
			return
		}
		m.pending[c] = struct{}{}
		m.mu.Unlock()
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.route(c)
		}()
	}
}

// ipCountedConn gives back its max.connections.per.ip place when closed,
// whichever side closes it.
type ipCountedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *ipCountedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// route peeks the first byte and hands the connection to its side.
func (m *Mux) route(c net.Conn) {
	var first [1]byte
	_ = c.SetReadDeadline(time.Now().Add(peekTimeout))
	_, err := c.Read(first[:])
	_ = c.SetReadDeadline(time.Time{})
	m.mu.Lock()
	delete(m.pending, c)
	m.mu.Unlock()
	if err != nil {
		c.Close()
		return
	}
	if m.tls != nil {
		if first[0] != tlsHandshakeRecord {
			m.clientLog.log(m.logger, "closing non-TLS connection on a TLS listener", "remote", c.RemoteAddr().String())
			c.Close()
			return
		}
		tc := tls.Server(&prefixConn{Conn: c, first: first[0], has: true}, m.tls)
		_ = tc.SetDeadline(time.Now().Add(tlsHandshakeTimeout))
		if err := tc.HandshakeContext(m.ctx); err != nil {
			m.clientLog.log(m.logger, "closing connection", "remote", c.RemoteAddr().String(), "err", fmt.Errorf("tls handshake: %w", err))
			c.Close()
			return
		}
		_ = tc.SetReadDeadline(time.Now().Add(peekTimeout))
		_, err := io.ReadFull(tc, first[:])
		_ = tc.SetDeadline(time.Time{})
		if err != nil {
			tc.Close()
			return
		}
		if first[0] == RaftMagic {
			m.raft.put(m.ctx, tc)
			return
		}
		m.putKafka(&tlsPrefixConn{prefixConn{Conn: tc, first: first[0], has: true}, tc})
		return
	}
	if first[0] == RaftMagic {
		m.raft.put(m.ctx, c)
		return
	}
	m.putKafka(&prefixConn{Conn: c, first: first[0], has: true})
}

// putKafka hands c to the Kafka side, or closes it when muxMaxPending
// connections already wait for that side.
func (m *Mux) putKafka(c net.Conn) {
	select {
	case m.kafkaSlots <- struct{}{}:
	default:
		m.clientLog.log(m.logger, "closing connection: too many connections waiting for the Kafka listener",
			"remote", c.RemoteAddr().String(), "waiting", muxMaxPending)
		c.Close()
		return
	}
	defer func() { <-m.kafkaSlots }()
	m.kafka.put(m.ctx, c)
}

// Close stops accepting, closes connections still being classified or
// waiting to be accepted, closes both sides and waits for its goroutines.
func (m *Mux) Close() error {
	m.mu.Lock()
	m.cancel()
	for c := range m.pending {
		c.Close()
	}
	m.mu.Unlock()
	err := m.ln.Close()
	m.raft.Close()
	m.kafka.Close()
	m.wg.Wait()
	return err
}

// connQueue is a net.Listener fed by a Mux.
type connQueue struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newConnQueue(addr net.Addr) *connQueue {
	return &connQueue{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

// put waits until the connection is accepted; it closes it instead when
// the queue or the mux closes first.
func (q *connQueue) put(ctx context.Context, c net.Conn) {
	select {
	case q.ch <- c:
	case <-q.done:
		c.Close()
	case <-ctx.Done():
		c.Close()
	}
}

// Accept implements net.Listener.
func (q *connQueue) Accept() (net.Conn, error) {
	select {
	case c := <-q.ch:
		return c, nil
	case <-q.done:
		return nil, net.ErrClosed
	}
}

// Close implements net.Listener; the underlying port stays open.
func (q *connQueue) Close() error {
	q.once.Do(func() { close(q.done) })
	return nil
}

// Addr implements net.Listener.
func (q *connQueue) Addr() net.Addr { return q.addr }

// prefixConn gives back the byte the Mux read.
type prefixConn struct {
	net.Conn
	first byte
	has   bool
}

// tlsPrefixConn is a prefixConn over a TLS connection the Mux already
// accepted; the Kafka listener takes its state instead of handshaking.
type tlsPrefixConn struct {
	prefixConn
	tc *tls.Conn
}

// ConnectionState reports the TLS state of the connection.
func (c *tlsPrefixConn) ConnectionState() tls.ConnectionState { return c.tc.ConnectionState() }

func (c *prefixConn) Read(b []byte) (int, error) {
	if c.has && len(b) > 0 {
		b[0], c.has = c.first, false
		return 1, nil // a short read; the caller reads on
	}
	return c.Conn.Read(b)
}
