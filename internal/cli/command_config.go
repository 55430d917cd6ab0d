package cli

import (
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/security"
)

// securityOpts maps Kafka's client security properties (from
// --command-config, --producer.config, --consumer.config or
// --producer-property/--consumer-property) to franz-go options:
// security.protocol, ssl.truststore.*, ssl.keystore.* (PEM only),
// ssl.endpoint.identification.algorithm, sasl.mechanism and
// sasl.jaas.config (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512).
func securityOpts(props map[string]string) ([]kgo.Opt, error) {
	proto := strings.ToUpper(strings.TrimSpace(props["security.protocol"]))
	if proto == "" {
		proto = "PLAINTEXT"
	}
	var useTLS, useSASL bool
	switch proto {
	case "PLAINTEXT":
	case "SSL":
		useTLS = true
	case "SASL_PLAINTEXT":
		useSASL = true
	case "SASL_SSL":
		useTLS, useSASL = true, true
	default:
		return nil, usageErrorf("security.protocol=%s: want PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL", props["security.protocol"])
	}
	var opts []kgo.Opt
	if useTLS {
		get := func(k, def string) string {
			if v, ok := props[k]; ok {
				return strings.TrimSpace(v)
			}
			return def
		}
		for _, k := range []string{"ssl.truststore.type", "ssl.keystore.type"} {
			if t := strings.ToUpper(get(k, "PEM")); t != "PEM" {
				return nil, usageErrorf("%s=%s is not supported: use PEM files (convert JKS/PKCS12 with keytool/openssl)", k, t)
			}
		}
		tc, err := security.ClientTLS(config.SSL{
			KeystoreLocation:         get("ssl.keystore.location", ""),
			KeystoreCertificateChain: get("ssl.keystore.certificate.chain", ""),
			KeystoreKey:              get("ssl.keystore.key", ""),
			TruststoreLocation:       get("ssl.truststore.location", ""),
			TruststoreCertificates:   get("ssl.truststore.certificates", ""),
			EndpointIdentification:   get("ssl.endpoint.identification.algorithm", "https"),
		})
		if err != nil {
			return nil, usageErrorf("client TLS settings: %v", err)
		}
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	if useSASL {
		m, err := saslMechanism(props)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.SASL(m))
	}
	return opts, nil
}

// saslMechanism builds the client mechanism from sasl.mechanism and the
// username/password options of sasl.jaas.config.
func saslMechanism(props map[string]string) (sasl.Mechanism, error) {
	mech := strings.ToUpper(strings.TrimSpace(props["sasl.mechanism"]))
	if mech == "" {
		mech = "GSSAPI" // Kafka's default, which Samsa cannot speak
	}
	jaas := props["sasl.jaas.config"]
	if jaas == "" {
		return nil, usageErrorf("security.protocol=%s needs sasl.jaas.config with username and password", props["security.protocol"])
	}
	j, err := security.ParseJAAS(jaas)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	user, pass := j.Options["username"], j.Options["password"]
	if user == "" {
		return nil, usageErrorf("sasl.jaas.config has no username")
	}
	switch mech {
	case security.MechPlain:
		return plain.Auth{User: user, Pass: pass}.AsMechanism(), nil
	case security.MechScramSHA256:
		return scram.Auth{User: user, Pass: pass}.AsSha256Mechanism(), nil
	case security.MechScramSHA512:
		return scram.Auth{User: user, Pass: pass}.AsSha512Mechanism(), nil
	}
	return nil, usageErrorf("sasl.mechanism=%s is not supported: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", mech)
}
