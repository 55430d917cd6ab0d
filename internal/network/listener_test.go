package network

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/protocol"
)

// echoHandler answers Metadata with the number of requests seen so far and
// records the order of correlation ids it handled.
type echoHandler struct{ n atomic.Int32 }

func (h *echoHandler) Handle(_ context.Context, req *protocol.Request) kmsg.Response {
	resp := kmsg.NewPtrMetadataResponse()
	resp.ControllerID = h.n.Add(1)
	return resp
}

func startListener(t *testing.T, maxBytes int32) *Listener {
	t.Helper()
	vs := protocol.NewVersions([]protocol.VersionRange{
		{Key: int16(kmsg.Metadata), Min: 0, Max: 12},
		{Key: int16(kmsg.ApiVersions), Min: 0, Max: 4},
	})
	l, err := Listen(Config{Name: "PLAINTEXT", Addr: "127.0.0.1:0", MaxRequestBytes: maxBytes,
		Versions: vs, Handler: &echoHandler{}})
	if err != nil {
		t.Fatal(err)
	}
	l.Serve()
	t.Cleanup(func() { l.Close() })
	return l
}

func dial(t *testing.T, l *Listener) net.Conn {
	t.Helper()
	return dialAddr(t, l.Addr().String())
}

func dialAddr(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c
}

func metadataFrame(corr int32) []byte {
	req := kmsg.NewPtrMetadataRequest()
	req.SetVersion(12)
	return kmsg.NewRequestFormatter().AppendRequest(nil, req, corr)
}

func readResponse(t *testing.T, r io.Reader) (corr int32, body []byte) {
	t.Helper()
	var size [4]byte
	if _, err := io.ReadFull(r, size[:]); err != nil {
		t.Fatalf("read response: %v", err)
	}
	b := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(r, b); err != nil {
		t.Fatalf("read response body: %v", err)
	}
	return int32(binary.BigEndian.Uint32(b)), b[4:]
}

func TestPipelinedResponsesInOrder(t *testing.T) {
	l := startListener(t, 1<<20)
	c := dial(t, l)
	var all []byte
	for i := int32(0); i < 50; i++ {
		all = append(all, metadataFrame(i)...)
	}
	if _, err := c.Write(all); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	for i := int32(0); i < 50; i++ {
		if corr, _ := readResponse(t, r); corr != i {
			t.Fatalf("response %d has correlation id %d", i, corr)
		}
	}
}

func expectClosed(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection still open")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("connection not closed within 5s")
	}
}

func TestBadFramesCloseOnlyThatConnection(t *testing.T) {
	l := startListener(t, 1<<20)
	good := dial(t, l)
	cases := map[string][]byte{
		"oversized":   {0x7f, 0xff, 0xff, 0xff},
		"negative":    {0xff, 0xff, 0xff, 0xfe},
		"unknown key": {0, 0, 0, 10, 0x27, 0x0f, 0, 0, 0, 0, 0, 1, 0xff, 0xff},
		"garbage":     append([]byte{0, 0, 0, 12, 0, 3, 0, 12}, 1, 2, 3, 4, 0xff, 0xff, 0xff, 0xff),
	}
	for name, frame := range cases {
		t.Run(name, func(t *testing.T) {
			bad := dial(t, l)
			bad.Write(frame)
			expectClosed(t, bad)
			good.Write(metadataFrame(1))
			if corr, _ := readResponse(t, good); corr != 1 {
				t.Fatalf("good connection got correlation %d", corr)
			}
		})
	}
}

func TestApiVersionsUnknownVersionGetsV0Answer(t *testing.T) {
	l := startListener(t, 1<<20)
	c := dial(t, l)
	frame := []byte{0, 0, 0, 10, 0, 18, 0, 99, 0, 0, 0, 7, 0xff, 0xff}
	c.Write(frame)
	corr, body := readResponse(t, c)
	if corr != 7 {
		t.Fatalf("correlation %d", corr)
	}
	if code := int16(binary.BigEndian.Uint16(body)); code != 35 {
		t.Fatalf("error code %d, want 35 UNSUPPORTED_VERSION", code)
	}
	c.Write(metadataFrame(8)) // the connection stays usable
	if corr, _ := readResponse(t, c); corr != 8 {
		t.Fatalf("correlation %d after version error", corr)
	}
}

// principalHandler records the principal of the last request it saw.
type principalHandler struct{ p atomic.Value }

func (h *principalHandler) Handle(_ context.Context, req *protocol.Request) kmsg.Response {
	h.p.Store(req.Principal)
	return kmsg.NewPtrMetadataResponse()
}

func TestPlaintextPrincipalIsAnonymous(t *testing.T) {
	vs := protocol.NewVersions([]protocol.VersionRange{{Key: int16(kmsg.Metadata), Min: 0, Max: 12}})
	h := &principalHandler{}
	l, err := Listen(Config{Name: "PLAINTEXT", Addr: "127.0.0.1:0", MaxRequestBytes: 1 << 20, Versions: vs, Handler: h})
	if err != nil {
		t.Fatal(err)
	}
	l.Serve()
	t.Cleanup(func() { l.Close() })
	c := dial(t, l)
	if _, err := c.Write(metadataFrame(1)); err != nil {
		t.Fatal(err)
	}
	readResponse(t, c)
	if got := h.p.Load(); got != AnonymousPrincipal {
		t.Fatalf("principal = %v, want %s", got, AnonymousPrincipal)
	}
}
