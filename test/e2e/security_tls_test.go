package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/samsa-io/samsa/internal/security/certtest"
	"github.com/samsa-io/samsa/test/internal/harness"
)

// securePKI is a CA, the broker's key store and a client certificate.
type securePKI struct {
	ca             *certtest.CA
	server, client certtest.Files
}

func newPKI(t *testing.T) securePKI {
	t.Helper()
	ca := certtest.NewCA(t, "samsa-test-ca")
	dir := t.TempDir()
	return securePKI{
		ca:     ca,
		server: certtest.WriteFiles(t, dir, "broker", ca, ca.Issue(t, pkix.Name{CommonName: "localhost"}, "localhost", "127.0.0.1")),
		client: certtest.WriteFiles(t, dir, "client", ca, ca.Issue(t, pkix.Name{CommonName: "alice", Organization: []string{"Samsa"}})),
	}
}

func (p securePKI) clientTLS(t *testing.T, withCert bool) *tls.Config {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(p.ca.CertPEM)
	tc := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if withCert {
		cert, err := tls.LoadX509KeyPair(p.client.Cert, p.client.Key)
		if err != nil {
			t.Fatal(err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc
}

// startSecureBroker starts a broker whose first listener is PLAINTEXT (for
// the harness's readiness probe) and whose advertised inter-broker
// listener is name, so clients bootstrapped there stay on it.
func startSecureBroker(t *testing.T, name string, extra map[string]string) (*harness.Broker, string) {
	t.Helper()
	secure := "127.0.0.1:" + strconv.Itoa(harness.FreePort(t))
	props := map[string]string{
		"listeners":                  "PLAINTEXT://127.0.0.1:" + strconv.Itoa(harness.FreePort(t)) + "," + name + "://" + secure,
		"inter.broker.listener.name": name,
	}
	for k, v := range extra {
		props[k] = v
	}
	return harness.Start(t, props), secure
}

// roundTrip produces one record and reads it back.
func roundTrip(t *testing.T, addr, topic string, opts ...kgo.Opt) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	opts = append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.AllowAutoTopicCreation(),
		kgo.RetryTimeout(5 * time.Second)}, opts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("secret")}).FirstErr(); err != nil {
		return err
	}
	for ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		if fs.NumRecords() > 0 {
			return nil
		}
	}
	return ctx.Err()
}

// refused checks that a client fails quickly with want (nil: any error).
func refused(t *testing.T, addr string, want error, opts ...kgo.Opt) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.RequestRetries(0), kgo.RetryTimeout(time.Second)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	_, err = kadm.NewClient(cl).ListTopics(ctx)
	if err == nil {
		t.Fatal("an unauthenticated or untrusted client was served")
	}
	if want != nil && !errors.Is(err, want) {
		t.Fatalf("error %v, want %v", err, want)
	}
}

func TestSecuritySASLSSLPlainAndScram(t *testing.T) {
	pki := newPKI(t)
	_, addr := startSecureBroker(t, "SASL_SSL", map[string]string{
		"ssl.keystore.location":   pki.server.Keystore,
		"ssl.truststore.location": pki.server.CA,
		"sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
		"listener.name.sasl_ssl.plain.sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required ` +
			`username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";`,
	})
	tlsOpt := func() kgo.Opt { return kgo.DialTLSConfig(pki.clientTLS(t, false)) }
	plainAs := func(u, p string) kgo.Opt { return kgo.SASL(plain.Auth{User: u, Pass: p}.AsMechanism()) }

	if err := roundTrip(t, addr, "plain-topic", tlsOpt(), plainAs("alice", "alice-secret")); err != nil {
		t.Fatalf("SASL_SSL PLAIN: %v", err)
	}
	refused(t, addr, kerr.SaslAuthenticationFailed, tlsOpt(), plainAs("alice", "wrong"))
	refused(t, addr, kerr.SaslAuthenticationFailed, tlsOpt(), plainAs("nobody", "alice-secret"))
	refused(t, addr, nil, tlsOpt()) // no SASL at all: closed before any request
	// A CA the client does not trust: TLS fails.
	other := newPKI(t)
	refused(t, addr, nil, kgo.DialTLSConfig(other.clientTLS(t, false)), plainAs("alice", "alice-secret"))

	// SCRAM credentials go into the metadata log through the admin API.
	adm := kadm.NewClient(mustClient(t, addr, tlsOpt(), plainAs("admin", "admin-secret")))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := adm.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{
		{User: "bob", Mechanism: kadm.ScramSha512, Iterations: 4096, Password: "bob-secret"},
		{User: "bob", Mechanism: kadm.ScramSha256, Iterations: 8192, Password: "bob-secret-256"},
	})
	if err != nil || res.Error() != nil {
		t.Fatalf("AlterUserSCRAMs: %v %v", err, res.Error())
	}
	desc, err := adm.DescribeUserSCRAMs(ctx, "bob")
	if err != nil || desc.Error() != nil || len(desc["bob"].CredInfos) != 2 {
		t.Fatalf("DescribeUserSCRAMs: %v %+v", err, desc)
	}
	scramAs := func(m sasl.Mechanism) kgo.Opt { return kgo.SASL(m) }
	bob512 := scram.Auth{User: "bob", Pass: "bob-secret"}.AsSha512Mechanism()
	bob256 := scram.Auth{User: "bob", Pass: "bob-secret-256"}.AsSha256Mechanism()
	if err := roundTrip(t, addr, "scram-topic", tlsOpt(), scramAs(bob512)); err != nil {
		t.Fatalf("SASL_SSL SCRAM-SHA-512: %v", err)
	}
	if err := roundTrip(t, addr, "scram-topic", tlsOpt(), scramAs(bob256)); err != nil {
		t.Fatalf("SASL_SSL SCRAM-SHA-256: %v", err)
	}
	refused(t, addr, kerr.SaslAuthenticationFailed, tlsOpt(),
		scramAs(scram.Auth{User: "bob", Pass: "wrong"}.AsSha512Mechanism()))
	refused(t, addr, kerr.SaslAuthenticationFailed, tlsOpt(),
		scramAs(scram.Auth{User: "mallory", Pass: "x"}.AsSha512Mechanism()))
	// Deleting the credential takes effect at the next login.
	if res, err := adm.AlterUserSCRAMs(ctx, []kadm.DeleteSCRAM{{User: "bob", Mechanism: kadm.ScramSha512}}, nil); err != nil || res.Error() != nil {
		t.Fatalf("delete: %v %v", err, res.Error())
	}
	refused(t, addr, kerr.SaslAuthenticationFailed, tlsOpt(), scramAs(bob512))
	// After all the refusals the broker still serves.
	if err := roundTrip(t, addr, "plain-topic", tlsOpt(), plainAs("alice", "alice-secret")); err != nil {
		t.Fatalf("after refusals: %v", err)
	}
}

func TestSecurityMutualTLS(t *testing.T) {
	pki := newPKI(t)
	_, addr := startSecureBroker(t, "SSL", map[string]string{
		"listener.name.ssl.ssl.keystore.certificate.chain": pemLine(pki.server.Cert),
		"listener.name.ssl.ssl.keystore.key":               pemLine(pki.server.Key),
		"listener.name.ssl.ssl.truststore.location":        pki.server.CA,
		"listener.name.ssl.ssl.client.auth":                "required",
	})
	if err := roundTrip(t, addr, "mtls-topic", kgo.DialTLSConfig(pki.clientTLS(t, true))); err != nil {
		t.Fatalf("mTLS: %v", err)
	}
	refused(t, addr, nil, kgo.DialTLSConfig(pki.clientTLS(t, false))) // no client certificate
	other := newPKI(t)
	otherCfg := other.clientTLS(t, true)
	otherCfg.RootCAs = pki.clientTLS(t, false).RootCAs // trusts the broker, but its cert is from another CA
	refused(t, addr, nil, kgo.DialTLSConfig(otherCfg))
	refused(t, addr, nil) // plaintext on the TLS port
	if err := roundTrip(t, addr, "mtls-topic", kgo.DialTLSConfig(pki.clientTLS(t, true))); err != nil {
		t.Fatalf("after refusals: %v", err)
	}
}

func mustClient(t *testing.T, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// pemLine reads a PEM file as one line, as an inline
// ssl.keystore.certificate.chain written over continuation lines reads.
func pemLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return strings.Join(strings.Fields(string(b)), " ")
}
