package security

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/security/certtest"
)

type scramMap map[string]ScramCredential

func (m scramMap) ScramCredential(mech, user string) (ScramCredential, bool) {
	c, ok := m[mech+"/"+user]
	return c, ok
}

func newScram(t *testing.T, mech, pass string) ScramCredential {
	t.Helper()
	salt := []byte("0123456789abcdef")
	salted, err := SaltedPassword(mech, pass, salt, 4096)
	if err != nil {
		t.Fatal(err)
	}
	c, err := CredentialFromSalted(mech, salted, salt, 4096)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// exchange runs a franz-go client mechanism against a server session.
func exchange(t *testing.T, a *Authenticator, m sasl.Mechanism) (string, error) {
	t.Helper()
	srv, err := a.Start(m.Name())
	if err != nil {
		return "", err
	}
	cli, tok, err := m.Authenticate(context.Background(), "host")
	if err != nil {
		t.Fatal(err)
	}
	for range 4 {
		reply, done, err := srv.Step(tok)
		if err != nil {
			return "", err
		}
		cdone, next, err := cli.Challenge(reply)
		if err != nil {
			t.Fatalf("client rejected the server: %v", err)
		}
		if done {
			if !cdone {
				t.Fatal("server done before the client")
			}
			return srv.Principal(), nil
		}
		tok = next
	}
	t.Fatal("exchange did not finish")
	return "", nil
}

func TestSASLMechanisms(t *testing.T) {
	store := scramMap{
		"SCRAM-SHA-256/alice": newScram(t, MechScramSHA256, "alice-secret"),
		"SCRAM-SHA-512/alice": newScram(t, MechScramSHA512, "alice-secret"),
		"SCRAM-SHA-512/a,b=c": newScram(t, MechScramSHA512, "x"),
	}
	a := NewAuthenticator([]string{MechPlain, MechScramSHA256, MechScramSHA512}, map[string]string{"bob": "bob-secret"}, store)
	cases := []struct {
		name string
		m    sasl.Mechanism
		want string
	}{
		{"plain", plain.Auth{User: "bob", Pass: "bob-secret"}.AsMechanism(), "User:bob"},
		{"plain wrong", plain.Auth{User: "bob", Pass: "nope"}.AsMechanism(), ""},
		{"plain unknown", plain.Auth{User: "eve", Pass: "bob-secret"}.AsMechanism(), ""},
		{"scram256", scram.Auth{User: "alice", Pass: "alice-secret"}.AsSha256Mechanism(), "User:alice"},
		{"scram512", scram.Auth{User: "alice", Pass: "alice-secret"}.AsSha512Mechanism(), "User:alice"},
		{"scram512 escaped", scram.Auth{User: "a,b=c", Pass: "x"}.AsSha512Mechanism(), "User:a,b=c"},
		{"scram wrong", scram.Auth{User: "alice", Pass: "wrong"}.AsSha512Mechanism(), ""},
		{"scram unknown", scram.Auth{User: "mallory", Pass: "alice-secret"}.AsSha256Mechanism(), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := exchange(t, a, tc.m)
			if tc.want == "" {
				if !errors.Is(err, ErrAuthFailed) {
					t.Fatalf("want ErrAuthFailed, got %q, %v", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if _, err := NewAuthenticator([]string{MechPlain}, nil, nil).Start(MechScramSHA256); !errors.Is(err, ErrUnsupportedMechanism) {
		t.Fatalf("disabled mechanism: %v", err)
	}
}

func TestSASLGarbageNeverPanics(t *testing.T) {
	a := NewAuthenticator([]string{MechPlain, MechScramSHA512}, map[string]string{"u": "p"},
		scramMap{"SCRAM-SHA-512/u": newScram(t, MechScramSHA512, "p")})
	inputs := []string{"", "\x00", "\x00\x00", "n", "n,,", "n,,n=u", "n,,n=u,r=", "p=x,n,,n=u,r=a", "y,a=v,n=u,r=x",
		"n,,n=u,r=abc,m=ext", "n,,n==ZZ,r=a", "n,,n=u,r=a=", "c=biws,r=x,p=!!!", strings256()}
	for _, mech := range []string{MechPlain, MechScramSHA512} {
		for _, first := range inputs {
			for _, second := range inputs {
				s, _ := a.Start(mech)
				if _, done, err := s.Step([]byte(first)); err == nil && !done {
					if _, done, err := s.Step([]byte(second)); err == nil || done {
						t.Fatalf("%s accepted %q then %q", mech, first, second)
					}
				} else if done {
					t.Fatalf("%s accepted %q", mech, first)
				}
			}
		}
	}
}

func strings256() string {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return string(b)
}

func TestJAAS(t *testing.T) {
	j, err := ParseJAAS(`org.apache.kafka.common.security.plain.PlainLoginModule required
		username="admin" password="admin-secret" user_admin="admin-secret" user_alice="al\"ice";`)
	if err != nil {
		t.Fatal(err)
	}
	u := j.PlainUsers()
	if j.Options["username"] != "admin" || len(u) != 2 || u["alice"] != `al"ice` {
		t.Fatalf("parsed %+v", j)
	}
	for _, bad := range []string{"", "Mod", "Mod required a=\"b\"", "Mod maybe;", "Mod required a;", "Mod required a=\"b;"} {
		if _, err := ParseJAAS(bad); err == nil {
			t.Errorf("ParseJAAS(%q) accepted", bad)
		}
	}
}

func TestPrincipalMapping(t *testing.T) {
	m, err := NewPrincipalMapper(`RULE:^CN=([a-z]+),OU=svc.*$/$1/U, RULE:^CN=(.*?),O=(.*)$/$1@$2/L, DEFAULT`)
	if err != nil {
		t.Fatal(err)
	}
	for dn, want := range map[string]string{
		"CN=kafka,OU=svc,O=Ex": "KAFKA",
		"CN=Bob,O=Example":     "bob@example",
		"C=DE,CN=x":            "C=DE,CN=x",
	} {
		if got := m.Name(dn); got != want {
			t.Errorf("Name(%q) = %q, want %q", dn, got, want)
		}
	}
	if _, err := NewPrincipalMapper("RULE:abc"); err == nil {
		t.Error("bad rule accepted")
	}
}

func TestTLSHandshakeAndPrincipal(t *testing.T) {
	ca := certtest.NewCA(t, "test-ca")
	dir := t.TempDir()
	srv := certtest.WriteFiles(t, dir, "server", ca, ca.Issue(t, pkix.Name{CommonName: "localhost"}, "localhost", "127.0.0.1"))
	cli := certtest.WriteFiles(t, dir, "client", ca, ca.Issue(t, pkix.Name{CommonName: "alice", OrganizationalUnit: []string{"eng"}, Organization: []string{"Example"}}))
	stc, err := ServerTLS(config.SSL{KeystoreLocation: srv.Keystore, TruststoreLocation: srv.CA, ClientAuth: "required"})
	if err != nil {
		t.Fatal(err)
	}
	ctc, err := ClientTLS(config.SSL{KeystoreLocation: cli.Keystore, TruststoreLocation: cli.CA, EndpointIdentification: "https"})
	if err != nil {
		t.Fatal(err)
	}
	ctc.ServerName = "localhost"
	ln, err := tls.Listen("tcp", "127.0.0.1:0", stc)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- err.Error()
			return
		}
		defer c.Close()
		tc := c.(*tls.Conn)
		tc.SetDeadline(time.Now().Add(5 * time.Second))
		if err := tc.Handshake(); err != nil {
			got <- err.Error()
			return
		}
		mapper, _ := NewPrincipalMapper("DEFAULT")
		got <- mapper.Principal(tc.ConnectionState().PeerCertificates[0])
	}()
	d := net.Dialer{Timeout: 5 * time.Second}
	c, err := tls.DialWithDialer(&d, "tcp", ln.Addr().String(), ctc)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	select {
	case p := <-got:
		if p != "User:CN=alice,OU=eng,O=Example" {
			t.Fatalf("principal %q", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no handshake")
	}
}

func TestServerTLSReloadsRotatedCertificate(t *testing.T) {
	ca := certtest.NewCA(t, "rotate-ca")
	dir := t.TempDir()
	first := certtest.WriteFiles(t, dir, "srv", ca, ca.Issue(t, pkix.Name{CommonName: "first"}, "127.0.0.1"))
	stc, err := ServerTLS(config.SSL{KeystoreLocation: first.Keystore})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", stc)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.CertPEM)
	peerCN := func() string {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ln.Addr().String(), &tls.Config{RootCAs: pool})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].Subject.CommonName
	}
	if cn := peerCN(); cn != "first" {
		t.Fatalf("served %q", cn)
	}
	second := ca.Issue(t, pkix.Name{CommonName: "second"}, "127.0.0.1")
	if err := os.WriteFile(first.Keystore, second.KeystorePEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	os.Chtimes(first.Keystore, later, later)
	if cn := peerCN(); cn != "second" {
		t.Fatalf("after rotation served %q", cn)
	}
	os.WriteFile(first.Keystore, []byte("garbage"), 0o600) // a broken file keeps the last good one
	os.Chtimes(first.Keystore, later.Add(time.Minute), later.Add(time.Minute))
	if cn := peerCN(); cn != "second" {
		t.Fatalf("after a broken rotation served %q", cn)
	}
}
