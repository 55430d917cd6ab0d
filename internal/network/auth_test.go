package network

import (
	"context"
	"crypto/tls"
	"crypto/x509/pkix"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/security"
	"github.com/samsa-io/samsa/internal/security/certtest"
	"github.com/samsa-io/samsa/protocol"
)

// authHandler answers ApiVersions and Metadata and records principals.
type authHandler struct {
	vs *protocol.Versions
	mu sync.Mutex
	p  []string
}

func (h *authHandler) Handle(_ context.Context, req *protocol.Request) kmsg.Response {
	switch req.Key {
	case int16(kmsg.ApiVersions):
		resp := kmsg.NewPtrApiVersionsResponse()
		resp.ApiKeys = h.vs.ApiKeys()
		return resp
	case int16(kmsg.Metadata):
		h.mu.Lock()
		h.p = append(h.p, req.Principal)
		h.mu.Unlock()
		resp := kmsg.NewPtrMetadataResponse()
		resp.ControllerID = 42
		return resp
	}
	return nil
}

func (h *authHandler) principals() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.p...)
}

type tlsFixture struct {
	server, client *tls.Config
}

func newTLSFixture(t *testing.T, clientAuth string, clientCN string) tlsFixture {
	t.Helper()
	ca := certtest.NewCA(t, "ca")
	dir := t.TempDir()
	sf := certtest.WriteFiles(t, dir, "server", ca, ca.Issue(t, pkix.Name{CommonName: "localhost"}, "localhost", "127.0.0.1"))
	stc, err := security.ServerTLS(config.SSL{KeystoreLocation: sf.Keystore, TruststoreLocation: sf.CA, ClientAuth: clientAuth})
	if err != nil {
		t.Fatal(err)
	}
	cs := config.SSL{TruststoreLocation: sf.CA, EndpointIdentification: "https"}
	if clientCN != "" {
		cf := certtest.WriteFiles(t, dir, "client", ca, ca.Issue(t, pkix.Name{CommonName: clientCN, Organization: []string{"Example"}}))
		cs.KeystoreLocation = cf.Keystore
	}
	ctc, err := security.ClientTLS(cs)
	if err != nil {
		t.Fatal(err)
	}
	return tlsFixture{server: stc, client: ctc}
}

func startSecure(t testing.TB, cfg Config) (*Listener, *authHandler) {
	t.Helper()
	vs := protocol.NewVersions([]protocol.VersionRange{
		{Key: int16(kmsg.Metadata), Min: 0, Max: 12},
		{Key: int16(kmsg.ApiVersions), Min: 0, Max: 3},
		{Key: int16(kmsg.SASLHandshake), Min: 0, Max: 1},
		{Key: int16(kmsg.SASLAuthenticate), Min: 0, Max: 2},
	})
	h := &authHandler{vs: vs}
	cfg.Name, cfg.Addr, cfg.MaxRequestBytes, cfg.Versions, cfg.Handler = "SECURE", "127.0.0.1:0", 1<<20, vs, h
	l, err := Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l.Serve()
	t.Cleanup(func() { l.Close() })
	return l, h
}

func metadataVia(t *testing.T, addr string, opts ...kgo.Opt) error {
	t.Helper()
	opts = append(opts, kgo.SeedBrokers(addr), kgo.RequestRetries(0), kgo.RetryTimeout(time.Second))
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := cl.Request(ctx, kmsg.NewPtrMetadataRequest())
	if err != nil {
		return err
	}
	if resp.(*kmsg.MetadataResponse).ControllerID != 42 {
		t.Fatalf("unexpected metadata response %+v", resp)
	}
	return nil
}

func TestTLSListenerPrincipals(t *testing.T) {
	f := newTLSFixture(t, "required", "alice")
	mapper, _ := security.NewPrincipalMapper("DEFAULT")
	l, h := startSecure(t, Config{TLS: f.server, PrincipalMapper: mapper})
	if err := metadataVia(t, l.Addr().String(), kgo.DialTLSConfig(f.client.Clone())); err != nil {
		t.Fatal(err)
	}
	if p := h.principals(); len(p) != 1 || p[0] != "User:CN=alice,O=Example" {
		t.Fatalf("principals %v", p)
	}
	// No client certificate: the handshake fails and nothing is served.
	noCert := newTLSFixture(t, "none", "")
	noCert.client.RootCAs = f.client.RootCAs
	if err := metadataVia(t, l.Addr().String(), kgo.DialTLSConfig(noCert.client)); err == nil {
		t.Fatal("served a client without a certificate")
	}
	// Plaintext on a TLS port fails too, and the listener keeps serving.
	if err := metadataVia(t, l.Addr().String()); err == nil {
		t.Fatal("served plaintext on a TLS listener")
	}
	if err := metadataVia(t, l.Addr().String(), kgo.DialTLSConfig(f.client.Clone())); err != nil {
		t.Fatalf("listener stopped serving: %v", err)
	}
}

func TestSASLPlainOverTLS(t *testing.T) {
	f := newTLSFixture(t, "none", "")
	auth := security.NewAuthenticator([]string{"PLAIN"}, map[string]string{"alice": "alice-secret"}, nil)
	l, h := startSecure(t, Config{TLS: f.server, SASL: auth, MaxReauthMs: 60000})
	addr := l.Addr().String()
	mech := func(u, p string) kgo.Opt { return kgo.SASL(plain.Auth{User: u, Pass: p}.AsMechanism()) }
	if err := metadataVia(t, addr, kgo.DialTLSConfig(f.client.Clone()), mech("alice", "alice-secret")); err != nil {
		t.Fatal(err)
	}
	err := metadataVia(t, addr, kgo.DialTLSConfig(f.client.Clone()), mech("alice", "wrong"))
	if !errors.Is(err, kerr.SaslAuthenticationFailed) {
		t.Fatalf("wrong password: %v", err)
	}
	if err := metadataVia(t, addr, kgo.DialTLSConfig(f.client.Clone())); err == nil {
		t.Fatal("served a request before authentication")
	}
	if p := h.principals(); len(p) != 1 || p[0] != "User:alice" {
		t.Fatalf("principals %v", p)
	}
}

// KIP-368: with connections.max.reauth.ms the session lifetime is
// reported; franz-go re-authenticates before it ends and keeps working,
// while a raw client that does not is disconnected at its next request.
func TestSASLReauthentication(t *testing.T) {
	auth := security.NewAuthenticator([]string{"PLAIN"}, map[string]string{"alice": "alice-secret"}, nil)
	l, h := startSecure(t, Config{SASL: auth, MaxReauthMs: 400})
	addr := l.Addr().String()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.SASL(plain.Auth{User: "alice", Pass: "alice-secret"}.AsMechanism()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 3 {
		if _, err := cl.Request(ctx, kmsg.NewPtrMetadataRequest()); err != nil {
			t.Fatalf("metadata across re-authentication: %v", err)
		}
		time.Sleep(500 * time.Millisecond) // past the session lifetime
	}
	if n := len(h.principals()); n != 3 {
		t.Fatalf("served %d requests", n)
	}

	// A raw v1 exchange, then a request after the lifetime: closed.
	c := dialAddr(t, addr)
	f := kmsg.NewRequestFormatter()
	body := authenticateAlice(t, c, f)
	resp := kmsg.NewPtrSASLAuthenticateResponse()
	resp.SetVersion(1)
	if err := resp.ReadFrom(body); err != nil || resp.ErrorCode != 0 || resp.SessionLifetimeMillis != 400 {
		t.Fatalf("authenticate: %v %+v", err, resp)
	}
	time.Sleep(500 * time.Millisecond)
	c.Write(metadataFrame(3))
	var one [1]byte
	if _, err := c.Read(one[:]); err == nil {
		t.Fatal("expired session still served")
	}
}

// SaslHandshake v0 is followed by bare SASL tokens (no Kafka header).
func TestSASLHandshakeV0RawTokens(t *testing.T) {
	auth := security.NewAuthenticator([]string{"PLAIN"}, map[string]string{"alice": "alice-secret"}, nil)
	l, h := startSecure(t, Config{SASL: auth})
	c := dialAddr(t, l.Addr().String())
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Mechanism = "PLAIN"
	c.Write(kmsg.NewRequestFormatter().AppendRequest(nil, hs, 1))
	readResponse(t, c)
	tok := []byte("\x00alice\x00alice-secret")
	c.Write(append([]byte{0, 0, 0, byte(len(tok))}, tok...))
	var size [4]byte
	if _, err := io.ReadFull(c, size[:]); err != nil || size != [4]byte{} {
		t.Fatalf("raw token reply: %v %v", size, err)
	}
	c.Write(metadataFrame(2))
	if corr, _ := readResponse(t, c); corr != 2 {
		t.Fatalf("correlation %d", corr)
	}
	if p := h.principals(); len(p) != 1 || p[0] != "User:alice" {
		t.Fatalf("principals %v", p)
	}
}

// authenticateAlice runs a SaslHandshake v1 and a PLAIN SaslAuthenticate v1
// as alice on c (correlation ids 1 and 2) and returns the
// SaslAuthenticate response body.
func authenticateAlice(t *testing.T, c net.Conn, f *kmsg.RequestFormatter) []byte {
	t.Helper()
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.SetVersion(1)
	hs.Mechanism = "PLAIN"
	au := kmsg.NewPtrSASLAuthenticateRequest()
	au.SetVersion(1)
	au.SASLAuthBytes = []byte("\x00alice\x00alice-secret")
	c.Write(f.AppendRequest(nil, hs, 1))
	readResponse(t, c)
	c.Write(f.AppendRequest(nil, au, 2))
	_, body := readResponse(t, c)
	return body
}
