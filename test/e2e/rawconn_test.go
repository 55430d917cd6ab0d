package e2e

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// rawTimeout bounds every read and write on a raw connection.
const rawTimeout = 5 * time.Second

// rawConn speaks the Kafka framing by hand so tests can send what no
// client library would: oversized frames, garbage and bad versions.
type rawConn struct {
	t    *testing.T
	conn net.Conn
	corr int32
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, rawTimeout)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, conn: c}
}

// writeRaw writes bytes as they are, with no size prefix.
func (r *rawConn) writeRaw(p []byte) error {
	_ = r.conn.SetWriteDeadline(time.Now().Add(rawTimeout))
	_, err := r.conn.Write(p)
	return err
}

// writeFrame writes a 4-byte big-endian size followed by payload.
func (r *rawConn) writeFrame(payload []byte) error {
	return r.writeRaw(append(binary.BigEndian.AppendUint32(nil, uint32(len(payload))), payload...))
}

// header encodes a request header: v1 (key, version, correlation id,
// client id) or, when flexible, v2 (v1 plus an empty tagged-field section).
func header(key, version int16, corr int32, flexible bool) []byte {
	h := binary.BigEndian.AppendUint16(nil, uint16(key))
	h = binary.BigEndian.AppendUint16(h, uint16(version))
	h = binary.BigEndian.AppendUint32(h, uint32(corr))
	const clientID = "samsa-e2e-raw"
	h = binary.BigEndian.AppendUint16(h, uint16(len(clientID)))
	h = append(h, clientID...)
	if flexible {
		h = append(h, 0)
	}
	return h
}

// send writes one request frame and returns its correlation id.
func (r *rawConn) send(key, version int16, flexible bool, body []byte) (int32, error) {
	r.corr++
	return r.corr, r.writeFrame(append(header(key, version, r.corr, flexible), body...))
}

// readFrame reads one response frame, waiting at most rawTimeout.
func (r *rawConn) readFrame() ([]byte, error) {
	_ = r.conn.SetReadDeadline(time.Now().Add(rawTimeout))
	var size [4]byte
	if _, err := io.ReadFull(r.conn, size[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(size[:])
	if n > 64<<20 {
		return nil, fmt.Errorf("response frame of %d bytes", n)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r.conn, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// roundTrip sends a kmsg request at its set version and decodes the reply.
func (r *rawConn) roundTrip(req kmsg.Request) (kmsg.Response, error) {
	corr, err := r.send(req.Key(), req.GetVersion(), req.IsFlexible(), req.AppendTo(nil))
	if err != nil {
		return nil, fmt.Errorf("write: %w", err)
	}
	frame, err := r.readFrame()
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	resp := req.ResponseKind()
	resp.SetVersion(req.GetVersion())
	// Every flexible response has header v1 (tagged fields) except
	// ApiVersions, which always uses header v0.
	body, err := responseBody(frame, corr, resp.IsFlexible() && req.Key() != 18)
	if err != nil {
		return nil, err
	}
	if err := resp.ReadFrom(body); err != nil {
		return nil, fmt.Errorf("decode %T v%d: %w", resp, req.GetVersion(), err)
	}
	return resp, nil
}

// responseBody checks the correlation id and strips the response header.
func responseBody(frame []byte, corr int32, flexibleHeader bool) ([]byte, error) {
	if len(frame) < 4 {
		return nil, fmt.Errorf("response of %d bytes", len(frame))
	}
	if got := int32(binary.BigEndian.Uint32(frame)); got != corr {
		return nil, fmt.Errorf("correlation id %d, want %d", got, corr)
	}
	body := frame[4:]
	if !flexibleHeader {
		return body, nil
	}
	var b kbinReader = body
	n := b.uvarint()
	for range n {
		b.uvarint()
		size := b.uvarint()
		b.skip(int(size))
	}
	if b == nil {
		return nil, errors.New("truncated response header tags")
	}
	return b, nil
}

// kbinReader is a tiny byte reader for uvarints; it becomes nil on underflow.
type kbinReader []byte

func (b *kbinReader) uvarint() uint64 {
	v, n := binary.Uvarint(*b)
	if n <= 0 {
		*b = nil
		return 0
	}
	*b = (*b)[n:]
	return v
}

func (b *kbinReader) skip(n int) {
	if n > len(*b) {
		*b = nil
		return
	}
	*b = (*b)[n:]
}

// closedOrAnswered waits up to rawTimeout for the broker to react to what
// was just written: it returns "closed" or "answered", or an error if the
// broker neither closed the connection nor replied.
func (r *rawConn) closedOrAnswered() (string, error) {
	_, err := r.readFrame()
	switch {
	case err == nil:
		return "answered", nil
	case isClosed(err):
		return "closed", nil
	default:
		return "", fmt.Errorf("neither closed nor answered: %w", err)
	}
}

// expectClosed fails unless the broker closes the connection in time.
func (r *rawConn) expectClosed(what string) {
	r.t.Helper()
	frame, err := r.readFrame()
	if err == nil {
		r.t.Errorf("%s: broker answered (%d bytes) instead of closing the connection", what, len(frame))
		return
	}
	if !isClosed(err) {
		r.t.Errorf("%s: connection not closed within %v: %v", what, rawTimeout, err)
	}
}

// isClosed reports whether a read error means the peer closed or reset
// the connection (as opposed to a timeout).
func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		(!errors.Is(err, os.ErrDeadlineExceeded) && errors.Is(err, net.ErrClosed))
}
