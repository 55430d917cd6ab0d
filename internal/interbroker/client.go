package interbroker

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/network"
)

// maxResponseBytes bounds a response frame read from a peer.
const maxResponseBytes = 256 << 20

// ErrClientClosed is returned by a Client after Close.
var ErrClientClosed = errors.New("interbroker: client closed")

// Client is one Kafka-protocol connection to a peer broker, opened lazily
// and reopened after any error. Requests are sent one at a time (the
// caller picks each request's version); responses are matched by
// correlation id. Safe for concurrent use; Close interrupts a request in
// flight.
type Client struct {
	addr string
	fmt  *kmsg.RequestFormatter
	dial network.DialFunc

	mu     sync.Mutex // serializes requests
	conn   net.Conn   // read under mu; written under mu and connMu
	rd     *bufio.Reader
	corr   int32
	buf    []byte
	closed chan struct{}
	once   sync.Once

	connMu  sync.Mutex // guards conn writes (under mu) against Close
	isClose bool

	// maxIdle and lastUsed (under mu): a connection unused for maxIdle is
	// reopened before the next request instead of finding that the peer
	// closed it for idleness (its connections.max.idle.ms).
	maxIdle  time.Duration
	lastUsed time.Time
}

// clientMaxIdle is Kafka's client default for connections.max.idle.ms
// (540000), under the broker's 600000, so the client side gives up an idle
// connection before the broker closes it.
const clientMaxIdle = 540000 * time.Millisecond

// NewClient returns a client for the broker at addr ("host:port").
func NewClient(addr, clientID string) *Client { return NewClientDial(addr, clientID, nil) }

// NewClientDial is NewClient with connections opened by dial (nil: plain
// TCP); a test passes a dialer that injects network faults.
func NewClientDial(addr, clientID string, dial network.DialFunc) *Client {
	return &Client{addr: addr, fmt: kmsg.NewRequestFormatter(kmsg.FormatterClientID(clientID)),
		dial: dial, closed: make(chan struct{}), maxIdle: clientMaxIdle}
}

// Addr is the peer's address.
func (c *Client) Addr() string { return c.addr }

// Request sends req (its version already set) and reads the response. The
// deadline comes from ctx (default 30s).
func (c *Client) Request(ctx context.Context, req kmsg.Request) (kmsg.Response, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ensureConn(ctx); err != nil {
		return nil, err
	}
	resp, err := c.roundTrip(ctx, req)
	if err != nil {
		c.dropConn()
		return nil, fmt.Errorf("%s to %s: %w", kmsg.NameForKey(req.Key()), c.addr, err)
	}
	c.lastUsed = time.Now()
	return resp, nil
}

func (c *Client) ensureConn(ctx context.Context) error {
	if c.conn != nil && time.Since(c.lastUsed) > c.maxIdle {
		c.dropConn()
	}
	if c.conn != nil {
		return nil
	}
	select {
	case <-c.closed:
		return ErrClientClosed
	default:
	}
	dial := c.dial
	if dial == nil {
		d := net.Dialer{}
		dial = d.DialContext
	}
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := dial(dctx, "tcp", c.addr)
	if err != nil {
		return fmt.Errorf("dial %s: %w", c.addr, err)
	}
	c.connMu.Lock()
	defer c.connMu.Unlock()
	if c.isClose {
		conn.Close()
		return ErrClientClosed
	}
	c.conn, c.rd = conn, bufio.NewReaderSize(conn, 64<<10)
	c.lastUsed = time.Now()
	return nil
}

func (c *Client) dropConn() {
	c.connMu.Lock()
	defer c.connMu.Unlock()
	if c.conn != nil {
		c.conn.Close()
	}
	c.conn, c.rd = nil, nil
}

func (c *Client) roundTrip(ctx context.Context, req kmsg.Request) (kmsg.Response, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(30 * time.Second)
	}
	conn := c.conn
	if err := conn.SetDeadline(deadline); err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	c.corr++
	c.buf = c.fmt.AppendRequest(c.buf[:0], req, c.corr)
	if _, err := conn.Write(c.buf); err != nil {
		return nil, err
	}
	body, err := c.readFrame()
	if err != nil {
		return nil, err
	}
	if len(body) < 4 || int32(binary.BigEndian.Uint32(body)) != c.corr {
		return nil, errors.New("response correlation id mismatch")
	}
	body = body[4:]
	resp := req.ResponseKind()
	if resp.IsFlexible() && req.Key() != kmsg.ApiVersions.Int16() {
		if body, err = skipTags(body); err != nil {
			return nil, err
		}
	}
	if err := resp.ReadFrom(body); err != nil {
		return nil, fmt.Errorf("decode response: %w", err)
	}
	return resp, nil
}

func (c *Client) readFrame() ([]byte, error) {
	var size [4]byte
	if _, err := io.ReadFull(c.rd, size[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(size[:]))
	if n < 4 || n > maxResponseBytes {
		return nil, fmt.Errorf("bad response size %d", n)
	}
	body := make([]byte, n) // not pooled: fetched batches alias it
	if _, err := io.ReadFull(c.rd, body); err != nil {
		return nil, err
	}
	return body, nil
}

// skipTags skips the flexible response header's tagged fields.
func skipTags(b []byte) ([]byte, error) {
	n, used := binary.Uvarint(b)
	if used <= 0 {
		return nil, errors.New("bad response header tags")
	}
	b = b[used:]
	for i := uint64(0); i < n; i++ {
		_, u1 := binary.Uvarint(b)
		if u1 <= 0 {
			return nil, errors.New("bad response header tag")
		}
		size, u2 := binary.Uvarint(b[u1:])
		if u2 <= 0 || uint64(len(b)) < uint64(u1+u2)+size {
			return nil, errors.New("bad response header tag size")
		}
		b = b[uint64(u1+u2)+size:]
	}
	return b, nil
}

// Close closes the connection and fails later requests.
func (c *Client) Close() error {
	c.once.Do(func() { close(c.closed) })
	c.connMu.Lock()
	defer c.connMu.Unlock()
	c.isClose = true
	if c.conn != nil {
		return c.conn.Close()
	}
	return nil
}
