package config

import (
	"slices"
	"strings"
)

// sslKeys are the ssl.* keys a listener reads. Each may also be given per
// listener as listener.name.<lower-case name>.<key>, which wins, as in Kafka.
var sslKeys = []string{
	"ssl.keystore.type",
	"ssl.keystore.location",
	"ssl.keystore.password",
	"ssl.keystore.certificate.chain",
	"ssl.keystore.key",
	"ssl.key.password",
	"ssl.truststore.type",
	"ssl.truststore.location",
	"ssl.truststore.password",
	"ssl.truststore.certificates",
	"ssl.client.auth",
	"ssl.principal.mapping.rules",
	"ssl.endpoint.identification.algorithm",
	"ssl.enabled.protocols",
	"ssl.protocol",
}

// saslKeys are the sasl.* keys a listener reads, per listener like sslKeys.
// A mechanism's JAAS config is listener.name.<name>.<mechanism>.sasl.jaas.config
// (or <mechanism>.sasl.jaas.config without the listener prefix).
var saslKeys = []string{
	"sasl.enabled.mechanisms",
	"sasl.mechanism.inter.broker.protocol",
	"sasl.jaas.config",
}

// SSL is the TLS configuration of one listener, with Kafka's key names.
// Only PEM key stores and trust stores are supported.
type SSL struct {
	KeystoreType             string // ssl.keystore.type (PEM)
	KeystoreLocation         string // ssl.keystore.location: PEM file with the private key and certificate chain
	KeystoreCertificateChain string // ssl.keystore.certificate.chain: inline PEM chain
	KeystoreKey              string // ssl.keystore.key: inline PEM private key
	KeyPassword              string // ssl.key.password (encrypted PEM keys are not supported)
	TruststoreType           string // ssl.truststore.type (PEM)
	TruststoreLocation       string // ssl.truststore.location: PEM file of trusted CA certificates
	TruststoreCertificates   string // ssl.truststore.certificates: inline PEM CA certificates
	ClientAuth               string // ssl.client.auth: required, requested or none
	PrincipalMappingRules    string // ssl.principal.mapping.rules
	// EndpointIdentification is ssl.endpoint.identification.algorithm:
	// "https" (default) checks the peer's host name when this node dials
	// another broker; "" does not.
	EndpointIdentification string
}

// ListenerSecurity is everything a listener needs to secure its
// connections: its security protocol, TLS settings and SASL mechanisms.
type ListenerSecurity struct {
	Name     string // listener name, upper case
	Protocol string // PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL
	SSL      SSL
	// SASLMechanisms is sasl.enabled.mechanisms (default GSSAPI in Kafka;
	// Samsa serves PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512).
	SASLMechanisms []string
	// InterBrokerMechanism is sasl.mechanism.inter.broker.protocol.
	InterBrokerMechanism string
	// JAAS maps an upper-case mechanism to its sasl.jaas.config value.
	JAAS map[string]string
	// MaxReauthMs is connections.max.reauth.ms; 0 = no re-authentication.
	MaxReauthMs int64
}

// TLS reports whether the listener's protocol runs over TLS.
func (s ListenerSecurity) TLS() bool { return s.Protocol == "SSL" || s.Protocol == "SASL_SSL" }

// SASL reports whether the listener's protocol authenticates with SASL.
func (s ListenerSecurity) SASL() bool {
	return s.Protocol == "SASL_PLAINTEXT" || s.Protocol == "SASL_SSL"
}

// saslMechanisms Samsa can serve.
var saslMechanisms = []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}

// ListenerSecurity resolves the security settings of listener name:
// listener.name.<lower-name>.<key> first, then the plain key.
func (b *Broker) ListenerSecurity(name string) ListenerSecurity {
	name = strings.ToUpper(name)
	prefix := "listener.name." + strings.ToLower(name) + "."
	get := func(key string) string {
		if v, ok := b.Raw[prefix+key]; ok {
			return strings.TrimSpace(v)
		}
		return strings.TrimSpace(b.Raw[key])
	}
	getOr := func(key, def string) string {
		_, per := b.Raw[prefix+key]
		_, glob := b.Raw[key]
		if !per && !glob {
			return def
		}
		return get(key)
	}
	s := ListenerSecurity{
		Name:     name,
		Protocol: b.protocol(name),
		SSL: SSL{
			KeystoreType:             strings.ToUpper(getOr("ssl.keystore.type", "PEM")),
			KeystoreLocation:         get("ssl.keystore.location"),
			KeystoreCertificateChain: get("ssl.keystore.certificate.chain"),
			KeystoreKey:              get("ssl.keystore.key"),
			KeyPassword:              get("ssl.key.password"),
			TruststoreType:           strings.ToUpper(getOr("ssl.truststore.type", "PEM")),
			TruststoreLocation:       get("ssl.truststore.location"),
			TruststoreCertificates:   get("ssl.truststore.certificates"),
			ClientAuth:               strings.ToLower(getOr("ssl.client.auth", "none")),
			PrincipalMappingRules:    getOr("ssl.principal.mapping.rules", "DEFAULT"),
			EndpointIdentification:   getOr("ssl.endpoint.identification.algorithm", "https"),
		},
		InterBrokerMechanism: strings.ToUpper(getOr("sasl.mechanism.inter.broker.protocol", "GSSAPI")),
		JAAS:                 map[string]string{},
		MaxReauthMs:          b.ConnectionsMaxReauthMs,
	}
	for _, m := range splitList(getOr("sasl.enabled.mechanisms", "GSSAPI")) {
		s.SASLMechanisms = append(s.SASLMechanisms, strings.ToUpper(m))
	}
	for _, m := range saslMechanisms {
		key := strings.ToLower(m) + ".sasl.jaas.config"
		if v := get(key); v != "" {
			s.JAAS[m] = v
		} else if v := get("sasl.jaas.config"); v != "" {
			s.JAAS[m] = v
		}
	}
	return s
}

// isSecurityKey reports whether key is one the security settings read:
// a known ssl.*/sasl.* key, <mechanism>.sasl.jaas.config, or either under
// a listener.name.<name>. prefix.
func isSecurityKey(key string) bool {
	if rest, ok := strings.CutPrefix(key, "listener.name."); ok {
		_, k, ok := strings.Cut(rest, ".")
		if !ok {
			return false
		}
		key = k
	}
	if slices.Contains(sslKeys, key) || slices.Contains(saslKeys, key) {
		return true
	}
	for _, m := range saslMechanisms {
		if key == strings.ToLower(m)+".sasl.jaas.config" {
			return true
		}
	}
	return false
}

// security marks the security keys used and reads the global ones; the
// per-listener values are checked by checker.security.
func (r *reader) security(b *Broker) {
	for k := range r.raw {
		if isSecurityKey(k) {
			r.used[k] = true
		}
	}
	readInt(r, "connections.max.reauth.ms", &b.ConnectionsMaxReauthMs)
}

// security checks every listener's TLS and SASL settings.
func (c *checker) security() {
	b := c.b
	c.min("connections.max.reauth.ms", b.ConnectionsMaxReauthMs, 0)
	for _, l := range b.Listeners {
		s := b.ListenerSecurity(l.Name)
		pre := "listener.name." + strings.ToLower(l.Name) + "."
		key := func(k string) string {
			if _, ok := b.Raw[pre+k]; ok {
				return pre + k
			}
			return k
		}
		if s.TLS() {
			if s.SSL.KeystoreType != "PEM" {
				c.fail(key("ssl.keystore.type"), s.SSL.KeystoreType, "must be PEM (JKS and PKCS12 are not supported; convert with openssl)")
			}
			if s.SSL.TruststoreType != "PEM" {
				c.fail(key("ssl.truststore.type"), s.SSL.TruststoreType, "must be PEM (JKS and PKCS12 are not supported; convert with openssl)")
			}
			hasFile := s.SSL.KeystoreLocation != ""
			hasInline := s.SSL.KeystoreCertificateChain != "" || s.SSL.KeystoreKey != ""
			switch {
			case !hasFile && !hasInline:
				c.fail(key("ssl.keystore.location"), "", "listener "+l.Name+" uses "+s.Protocol+
					" and needs a key and certificate: set ssl.keystore.location or ssl.keystore.certificate.chain and ssl.keystore.key")
			case hasFile && hasInline:
				c.fail(key("ssl.keystore.location"), s.SSL.KeystoreLocation, "cannot be combined with ssl.keystore.certificate.chain / ssl.keystore.key")
			case hasInline && (s.SSL.KeystoreCertificateChain == "" || s.SSL.KeystoreKey == ""):
				c.fail(key("ssl.keystore.key"), "", "ssl.keystore.certificate.chain and ssl.keystore.key must be set together")
			}
			if bad := oneOf(s.SSL.ClientAuth, "required", "requested", "none"); bad != "" {
				c.fail(key("ssl.client.auth"), s.SSL.ClientAuth, bad)
			}
			if s.SSL.ClientAuth != "none" && s.SSL.TruststoreLocation == "" && s.SSL.TruststoreCertificates == "" {
				c.fail(key("ssl.truststore.location"), "", "ssl.client.auth="+s.SSL.ClientAuth+
					" needs trusted CA certificates: set ssl.truststore.location or ssl.truststore.certificates")
			}
		}
		if s.SASL() {
			if len(s.SASLMechanisms) == 0 {
				c.fail(key("sasl.enabled.mechanisms"), "", "listener "+l.Name+" uses "+s.Protocol+" and needs at least one mechanism")
			}
			for _, m := range s.SASLMechanisms {
				if !slices.Contains(saslMechanisms, m) {
					c.fail(key("sasl.enabled.mechanisms"), strings.Join(s.SASLMechanisms, ","),
						"mechanism "+m+" is not supported; use "+strings.Join(saslMechanisms, ", "))
				}
			}
			if slices.Contains(s.SASLMechanisms, "PLAIN") && s.JAAS["PLAIN"] == "" {
				c.fail(pre+"plain.sasl.jaas.config", "", "listener "+l.Name+" enables PLAIN and needs its users: "+
					`org.apache.kafka.common.security.plain.PlainLoginModule required username=".." password=".." user_<name>="<password>";`)
			}
		}
	}
}
