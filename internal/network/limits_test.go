package network

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/security"
	"github.com/samsa-io/samsa/protocol"
)

// countingLog is a slog.Handler that counts records by message.
type countingLog struct {
	mu sync.Mutex
	n  map[string]int
}

func newCountingLog() *countingLog { return &countingLog{n: map[string]int{}} }

func (h *countingLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingLog) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *countingLog) WithGroup(string) slog.Handler            { return h }
func (h *countingLog) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.n[r.Message]++
	h.mu.Unlock()
	return nil
}

func (h *countingLog) count(prefix string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	total := 0
	for msg, n := range h.n {
		if strings.HasPrefix(msg, prefix) {
			total += n
		}
	}
	return total
}

// startPlain serves Metadata on 127.0.0.1 with cfg's limits.
func startPlain(t *testing.T, cfg Config) *Listener {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "PLAINTEXT"
	}
	cfg.Addr, cfg.MaxRequestBytes = "127.0.0.1:0", 1<<20
	cfg.Versions = protocol.NewVersions([]protocol.VersionRange{{Key: int16(kmsg.Metadata), Min: 0, Max: 12}})
	if cfg.Handler == nil {
		cfg.Handler = &echoHandler{}
	}
	l, err := Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l.Serve()
	t.Cleanup(func() { l.Close() })
	return l
}

// dialFrom connects to addr from the loopback address src (127.0.0.0/8
// is all loopback on Linux, so each src is a distinct client IP).
func dialFrom(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c
}

// served reports whether c answers a Metadata request; a closed
// connection is not served, and a timeout is a test failure.
func served(t *testing.T, c net.Conn, corr int32) bool {
	t.Helper()
	if _, err := c.Write(metadataFrame(corr)); err != nil {
		return false
	}
	var size [4]byte
	_, err := io.ReadFull(c, size[:])
	if err == nil {
		_, err = io.ReadFull(c, make([]byte, binary.BigEndian.Uint32(size[:])))
	}
	if isTimeout(err) {
		t.Fatalf("no answer and not closed: %v", err)
	}
	return err == nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// expectServerClosed fails unless the server closes c (rather than leave it
// open until the client's own deadline).
func expectServerClosed(t *testing.T, c net.Conn, what string) {
	t.Helper()
	var one [1]byte
	_, err := c.Read(one[:])
	switch {
	case err == nil:
		t.Fatalf("%s: the server sent data instead of closing", what)
	case isTimeout(err):
		t.Fatalf("%s: the connection was kept open", what)
	}
}

// before SASL authentication a frame may be at most
// sasl.server.max.receive.size; a larger size prefix closes the connection
// at once, before the frame is read. After authentication the limit is
// socket.request.max.bytes again.
func TestPreAuthFrameOverSASLMaxReceiveSizeIsRefused(t *testing.T) {
	auth := security.NewAuthenticator([]string{"PLAIN"}, map[string]string{"alice": "alice-secret"}, nil)
	l, _ := startSecure(t, Config{SASL: auth, SASLMaxReceiveBytes: 4096})
	c := dialAddr(t, l.Addr().String())
	c.Write(binary.BigEndian.AppendUint32(nil, 64<<10)) // under MaxRequestBytes (1 MiB), over 4096
	expectServerClosed(t, c, "an unauthenticated 64 KiB frame")

	// Authenticated, the same size is served.
	c = dialAddr(t, l.Addr().String())
	f := kmsg.NewRequestFormatter()
	authenticateAlice(t, c, f)
	md := kmsg.NewPtrMetadataRequest()
	md.SetVersion(12)
	for range 70 {
		name := strings.Repeat("t", 1000)
		md.Topics = append(md.Topics, kmsg.MetadataRequestTopic{Topic: &name})
	}
	big := f.AppendRequest(nil, md, 3)
	if len(big) < 64<<10 {
		t.Fatalf("test frame is only %d bytes", len(big))
	}
	c.Write(big)
	if corr, _ := readResponse(t, c); corr != 3 {
		t.Fatalf("correlation %d", corr)
	}
}

// blockingHandler answers after release is closed.
type blockingHandler struct{ release chan struct{} }

func (h *blockingHandler) Handle(ctx context.Context, _ *protocol.Request) kmsg.Response {
	select {
	case <-h.release:
	case <-ctx.Done():
	}
	return kmsg.NewPtrMetadataResponse()
}

// connections.max.idle.ms closes a silent connection and a
// half-sent frame, but not a connection waiting on its own request.
func TestIdleConnectionIsClosed(t *testing.T) {
	const idle = 300 * time.Millisecond
	l := startPlain(t, Config{MaxIdle: idle})
	c := dial(t, l)
	if !served(t, c, 1) {
		t.Fatal("not served")
	}
	expectServerClosed(t, c, "an idle connection")

	half := dial(t, l)
	half.Write([]byte{0, 0})
	expectServerClosed(t, half, "a half-sent size prefix")

	partial := dial(t, l)
	partial.Write(metadataFrame(1)[:8])
	expectServerClosed(t, partial, "a half-sent frame")

	// A request in progress longer than the idle time keeps the
	// connection: the answer arrives.
	h := &blockingHandler{release: make(chan struct{})}
	slow := startPlain(t, Config{MaxIdle: idle, Handler: h})
	c = dial(t, slow)
	c.Write(metadataFrame(7))
	time.Sleep(3 * idle)
	close(h.release)
	if corr, _ := readResponse(t, c); corr != 7 {
		t.Fatalf("correlation %d", corr)
	}
	c.Write(metadataFrame(8)) // still open for the next request
	if corr, _ := readResponse(t, c); corr != 8 {
		t.Fatalf("correlation %d", corr)
	}
}

// max.connections.per.ip closes a connection over the limit
// at once while other addresses still connect; the override replaces the
// default for its address; closing a connection frees its place.
func TestMaxConnectionsPerIP(t *testing.T) {
	limits := NewConnLimits(LimitsConfig{MaxConnections: 100, MaxPerIP: 2,
		PerIPOverrides: map[netip.Addr]int{netip.MustParseAddr("127.0.0.3"): 1}})
	l := startPlain(t, Config{Limits: limits})
	addr := l.Addr().String()
	a1, a2 := dialFrom(t, "127.0.0.1", addr), dialFrom(t, "127.0.0.1", addr)
	if !served(t, a1, 1) || !served(t, a2, 1) {
		t.Fatal("connections under the limit not served")
	}
	expectServerClosed(t, dialFrom(t, "127.0.0.1", addr), "the third connection from 127.0.0.1")
	if b := dialFrom(t, "127.0.0.2", addr); !served(t, b, 1) {
		t.Fatal("127.0.0.2 refused while 127.0.0.1 is at its limit")
	}
	if o := dialFrom(t, "127.0.0.3", addr); !served(t, o, 1) {
		t.Fatal("127.0.0.3 refused its first connection")
	}
	expectServerClosed(t, dialFrom(t, "127.0.0.3", addr), "the second connection from 127.0.0.3 (override 1)")

	// Closing one frees a place (released once the server notices).
	a1.Close()
	for attempt := 0; ; attempt++ {
		if served(t, dialFrom(t, "127.0.0.1", addr), 1) {
			break
		}
		if attempt == 100 {
			t.Fatal("a closed connection's place was never freed")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// at max.connections the listener stops accepting until a
// connection closes; an exempt (inter-broker) listener still accepts.
func TestMaxConnectionsMakesTheAcceptorWait(t *testing.T) {
	limits := NewConnLimits(LimitsConfig{MaxConnections: 2, MaxPerIP: 100, ExemptListeners: []string{"INTERNAL"}})
	l := startPlain(t, Config{Limits: limits})
	internal := startPlain(t, Config{Name: "INTERNAL", Limits: limits})
	a, b := dial(t, l), dial(t, l)
	if !served(t, a, 1) || !served(t, b, 1) {
		t.Fatal("connections under the limit not served")
	}
	waiting := dial(t, l) // the kernel completes the handshake; the broker does not accept
	waiting.Write(metadataFrame(5))
	waiting.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	var size [4]byte
	if _, err := io.ReadFull(waiting, size[:]); !isTimeout(err) {
		t.Fatalf("a connection over max.connections was served or closed: %v", err)
	}
	exempt := dial(t, internal)
	if !served(t, exempt, 1) {
		t.Fatal("the exempt listener did not accept at the broker-wide limit")
	}
	// The exempt connection counts too: two must close to make room.
	exempt.Close()
	a.Close()
	waiting.SetReadDeadline(time.Now().Add(10 * time.Second))
	if corr, _ := readResponse(t, waiting); corr != 5 {
		t.Fatalf("correlation %d", corr)
	}
}

// emfileListener fails every Accept with EMFILE until closed.
type emfileListener struct {
	accepts atomic.Int64
	done    chan struct{}
	once    sync.Once
}

func (f *emfileListener) Accept() (net.Conn, error) {
	f.accepts.Add(1)
	select {
	case <-f.done:
		return nil, net.ErrClosed
	default:
	}
	return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
}

func (f *emfileListener) Close() error { f.once.Do(func() { close(f.done) }); return nil }

func (f *emfileListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// out of file descriptors, the accept loop backs off (5 ms
// doubling to 1 s) instead of spinning and logging each failure. Without
// backoff this window sees hundreds of thousands of calls; with it, about
// ten.
func TestAcceptBacksOffOnEMFILE(t *testing.T) {
	logs := newCountingLog()
	fake := &emfileListener{done: make(chan struct{})}
	l := NewListener(Config{Name: "PLAINTEXT", Logger: slog.New(logs)}, fake)
	l.Serve()
	time.Sleep(1500 * time.Millisecond)
	l.Close()
	n, lines := fake.accepts.Load(), logs.count("accept failed")
	t.Logf("%d Accept calls, %d log lines in 1.5 s", n, lines)
	if n > 100 || lines > 100 {
		t.Fatalf("%d Accept calls and %d log lines in 1.5 s: no backoff", n, lines)
	}
	if n < 2 {
		t.Fatalf("only %d Accept calls: the loop stopped retrying", n)
	}
}

// saslFail runs a SaslHandshake v1 and a SaslAuthenticate with a wrong
// password on a new connection; it returns how long the failure answer
// took after the SaslAuthenticate was written.
func saslFail(t *testing.T, addr string) time.Duration {
	t.Helper()
	c := dialAddr(t, addr)
	f := kmsg.NewRequestFormatter()
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.SetVersion(1)
	hs.Mechanism = "PLAIN"
	c.Write(f.AppendRequest(nil, hs, 1))
	readResponse(t, c)
	au := kmsg.NewPtrSASLAuthenticateRequest()
	au.SetVersion(1)
	au.SASLAuthBytes = []byte("\x00alice\x00guess")
	start := time.Now()
	c.Write(f.AppendRequest(nil, au, 2))
	_, body := readResponse(t, c)
	took := time.Since(start)
	resp := kmsg.NewPtrSASLAuthenticateResponse()
	resp.SetVersion(1)
	if err := resp.ReadFrom(body); err != nil || resp.ErrorCode != kerr.SaslAuthenticationFailed.Code {
		t.Fatalf("authenticate with a wrong password: %v %+v", err, resp)
	}
	expectServerClosed(t, c, "after failed authentication")
	c.Close()
	return took
}

// a failed SASL authentication is answered only after
// connection.failed.authentication.delay.ms, and failures are logged at a
// bounded rate.
func TestFailedSASLAuthenticationIsDelayed(t *testing.T) {
	auth := security.NewAuthenticator([]string{"PLAIN"}, map[string]string{"alice": "alice-secret"}, nil)
	const delay = 400 * time.Millisecond
	l, _ := startSecure(t, Config{SASL: auth, FailedAuthDelay: delay})
	if took := saslFail(t, l.Addr().String()); took < delay {
		t.Fatalf("failure answered after %v, before the %v delay", took, delay)
	}

	logs := newCountingLog()
	l, _ = startSecure(t, Config{SASL: auth, Logger: slog.New(logs)})
	const guesses = 200
	start := time.Now()
	for range guesses {
		saslFail(t, l.Addr().String())
	}
	windows := int(time.Since(start)/clientLogInterval) + 2
	lines := logs.count("SASL authentication failed")
	t.Logf("%d failures in %v logged %d times", guesses, time.Since(start), lines)
	if lines > windows*clientLogBurst || lines == 0 {
		t.Fatalf("%d failures logged %d times; want 1..%d", guesses, lines, windows*clientLogBurst)
	}
}

// connMemory opens n idle connections to l and returns the heap and stack
// the broker side holds per connection.
func connMemory(t *testing.T, l *Listener, n int) uint64 {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range n {
		dial(t, l)
	}
	for attempt := 0; ; attempt++ {
		l.mu.Lock()
		have := len(l.conns)
		l.mu.Unlock()
		if have >= n {
			break
		}
		if attempt == 500 {
			t.Fatalf("only %d of %d connections accepted", have, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // let every connection reach its read
	runtime.GC()
	runtime.ReadMemStats(&after)
	held := (after.HeapInuse + after.StackInuse) - (before.HeapInuse + before.StackInuse)
	return held / uint64(n)
}

// An idle connection (the attack holds thousands) keeps no large buffers:
// the reader's buffer is small and the response buffer grows only when
// there is something to answer. The dialing side's memory is counted too,
// so the bound is loose.
func TestIdleConnectionHoldsLittleMemory(t *testing.T) {
	l := startPlain(t, Config{})
	per := connMemory(t, l, 200)
	t.Logf("%d bytes per idle connection", per)
	if per > 48<<10 {
		t.Fatalf("an idle connection holds %d bytes", per)
	}
}

// Over TLS too, a request in progress past connections.max.idle.ms keeps
// the connection (a read timeout does not break the TLS stream), and a
// silent one is closed.
func TestIdleTimeoutOverTLS(t *testing.T) {
	const idle = 300 * time.Millisecond
	f := newTLSFixture(t, "none", "")
	h := &blockingHandler{release: make(chan struct{})}
	l := startPlain(t, Config{MaxIdle: idle, Handler: h, TLS: f.server})
	raw := dial(t, l)
	conf := f.client.Clone()
	conf.ServerName = "localhost"
	c := tls.Client(raw, conf)
	c.Write(metadataFrame(1))
	time.Sleep(3 * idle)
	close(h.release)
	if corr, _ := readResponse(t, c); corr != 1 {
		t.Fatalf("correlation %d", corr)
	}
	c.Write(metadataFrame(2))
	if corr, _ := readResponse(t, c); corr != 2 {
		t.Fatalf("correlation %d", corr)
	}
	expectServerClosed(t, c, "an idle TLS connection")
}

// max.connections.per.ip.overrides names hosts or addresses; IPv4-mapped
// IPv6 addresses count as their IPv4 address.
func TestResolveOverrides(t *testing.T) {
	got := ResolveOverrides(context.Background(), map[string]int32{
		"localhost": 3, "10.0.0.1": 2, "::ffff:10.0.0.2": 1,
	}, slog.New(slog.DiscardHandler))
	want := map[string]int{"127.0.0.1": 3, "10.0.0.1": 2, "10.0.0.2": 1}
	for ip, n := range want {
		if got[netip.MustParseAddr(ip)] != n {
			t.Errorf("override of %s = %d, want %d (all: %v)", ip, got[netip.MustParseAddr(ip)], n, got)
		}
	}
	if ip := remoteIP(&net.TCPAddr{IP: net.ParseIP("::ffff:127.0.0.2"), Port: 1}); ip != netip.MustParseAddr("127.0.0.2") {
		t.Errorf("remoteIP of a mapped address = %v", ip)
	}
}

// bigHandler answers Metadata with a response of about size bytes.
type bigHandler struct{ size int }

func (h bigHandler) Handle(context.Context, *protocol.Request) kmsg.Response {
	resp := kmsg.NewPtrMetadataResponse()
	rt := kmsg.NewMetadataResponseTopic()
	rt.Topic = kmsg.StringPtr(strings.Repeat("x", h.size))
	resp.Topics = append(resp.Topics, rt)
	return resp
}

// connCount is how many connections l holds.
func connCount(l *Listener) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

// connections.max.idle.ms also closes a connection whose peer stopped
// reading: a response that makes no progress for that long must not pin
// the connection, its goroutines and the response's memory for ever.
func TestIdleTimeoutClosesAPeerThatDoesNotRead(t *testing.T) {
	const idle = 300 * time.Millisecond
	l := startPlain(t, Config{MaxIdle: idle, Handler: bigHandler{size: 64 << 20}})
	c := dial(t, l)
	if _, err := c.Write(metadataFrame(1)); err != nil {
		t.Fatal(err)
	}
	for attempt := 0; connCount(l) == 0; attempt++ {
		if attempt == 250 {
			t.Fatal("connection not accepted")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Never read: the answer fills the socket buffers and stalls.
	for attempt := 0; connCount(l) > 0; attempt++ {
		if attempt == 250 {
			t.Fatalf("a connection whose peer does not read was kept for %v with connections.max.idle.ms=%v", 250*20*time.Millisecond, idle)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Before SASL authentication only ApiVersions, SaslHandshake and
// SaslAuthenticate are decoded; any other request is refused from its
// header, as Kafka does, so a frame under sasl.server.max.receive.size
// cannot make the broker build objects many times its size (a Produce of
// empty topics decodes to ~20 bytes of structs per byte).
func TestPreAuthRequestBodyIsNotDecoded(t *testing.T) {
	auth := security.NewAuthenticator([]string{"PLAIN"}, map[string]string{"alice": "alice-secret"}, nil)
	vs := protocol.NewVersions([]protocol.VersionRange{
		{Key: int16(kmsg.Produce), Min: 3, Max: 9},
		{Key: int16(kmsg.ApiVersions), Min: 0, Max: 3},
		{Key: int16(kmsg.SASLHandshake), Min: 0, Max: 1},
		{Key: int16(kmsg.SASLAuthenticate), Min: 0, Max: 2},
	})
	l, err := Listen(Config{Name: "SECURE", Addr: "127.0.0.1:0", MaxRequestBytes: 1 << 20, Versions: vs,
		Handler: &authHandler{vs: vs}, SASL: auth})
	if err != nil {
		t.Fatal(err)
	}
	l.Serve()
	t.Cleanup(func() { l.Close() })

	req := kmsg.NewPtrProduceRequest()
	req.SetVersion(9)
	req.Topics = make([]kmsg.ProduceRequestTopic, 150_000)
	frame := kmsg.NewRequestFormatter().AppendRequest(nil, req, 1)
	if len(frame) > DefaultSASLMaxReceiveBytes {
		t.Fatalf("frame of %d bytes is over sasl.server.max.receive.size", len(frame))
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c := dial(t, l)
	if _, err := c.Write(frame); err != nil {
		t.Fatal(err)
	}
	expectServerClosed(t, c, "a Produce before SASL authentication")
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d bytes allocated", alloc)
	if alloc > 4<<20 {
		t.Fatalf("a %d-byte frame before authentication made the broker allocate %d bytes", len(frame), alloc)
	}
}
