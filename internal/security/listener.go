package security

import (
	"crypto/tls"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/samsa-io/samsa/internal/config"
)

// Listener is what the network layer needs to secure one listener; its
// zero value is PLAINTEXT.
type Listener struct {
	TLS    *tls.Config      // SSL, SASL_SSL
	Mapper *PrincipalMapper // mTLS principals (SSL)
	SASL   *Authenticator   // SASL_PLAINTEXT, SASL_SSL
}

// ForListener builds a listener's server-side security from its settings.
// scram supplies SCRAM credentials (nil: SCRAM users are unknown).
func ForListener(s config.ListenerSecurity, scramStore ScramLookup) (Listener, error) {
	var out Listener
	if s.TLS() {
		tc, err := ServerTLS(s.SSL)
		if err != nil {
			return Listener{}, fmt.Errorf("listener %s: %w", s.Name, err)
		}
		m, err := NewPrincipalMapper(s.SSL.PrincipalMappingRules)
		if err != nil {
			return Listener{}, fmt.Errorf("listener %s: %w", s.Name, err)
		}
		out.TLS, out.Mapper = tc, m
	}
	if s.SASL() {
		var users map[string]string
		if j := s.JAAS[MechPlain]; j != "" {
			parsed, err := ParseJAAS(j)
			if err != nil {
				return Listener{}, fmt.Errorf("listener %s: %w", s.Name, err)
			}
			users = parsed.PlainUsers()
		}
		out.SASL = NewAuthenticator(s.SASLMechanisms, users, scramStore)
	}
	return out, nil
}

// Dialer is how this node dials a listener of another node: TLS client
// settings and the SASL mechanism with this node's own credentials
// (username/password of the listener's JAAS config for
// sasl.mechanism.inter.broker.protocol).
type Dialer struct {
	TLS  *tls.Config
	SASL sasl.Mechanism
}

// DialerFor builds the client side for dialing listener s on other nodes.
func DialerFor(s config.ListenerSecurity) (Dialer, error) {
	var d Dialer
	if s.TLS() {
		tc, err := ClientTLS(s.SSL)
		if err != nil {
			return Dialer{}, fmt.Errorf("listener %s (inter-node client): %w", s.Name, err)
		}
		d.TLS = tc
	}
	if s.SASL() {
		mech := s.InterBrokerMechanism
		j, err := ParseJAAS(s.JAAS[mech])
		if err != nil {
			return Dialer{}, fmt.Errorf("listener %s: sasl.mechanism.inter.broker.protocol=%s needs %s.sasl.jaas.config with username and password: %w",
				s.Name, mech, strings.ToLower(mech), err)
		}
		user, pass := j.Options["username"], j.Options["password"]
		if user == "" {
			return Dialer{}, fmt.Errorf("listener %s: the %s JAAS config has no username for inter-broker connections", s.Name, mech)
		}
		switch mech {
		case MechPlain:
			d.SASL = plain.Auth{User: user, Pass: pass}.AsMechanism()
		case MechScramSHA256:
			d.SASL = scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()
		case MechScramSHA512:
			d.SASL = scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()
		default:
			return Dialer{}, fmt.Errorf("listener %s: sasl.mechanism.inter.broker.protocol=%s is not supported", s.Name, mech)
		}
	}
	return d, nil
}
