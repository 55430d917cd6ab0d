package network

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/protocol"
)

// queuedRequests bounds how many parsed requests may wait behind the one
// being handled. Reading ahead overlaps decoding with handling for
// pipelining clients (librdkafka and franz-go keep several requests in
// flight) while memory stays bounded by queuedRequests+2 frames.
const queuedRequests = 4

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
	// closeAfter closes the connection once the response is written
	// (failed authentication, as Kafka does).
	closeAfter bool
}

func newConn(l *Listener, nc net.Conn) *conn {
	ctx, cancel := context.WithCancel(l.ctx)
	remote := nc.RemoteAddr().String()
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	return &conn{l: l, nc: nc, raw: nc, ctx: ctx, cancel: cancel, remote: remote, host: host, principal: AnonymousPrincipal}
}

// run owns the connection: it starts the read loop and handles requests in
// order on the calling goroutine, writing each response before taking the
// next request. It returns once both loops have stopped.
func (c *conn) run() {
	defer func() { c.nc.Close() }()
	defer c.cancel()
	if err := c.startTLS(); err != nil {
		c.l.cfg.Logger.Info("closing connection", "remote", c.remote, "listener", c.l.cfg.Name, "err", err)
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
	r := bufio.NewReaderSize(c.nc, 64<<10)
	for {
		bufp := getFrameBuf()
		frame, err := protocol.ReadFrame(r, c.l.cfg.MaxRequestBytes, *bufp)
		if err != nil {
			putFrameBuf(bufp)
			c.logReadError(err)
			return
		}
		*bufp = frame
		if c.auth.state == saslRaw {
			in, keep := c.rawToken(frame)
			putFrameBuf(bufp)
			if !keep || !c.enqueue(queue, in) {
				return
			}
			continue
		}
		in := inbound{frame: bufp}
		req, err := protocol.ParseRequest(frame, c.l.cfg.Versions)
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
					gated.closeAfter = true
				}
				if gated.resp == nil || !c.enqueue(queue, gated) || !keep {
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
		select {
		case queue <- in:
		case <-c.ctx.Done():
			if in.frame != nil {
				putFrameBuf(in.frame)
			}
			return
		}
	}
}

// enqueue hands an answer the read loop decided to the handle loop; false
// means the connection is closing.
func (c *conn) enqueue(queue chan<- inbound, in inbound) bool {
	select {
	case queue <- in:
		return true
	case <-c.ctx.Done():
		return false
	}
}

func (c *conn) logReadError(err error) {
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || c.ctx.Err() != nil {
		return
	}
	c.l.cfg.Logger.Info("closing connection", "remote", c.remote, "listener", c.l.cfg.Name, "err", err)
}
