package compat

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/samsa-io/samsa/internal/security/certtest"
	"github.com/samsa-io/samsa/test/internal/harness"
)

// securityBroker starts a broker whose advertised listener is a secured
// one (name), behind a PLAINTEXT listener for the readiness probe.
func securityBroker(t *testing.T, name string, extra map[string]string) string {
	t.Helper()
	secure := "127.0.0.1:" + strconv.Itoa(harness.FreePort(t))
	props := map[string]string{
		"listeners":                  "PLAINTEXT://127.0.0.1:" + strconv.Itoa(harness.FreePort(t)) + "," + name + "://" + secure,
		"inter.broker.listener.name": name,
	}
	for k, v := range extra {
		props[k] = v
	}
	harness.Start(t, props)
	return secure
}

type compatPKI struct {
	ca                    *certtest.CA
	server, client, other certtest.Files
}

func newCompatPKI(t *testing.T) compatPKI {
	t.Helper()
	dir := t.TempDir()
	ca := certtest.NewCA(t, "compat-ca")
	otherCA := certtest.NewCA(t, "untrusted-ca")
	return compatPKI{
		ca:     ca,
		server: certtest.WriteFiles(t, dir, "broker", ca, ca.Issue(t, pkix.Name{CommonName: "localhost"}, "localhost", "127.0.0.1")),
		client: certtest.WriteFiles(t, dir, "client", ca, ca.Issue(t, pkix.Name{CommonName: "kcat-client"})),
		other:  certtest.WriteFiles(t, dir, "other", otherCA, otherCA.Issue(t, pkix.Name{CommonName: "mallory"})),
	}
}

// TestSecurityClients connects kcat and confluent-kafka-python over
// SASL_SSL with PLAIN and SCRAM-SHA-512 and over mTLS; wrong passwords,
// unknown users and untrusted certificates are refused while the broker
// keeps serving.
func TestSecurityClients(t *testing.T) {
	kcat := harness.RequireTool(t, "kcat")
	pki := newCompatPKI(t)
	sasl := securityBroker(t, "SASL_SSL", map[string]string{
		"ssl.keystore.location":   pki.server.Keystore,
		"sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-512",
		"listener.name.sasl_ssl.plain.sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required ` +
			`user_admin="admin-secret" user_alice="alice-secret";`,
	})
	mtls := securityBroker(t, "SSL", map[string]string{
		"ssl.keystore.location":   pki.server.Keystore,
		"ssl.truststore.location": pki.server.CA,
		"ssl.client.auth":         "required",
	})
	// SCRAM user bob, through the admin API as the PLAIN admin.
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pki.ca.CertPEM)
	cl, err := kgo.NewClient(kgo.SeedBrokers(sasl), kgo.DialTLSConfig(&tls.Config{RootCAs: pool}),
		kgo.SASL(plain.Auth{User: "admin", Pass: "admin-secret"}.AsMechanism()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adm := kadm.NewClient(cl)
	if res, err := adm.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{User: "bob", Mechanism: kadm.ScramSha512, Iterations: 4096, Password: "bob-secret"}}); err != nil || res.Error() != nil {
		t.Fatalf("create SCRAM user: %v %v", err, res.Error())
	}
	for _, topic := range []string{"kcat-plain", "kcat-scram", "kcat-mtls", "py-plain", "py-scram", "py-mtls"} {
		b := sasl
		if strings.HasSuffix(topic, "mtls") {
			continue // created by the producer (auto-create)
		}
		if _, err := adm.CreateTopics(ctx, 1, 1, nil, topic); err != nil {
			t.Fatalf("create %s on %s: %v", topic, b, err)
		}
	}

	saslX := func(mech, user, pass, ca string) []string {
		return []string{"-X", "security.protocol=SASL_SSL", "-X", "sasl.mechanisms=" + mech,
			"-X", "sasl.username=" + user, "-X", "sasl.password=" + pass, "-X", "ssl.ca.location=" + ca}
	}
	mtlsX := func(f certtest.Files) []string {
		return []string{"-X", "security.protocol=SSL", "-X", "ssl.ca.location=" + pki.server.CA,
			"-X", "ssl.certificate.location=" + f.Cert, "-X", "ssl.key.location=" + f.Key}
	}
	kcatOK := func(t *testing.T, addr, topic string, x []string) {
		t.Helper()
		in := "one\ntwo\nthree\n"
		r := harness.Run(kcatTimeout, in, kcat, append([]string{"-P", "-b", addr, "-t", topic}, x...)...)
		if r.Err != nil {
			t.Fatalf("kcat -P: %s", r)
		}
		r = harness.Run(kcatTimeout, "", kcat, append([]string{"-C", "-b", addr, "-t", topic, "-o", "beginning", "-e", "-c", "3"}, x...)...)
		if r.Err != nil || r.Stdout != in {
			t.Fatalf("kcat -C got %q: %s", r.Stdout, r)
		}
	}
	kcatRefused := func(t *testing.T, addr string, x []string, want string) {
		t.Helper()
		r := harness.Run(kcatTimeout, "", kcat, append([]string{"-L", "-b", addr, "-m", "5"}, x...)...)
		if r.Err == nil {
			t.Fatalf("kcat -L was served: %s", r)
		}
		if want != "" && !strings.Contains(r.Stderr, want) {
			t.Errorf("kcat -L stderr lacks %q: %s", want, r)
		}
	}
	t.Run("kcat", func(t *testing.T) {
		kcatOK(t, sasl, "kcat-plain", saslX("PLAIN", "alice", "alice-secret", pki.server.CA))
		kcatOK(t, sasl, "kcat-scram", saslX("SCRAM-SHA-512", "bob", "bob-secret", pki.server.CA))
		kcatOK(t, mtls, "kcat-mtls", mtlsX(pki.client))
		kcatRefused(t, sasl, saslX("PLAIN", "alice", "wrong", pki.server.CA), "Authentication failed")
		kcatRefused(t, sasl, saslX("SCRAM-SHA-512", "bob", "wrong", pki.server.CA), "Authentication failed")
		kcatRefused(t, sasl, saslX("SCRAM-SHA-512", "nobody", "x", pki.server.CA), "Authentication failed")
		kcatRefused(t, sasl, saslX("PLAIN", "alice", "alice-secret", pki.other.CA), "") // untrusted broker cert
		kcatRefused(t, mtls, mtlsX(pki.other), "")                                      // untrusted client cert
		kcatOK(t, sasl, "kcat-plain", saslX("PLAIN", "alice", "alice-secret", pki.server.CA))
	})

	t.Run("python", func(t *testing.T) {
		python := harness.RequirePythonModule(t, "confluent_kafka")
		script, err := filepath.Abs(filepath.Join("python", "security.py"))
		if err != nil {
			t.Fatal(err)
		}
		saslConf := func(mech, user, pass string) []string {
			return []string{"security.protocol=SASL_SSL", "sasl.mechanisms=" + mech, "sasl.username=" + user,
				"sasl.password=" + pass, "ssl.ca.location=" + pki.server.CA}
		}
		run := func(addr, topic, mode string, conf []string) {
			t.Helper()
			r := harness.Run(2*time.Minute, "", python, append([]string{script, addr, topic, mode}, conf...)...)
			if r.Err != nil || !strings.Contains(r.Stdout, "OK:") {
				t.Fatalf("security.py %s %s: %s", topic, mode, r)
			}
			t.Log(strings.TrimSpace(r.Stdout))
		}
		run(sasl, "py-plain", "ok", saslConf("PLAIN", "alice", "alice-secret"))
		run(sasl, "py-scram", "ok", saslConf("SCRAM-SHA-512", "bob", "bob-secret"))
		run(mtls, "py-mtls", "ok", []string{"security.protocol=SSL", "ssl.ca.location=" + pki.server.CA,
			"ssl.certificate.location=" + pki.client.Cert, "ssl.key.location=" + pki.client.Key})
		run(sasl, "py-plain", "fail", saslConf("SCRAM-SHA-512", "bob", "wrong"))
		run(sasl, "py-plain", "fail", saslConf("PLAIN", "mallory", "x"))
		run(mtls, "py-mtls", "fail", []string{"security.protocol=SSL", "ssl.ca.location=" + pki.server.CA,
			"ssl.certificate.location=" + pki.other.Cert, "ssl.key.location=" + pki.other.Key})
	})
}
