package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// TestSecurityToolsCommandConfig drives kafka-configs-style SCRAM user
// management and the console tools through --command-config /
// --producer.config / --consumer.config over SASL_SSL.
func TestSecurityToolsCommandConfig(t *testing.T) {
	pki := newPKI(t)
	_, addr := startSecureBroker(t, "SASL_SSL", map[string]string{
		"ssl.keystore.location":   pki.server.Keystore,
		"sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-512",
		"listener.name.sasl_ssl.plain.sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required ` +
			`user_admin="admin-secret";`,
	})
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	admin := write("admin.properties", "security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\n"+
		"ssl.truststore.type=PEM\nssl.truststore.location="+pki.client.CA+"\n"+
		`sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret";`+"\n")
	carol := write("carol.properties", "security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n"+
		"ssl.truststore.location="+pki.client.CA+"\n"+
		`sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="carol" password="carol-secret";`+"\n")

	harness.MustTool(t, 30*time.Second, "", "configs", "--bootstrap-server", addr, "--command-config", admin,
		"--alter", "--add-config", "SCRAM-SHA-512=[iterations=8192,password=carol-secret]", "--entity-type", "users", "--entity-name", "carol")
	res := harness.MustTool(t, 30*time.Second, "", "configs", "--bootstrap-server", addr, "--command-config", admin,
		"--describe", "--entity-type", "users", "--entity-name", "carol")
	if !strings.Contains(res.Stdout, "SCRAM-SHA-512=iterations=8192") {
		t.Fatalf("describe users:\n%s", res)
	}
	harness.MustTool(t, 30*time.Second, "", "topics", "--bootstrap-server", addr, "--command-config", carol,
		"--create", "--topic", "carol-topic", "--partitions", "1", "--replication-factor", "1")
	harness.MustTool(t, 30*time.Second, "hello-from-carol\n", "console-producer", "--bootstrap-server", addr,
		"--producer.config", carol, "--topic", "carol-topic")
	res = harness.MustTool(t, 30*time.Second, "", "console-consumer", "--bootstrap-server", addr,
		"--consumer.config", carol, "--topic", "carol-topic", "--from-beginning", "--max-messages", "1")
	if !strings.Contains(res.Stdout, "hello-from-carol") {
		t.Fatalf("console-consumer:\n%s", res)
	}
	// A wrong password fails the tool with the broker's reason.
	bad := write("bad.properties", strings.Replace(mustRead(t, carol), "carol-secret", "nope", 1))
	res = harness.Tool(t, 30*time.Second, "", "topics", "--bootstrap-server", addr, "--command-config", bad, "--list")
	if res.Err == nil || !strings.Contains(res.Stderr+res.Stdout, "SASL_AUTHENTICATION_FAILED") {
		t.Fatalf("wrong password:\n%s", res)
	}
	// And franz-go sees the same credential.
	if err := roundTrip(t, addr, "carol-topic", kgo.DialTLSConfig(pki.clientTLS(t, false)),
		kgo.SASL(scram.Auth{User: "carol", Pass: "carol-secret"}.AsSha512Mechanism())); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
