package network

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/protocol"
)

// queuedRequests bounds how many parsed requests may wait behind the one
// being handled. Reading ahead overlaps decoding with handling for
// pipelining clients (librdkafka and franz-go keep several requests in
// flight) while memory stays bounded by queuedRequests+2 frames.
const queuedRequests = 4

// readBufferSize is each connection's read buffer. It is small because
// idle connections keep it; a frame larger than it is read straight into
// its own buffer.
const readBufferSize = 8 << 10

type conn struct {
	l      *Listener
	nc     net.Conn // after startTLS, the TLS connection over raw
	raw    net.Conn // the accepted connection; Listener.Close closes it
	ctx    context.Context
	cancel context.CancelFunc
	remote string
	host   string // remote IP, without the port
	// principal is the connection's identity, stamped on every request;
	// only the read loop writes it (after TLS or SASL authentication).
	principal string
	auth      authState

	// inFlight counts items the read loop queued that the handle loop has
	// not finished; lastWrite is when the handle loop last wrote
	// (UnixNano). The idle timeout reads both: a connection waiting on a
	// long request, or just answered, is not idle.
	inFlight  atomic.Int32
	lastWrite atomic.Int64

	// The handle loop's Fetch state (splice.go): fetchCtx is ctx carrying
	// regions, which collects each Fetch response's file-backed record
	// sets until they are written; splicer encodes around them.
	fetchCtx context.Context
	regions  *protocol.FetchRegions
	splicer  protocol.Splicer
}

// inbound is one queued item: a request to handle, or a response the read
// loop already decided (a version error it can answer itself).
type inbound struct {
	req   *protocol.Request
	frame *[]byte
	resp  kmsg.Response
	corr  int32
	// raw, when not nil, is written as a bare size-prefixed frame (a
	// SASL token after SaslHandshake v0).
	raw []byte
	// closeAfter closes the connection once the response (if any) is
	// written (failed authentication, as Kafka does).
	closeAfter bool
	// delay holds the answer back (connection.failed.authentication.delay.ms).
	delay time.Duration
}

func newConn(l *Listener, nc net.Conn) *conn {
	ctx, cancel := context.WithCancel(l.ctx)
	remote := nc.RemoteAddr().String()
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	c := &conn{l: l, nc: nc, raw: nc, ctx: ctx, cancel: cancel, remote: remote, host: host, principal: AnonymousPrincipal,
		regions: &protocol.FetchRegions{}}
	c.fetchCtx = protocol.WithFetchRegions(ctx, c.regions)
	c.lastWrite.Store(time.Now().UnixNano())
	return c
}

// run owns the connection: it starts the read loop and handles requests in
// order on the calling goroutine, writing each response before taking the
// next request. It returns once both loops have stopped.
func (c *conn) run() {
	defer func() { c.nc.Close() }()
	defer c.cancel()
	if err := c.startTLS(); err != nil {
		c.l.clientLog.log(c.l.cfg.Logger, "closing connection", "remote", c.remote, "listener", c.l.cfg.Name, "err", err)
		return
	}
	queue := make(chan inbound, queuedRequests)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(queue)
		c.readLoop(queue)
	}()
	c.handleLoop(queue)
	c.cancel()
	c.nc.Close()
	for range queue { // unblock the reader if it is sending
	}
	<-done
}

func (c *conn) readLoop(queue chan<- inbound) {
	r := bufio.NewReaderSize(c.nc, readBufferSize)
	for {
		if !c.awaitFrame(r) {
			return
		}
		bufp := getFrameBuf()
		frame, err := protocol.ReadFrame(r, c.frameLimit(), *bufp)
		if err != nil {
			putFrameBuf(bufp)
			if errors.Is(err, protocol.ErrFrameTooLarge) && c.unauthenticated() {
				err = fmt.Errorf("before SASL authentication (sasl.server.max.receive.size): %w", err)
			}
			c.logReadError(err)
			return
		}
		*bufp = frame
		if c.auth.state == saslRaw {
			in, keep := c.rawToken(frame)
			putFrameBuf(bufp)
			if !c.enqueue(queue, in) || !keep {
				return
			}
			continue
		}
		in := inbound{frame: bufp}
		req, err := c.parse(frame)
		switch {
		case err != nil:
			putFrameBuf(bufp)
			var keep bool
			if in, keep = c.answerParseError(req, err); !keep {
				return
			}
		case c.l.cfg.SASL != nil:
			gated, pass, keep := c.saslGate(req)
			if !pass {
				putFrameBuf(bufp)
				if !keep {
					// Kafka holds back a failed authentication's
					// answer and close, slowing password guessing.
					gated.closeAfter, gated.delay = true, c.l.cfg.FailedAuthDelay
				}
				if !c.enqueue(queue, gated) || !keep {
					return
				}
				continue
			}
			fallthrough
		default:
			req.ClientHost = c.host
			req.Principal = c.principal
			req.Listener = c.l.cfg.Name
			in.req = req
		}
		if !c.enqueue(queue, in) {
			if in.frame != nil {
				putFrameBuf(in.frame)
			}
			return
		}
	}
}

// parse decodes a frame. Until SASL authentication completes, a request
// other than ApiVersions, SaslHandshake and SaslAuthenticate is refused
// (saslGate) from its header alone and its body is never decoded, as in
// Kafka: decoding it could build objects many times the frame's size
// (an array element of a byte or two becomes a struct of tens), which a
// client that has not authenticated must not be able to cause.
func (c *conn) parse(frame []byte) (*protocol.Request, error) {
	if c.unauthenticated() {
		hdr, err := protocol.ParseHeader(frame)
		if err == nil && !preAuthAPI(hdr.Key) {
			return &protocol.Request{Header: hdr}, nil
		}
	}
	return protocol.ParseRequest(frame, c.l.cfg.Versions)
}

// preAuthAPI reports whether key may be served before SASL authentication.
func preAuthAPI(key int16) bool {
	switch key {
	case int16(kmsg.ApiVersions), int16(kmsg.SASLHandshake), int16(kmsg.SASLAuthenticate):
		return true
	}
	return false
}

// unauthenticated reports whether the connection is on a SASL listener
// and not (or no longer, while re-authenticating) authenticated.
func (c *conn) unauthenticated() bool {
	return c.l.cfg.SASL != nil && c.auth.state != saslDone
}

// frameLimit is the largest frame the connection may send next:
// sasl.server.max.receive.size until SASL authentication completes, then
// socket.request.max.bytes.
func (c *conn) frameLimit() int32 {
	limit := c.l.cfg.MaxRequestBytes
	if c.unauthenticated() {
		sasl := c.l.cfg.SASLMaxReceiveBytes
		if sasl <= 0 {
			sasl = DefaultSASLMaxReceiveBytes
		}
		limit = min(limit, sasl)
	}
	return limit
}

// awaitFrame waits for the first byte of the next frame and reports
// whether to read it; waiting holds no frame buffer, so an idle connection
// costs little memory. The connection is idle, and closed, once it has
// received nothing, written nothing and had no request in progress for
// connections.max.idle.ms. Once a frame begins, the whole of it must
// arrive within that time too (the deadline stays set for ReadFrame), so
// a half-sent frame cannot hold the connection.
func (c *conn) awaitFrame(r *bufio.Reader) bool {
	idle := c.l.cfg.MaxIdle
	if idle <= 0 {
		_, err := r.Peek(1)
		if err != nil {
			c.logReadError(err)
		}
		return err == nil
	}
	wait := idle
	for {
		_ = c.nc.SetReadDeadline(time.Now().Add(wait))
		_, err := r.Peek(1)
		if err == nil {
			_ = c.nc.SetReadDeadline(time.Now().Add(idle))
			return true
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			c.logReadError(err)
			return false
		}
		sinceWrite := time.Since(time.Unix(0, c.lastWrite.Load()))
		switch {
		case c.inFlight.Load() > 0:
			wait = idle
		case sinceWrite < idle:
			wait = idle - sinceWrite
		default:
			c.l.clientLog.log(c.l.cfg.Logger, "closing idle connection (connections.max.idle.ms)",
				"remote", c.remote, "listener", c.l.cfg.Name, "idle", idle)
			return false
		}
	}
}

// enqueue hands an answer the read loop decided to the handle loop; false
// means the connection is closing.
func (c *conn) enqueue(queue chan<- inbound, in inbound) bool {
	c.inFlight.Add(1)
	select {
	case queue <- in:
		return true
	case <-c.ctx.Done():
		c.inFlight.Add(-1)
		return false
	}
}

func (c *conn) logReadError(err error) {
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || c.ctx.Err() != nil {
		return
	}
	c.l.clientLog.log(c.l.cfg.Logger, "closing connection", "remote", c.remote, "listener", c.l.cfg.Name, "err", err)
}
