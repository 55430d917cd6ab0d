package network

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/protocol"
)

// handleLoop takes requests in arrival order, handles each and writes its
// response before the next, so responses leave in request order.
func (c *conn) handleLoop(queue <-chan inbound) {
	var out []byte // grows with the first response: idle connections hold none
	for in := range queue {
		keep := c.serve(in, &out)
		c.inFlight.Add(-1)
		if !keep {
			return
		}
		if cap(out) > 8<<20 { // don't pin a huge buffer after one large fetch
			out = nil
		}
	}
}

// serve answers one queued item, using *out as the write buffer, and
// reports whether the connection stays open.
func (c *conn) serve(in inbound, out *[]byte) bool {
	if in.delay > 0 && !c.sleep(in.delay) {
		return false
	}
	if in.req != nil && in.req.Key == int16(kmsg.Fetch) {
		keep := c.serveFetch(in.req, out)
		putFrameBuf(in.frame)
		return keep && !in.closeAfter
	}
	resp, corr := in.resp, in.corr
	if in.req != nil {
		corr = in.req.CorrelationID
		resp = c.handle(in.req)
	}
	if in.frame != nil {
		putFrameBuf(in.frame)
	}
	switch {
	case in.raw != nil:
		*out = binary.BigEndian.AppendUint32((*out)[:0], uint32(len(in.raw)))
		*out = append(*out, in.raw...)
	case resp == nil:
		return !in.closeAfter
	default:
		*out = protocol.AppendResponse((*out)[:0], corr, resp)
	}
	if err := c.write(*out); err != nil {
		c.logReadError(err)
		return false
	}
	return !in.closeAfter
}

// writeChunk is how much of a response write waits for at a time when
// connections.max.idle.ms is set.
const writeChunk = 64 << 10

// write sends b. With connections.max.idle.ms set, a peer that takes
// nothing for that long (it stopped reading) fails the write, as Kafka
// closes a connection without progress: otherwise it would pin the
// connection and the response's memory (up to fetch.max.bytes) for ever,
// since a connection with a request in flight is never idle. Each chunk
// that goes through restarts the wait, so a slow reader keeps going.
func (c *conn) write(b []byte) error {
	idle := c.l.cfg.MaxIdle
	if idle <= 0 {
		if _, err := c.nc.Write(b); err != nil {
			return fmt.Errorf("write response: %w", err)
		}
		c.lastWrite.Store(time.Now().UnixNano())
		return nil
	}
	for len(b) > 0 {
		n := min(len(b), writeChunk)
		_ = c.nc.SetWriteDeadline(time.Now().Add(idle))
		if _, err := c.nc.Write(b[:n]); err != nil {
			return fmt.Errorf("write response (connections.max.idle.ms %v): %w", idle, err)
		}
		b = b[n:]
		c.lastWrite.Store(time.Now().UnixNano())
	}
	return nil
}

// sleep waits d, or reports false when the connection closes first.
func (c *conn) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.ctx.Done():
		return false
	}
}

// handle runs the handler, converting a panic into a closed connection: a
// bug triggered by one client must not take the broker down.
func (c *conn) handle(req *protocol.Request) kmsg.Response { return c.handleCtx(c.ctx, req) }

// handleCtx is handle with the request's context: the connection's, or
// one derived from it (serveFetch's carries the region collector).
func (c *conn) handleCtx(ctx context.Context, req *protocol.Request) (resp kmsg.Response) {
	defer func() {
		if r := recover(); r != nil {
			c.l.cfg.Logger.Error("handler panic", "api", kmsg.NameForKey(req.Key), "version", req.Version,
				"remote", c.remote, "panic", r)
			c.nc.Close()
			resp = nil
		}
	}()
	resp = c.l.cfg.Handler.Handle(ctx, req)
	if resp != nil {
		resp.SetVersion(req.Version)
	}
	return resp
}

// answerParseError decides what to do with a request that failed the version
// gate or decoding. ApiVersions with a version we do not know is answered in
// v0 format (KIP-511), so a newer client can fall back; everything else
// closes the connection, as Kafka does. It reports whether to keep reading.
func (c *conn) answerParseError(req *protocol.Request, err error) (inbound, bool) {
	if req != nil && req.Key == int16(kmsg.ApiVersions) && errors.Is(err, protocol.ErrUnsupportedVersion) {
		return inbound{resp: protocol.UnsupportedApiVersions(c.l.cfg.Versions), corr: req.CorrelationID}, true
	}
	attrs := []any{"remote", c.remote, "err", err}
	if req != nil {
		attrs = append(attrs, "api", req.Key, "version", req.Version)
	}
	c.l.clientLog.log(c.l.cfg.Logger, "closing connection after bad request", attrs...)
	return inbound{}, false
}

var framePool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

func getFrameBuf() *[]byte { return framePool.Get().(*[]byte) }

func putFrameBuf(b *[]byte) {
	if cap(*b) > 16<<20 {
		return
	}
	*b = (*b)[:0]
	framePool.Put(b)
}
