package cli

import (
	"testing"
)

func TestSecurityOpts(t *testing.T) {
	jaas := `org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="s";`
	ok := []map[string]string{
		{},
		{"security.protocol": "PLAINTEXT"},
		{"security.protocol": "SSL"},
		{"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512", "sasl.jaas.config": jaas},
		{"security.protocol": "sasl_plaintext", "sasl.mechanism": "PLAIN", "sasl.jaas.config": jaas},
	}
	for _, p := range ok {
		if _, err := securityOpts(p); err != nil {
			t.Errorf("%v: %v", p, err)
		}
	}
	bad := []map[string]string{
		{"security.protocol": "KERBEROS"},
		{"security.protocol": "SSL", "ssl.truststore.type": "JKS"},
		{"security.protocol": "SSL", "ssl.truststore.location": "/does/not/exist.pem"},
		{"security.protocol": "SASL_SSL", "sasl.jaas.config": jaas}, // GSSAPI by default
		{"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN"},
		{"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN", "sasl.jaas.config": "x required;"},
	}
	for _, p := range bad {
		if _, err := securityOpts(p); err == nil {
			t.Errorf("%v accepted", p)
		}
	}
}
