package network

import (
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/protocol"
)

// Fetch responses leave their record sets in the segment files
// (protocol.FetchRegions): the handle loop writes the encoded response
// around them. On a plain TCP connection a region goes out with sendfile,
// from the page cache to the socket, never copied through the broker's
// memory; on TLS (or any other wrapped connection) it is read into a
// pooled buffer and written through the connection, which encrypts it.

// errRegionShort: the file holds less than the region named, because a
// follower truncated its log in place after the read. The response cannot
// be completed, so the connection closes (the client retries), as Kafka
// does when a FileRecords was truncated under it.
var errRegionShort = errors.New("record set shorter than read: the log was truncated")

// regionChunk is how much of a region is read into memory at a time when
// sendfile cannot be used, and how much sendfile sends per write deadline
// when connections.max.idle.ms is set.
const regionChunk = 256 << 10

var regionBufPool = sync.Pool{New: func() any { b := make([]byte, regionChunk); return &b }}

// serveFetch answers a Fetch request with its record sets spliced in from
// the files. It reports whether the connection stays open.
func (c *conn) serveFetch(req *protocol.Request, out *[]byte) bool {
	defer c.regions.Release()
	resp := c.handleCtx(c.fetchCtx, req)
	if resp == nil {
		return true
	}
	fr, ok := resp.(*kmsg.FetchResponse)
	if c.regions.Len() == 0 || !ok {
		return c.writeResponse(req.CorrelationID, resp, out)
	}
	pieces, err := c.splicer.Splice(req.CorrelationID, fr, c.regions)
	if err != nil {
		// Not expected; encode the record sets the ordinary way.
		c.l.cfg.Logger.Warn("fetch response: copying record sets", "remote", c.remote, "err", err)
		if err := c.regions.Materialize(fr); err != nil {
			c.logReadError(err)
			return false
		}
		return c.writeResponse(req.CorrelationID, resp, out)
	}
	if c.regions.Bytes() <= smallRecordSets {
		err = c.writeAssembled(pieces, out)
	} else {
		err = c.writePieces(pieces)
	}
	if err != nil {
		c.logReadError(err)
		return false
	}
	return true
}

// smallRecordSets is the size up to which a response's record sets are
// read into the response buffer and written with it: one write and one
// TCP segment instead of a write, a sendfile and a write per partition,
// which at low rates (a consumer at the tail, a few KiB per fetch) costs
// more than the copy saves.
const smallRecordSets = 32 << 10

// writeAssembled reads the regions into *out between the bytes pieces and
// writes the whole response at once.
func (c *conn) writeAssembled(pieces []protocol.Piece, out *[]byte) error {
	buf := (*out)[:0]
	for _, p := range pieces {
		if p.Region == nil {
			buf = append(buf, p.Bytes...)
			continue
		}
		at := len(buf)
		buf = slices.Grow(buf, p.Region.Len)[:at+p.Region.Len]
		if _, err := p.Region.File.ReadAt(buf[at:], p.Region.Pos); err != nil {
			*out = buf[:0]
			if errors.Is(err, io.EOF) {
				err = errRegionShort
			}
			return fmt.Errorf("read record set: %w", err)
		}
	}
	*out = buf
	return c.write(buf)
}

// writeResponse encodes resp into *out and writes it.
func (c *conn) writeResponse(corr int32, resp kmsg.Response, out *[]byte) bool {
	*out = protocol.AppendResponse((*out)[:0], corr, resp)
	if err := c.write(*out); err != nil {
		c.logReadError(err)
		return false
	}
	return true
}

// writePieces writes a spliced response.
func (c *conn) writePieces(pieces []protocol.Piece) error {
	tcp := c.sendfileConn()
	for _, p := range pieces {
		var err error
		switch {
		case p.Region == nil:
			err = c.write(p.Bytes)
		case tcp != nil:
			err = c.sendRegion(tcp, p.Region)
		default:
			err = c.copyRegion(p.Region)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// sendfileConn is the TCP connection sendfile may write to directly, or
// nil when writes must go through a wrapper (TLS, a test's fault injector).
func (c *conn) sendfileConn() *net.TCPConn {
	switch nc := c.nc.(type) {
	case *net.TCPConn:
		return nc
	case *prefixConn: // reads the Mux's byte first; writes go straight through
		tcp, _ := nc.Conn.(*net.TCPConn)
		return tcp
	}
	return nil
}

// sendRegion sends r to tcp with sendfile(2). The file's descriptor is held
// (Control) for the duration, so closing the file meanwhile cannot hand its
// number to another file. With connections.max.idle.ms set, each chunk
// must go out within it, as in write.
func (c *conn) sendRegion(tcp *net.TCPConn, r *protocol.FileRegion) error {
	sock, err := tcp.SyscallConn()
	if err != nil {
		return fmt.Errorf("write record set: %w", err)
	}
	file, err := r.File.SyscallConn()
	if err != nil {
		return fmt.Errorf("write record set: %w", err)
	}
	idle := c.l.cfg.MaxIdle
	off, left := r.Pos, r.Len
	for left > 0 {
		chunk := left
		if idle > 0 {
			chunk = min(left, regionChunk)
			_ = tcp.SetWriteDeadline(time.Now().Add(idle))
		}
		var sendErr, waitErr error // the syscall's, the socket wait's
		ctlErr := file.Control(func(ffd uintptr) {
			waitErr = sock.Write(func(sfd uintptr) bool {
				for chunk > 0 {
					n, e := syscall.Sendfile(int(sfd), int(ffd), &off, chunk)
					if n > 0 {
						chunk -= n
						left -= n
					}
					switch {
					case errors.Is(e, syscall.EAGAIN):
						return false // wait until the socket takes more
					case errors.Is(e, syscall.EINTR):
					case e != nil:
						sendErr = e
						return true
					case n == 0:
						sendErr = errRegionShort
						return true
					}
				}
				return true
			})
		})
		if err := errors.Join(ctlErr, waitErr, sendErr); err != nil {
			return fmt.Errorf("write record set (sendfile): %w", err)
		}
		c.lastWrite.Store(time.Now().UnixNano())
	}
	return nil
}

// copyRegion writes r through the connection via a pooled buffer.
func (c *conn) copyRegion(r *protocol.FileRegion) error {
	bufp := regionBufPool.Get().(*[]byte)
	defer regionBufPool.Put(bufp)
	buf := *bufp
	off, left := r.Pos, r.Len
	for left > 0 {
		n := min(left, len(buf))
		if _, err := r.File.ReadAt(buf[:n], off); err != nil {
			if errors.Is(err, io.EOF) {
				err = errRegionShort
			}
			return fmt.Errorf("read record set: %w", err)
		}
		if err := c.write(buf[:n]); err != nil {
			return err
		}
		off += int64(n)
		left -= n
	}
	return nil
}
