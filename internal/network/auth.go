package network

import (
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/security"
	"github.com/samsa-io/samsa/protocol"
)

// tlsHandshakeTimeout bounds a TLS handshake, so a silent peer cannot hold
// a connection goroutine.
const tlsHandshakeTimeout = 10 * time.Second

// saslState is where a connection is in Kafka's SASL exchange.
type saslState int

const (
	saslNone      saslState = iota // nothing yet (or re-authenticating is allowed)
	saslHandshook                  // SaslHandshake v1 done: SaslAuthenticate next
	saslRaw                        // SaslHandshake v0 done: raw tokens next
	saslDone                       // authenticated
)

// authState is a connection's authentication progress. Only the read loop
// touches it.
type authState struct {
	state    saslState
	session  security.Session
	mech     string
	expires  time.Time // zero: the session never expires
	authOnce bool      // authenticated at least once (so re-authentication)
}

// startTLS runs the server handshake when the listener is TLS. Without
// SASL, a verified client certificate gives the principal (mTLS).
func (c *conn) startTLS() error {
	var st tls.ConnectionState
	if pre, ok := c.nc.(*tlsPrefixConn); ok {
		// A TLS Mux already did the handshake.
		st = pre.ConnectionState()
	} else {
		if c.l.cfg.TLS == nil {
			return nil
		}
		tc := tls.Server(c.nc, c.l.cfg.TLS)
		c.nc = tc
		_ = tc.SetDeadline(time.Now().Add(tlsHandshakeTimeout))
		if err := tc.HandshakeContext(c.ctx); err != nil {
			return fmt.Errorf("tls handshake: %w", err)
		}
		_ = tc.SetDeadline(time.Time{})
		st = tc.ConnectionState()
	}
	if c.l.cfg.SASL == nil && len(st.VerifiedChains) > 0 && c.l.cfg.PrincipalMapper != nil {
		c.principal = c.l.cfg.PrincipalMapper.Principal(st.PeerCertificates[0])
	}
	return nil
}

// saslGate decides what happens to a parsed request on a SASL listener.
// pass means handle it normally; otherwise in is the queued answer and
// keep reports whether the connection stays open after it.
func (c *conn) saslGate(req *protocol.Request) (in inbound, pass, keep bool) {
	a := &c.auth
	switch req.Key {
	case int16(kmsg.ApiVersions):
		return inbound{}, true, true
	case int16(kmsg.SASLHandshake):
		return c.saslHandshake(req)
	case int16(kmsg.SASLAuthenticate):
		return c.saslAuthenticate(req)
	}
	if a.state != saslDone {
		c.l.clientLog.log(c.l.cfg.Logger, "closing connection: request before SASL authentication",
			"remote", c.remote, "api", kmsg.NameForKey(req.Key))
		return inbound{}, false, false
	}
	if !a.expires.IsZero() && time.Now().After(a.expires) {
		c.l.cfg.Logger.Info("closing connection: SASL session expired (connections.max.reauth.ms)",
			"remote", c.remote, "principal", c.principal)
		return inbound{}, false, false
	}
	return inbound{}, true, true
}

func (c *conn) saslHandshake(req *protocol.Request) (inbound, bool, bool) {
	a := &c.auth
	body := req.Body.(*kmsg.SASLHandshakeRequest)
	resp := kmsg.NewPtrSASLHandshakeResponse()
	resp.SetVersion(req.Version)
	resp.SupportedMechanisms = c.l.cfg.SASL.Mechanisms()
	out := inbound{resp: resp, corr: req.CorrelationID}
	// A handshake is allowed first, or after authenticating (KIP-368
	// re-authentication, which needs v1).
	if a.state == saslHandshook || a.state == saslRaw || (a.state == saslDone && req.Version < 1) {
		resp.ErrorCode = kerr.IllegalSaslState.Code
		return out, false, false
	}
	s, err := c.l.cfg.SASL.Start(body.Mechanism)
	if err != nil {
		resp.ErrorCode = kerr.UnsupportedSaslMechanism.Code
		c.l.clientLog.log(c.l.cfg.Logger, "closing connection: unsupported SASL mechanism", "remote", c.remote, "mechanism", body.Mechanism)
		return out, false, false
	}
	if a.state == saslDone && body.Mechanism != a.mech {
		// Kafka requires re-authentication to keep the mechanism.
		resp.ErrorCode = kerr.IllegalSaslState.Code
		return out, false, false
	}
	a.session, a.mech = s, body.Mechanism
	a.state = saslHandshook
	if req.Version == 0 {
		a.state = saslRaw
	}
	return out, false, true
}

func (c *conn) saslAuthenticate(req *protocol.Request) (inbound, bool, bool) {
	a := &c.auth
	body := req.Body.(*kmsg.SASLAuthenticateRequest)
	resp := kmsg.NewPtrSASLAuthenticateResponse()
	resp.SetVersion(req.Version)
	out := inbound{resp: resp, corr: req.CorrelationID}
	if a.state != saslHandshook {
		resp.ErrorCode = kerr.IllegalSaslState.Code
		msg := "SaslAuthenticate before a SaslHandshake v1"
		resp.ErrorMessage = &msg
		return out, false, false
	}
	reply, done, principal, err := c.saslStep(body.SASLAuthBytes)
	if err != nil {
		resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
		msg := err.Error()
		resp.ErrorMessage = &msg
		return out, false, false
	}
	resp.SASLAuthBytes = reply
	if done {
		resp.SessionLifetimeMillis = c.finishAuth(principal)
	}
	return out, false, true
}

// saslStep feeds one token to the session; on success it returns the
// principal once the exchange is done.
func (c *conn) saslStep(token []byte) (reply []byte, done bool, principal string, err error) {
	a := &c.auth
	reply, done, err = a.session.Step(token)
	if err != nil {
		a.state = saslNone
		c.l.clientLog.log(c.l.cfg.Logger, "SASL authentication failed", "remote", c.remote, "mechanism", a.mech, "err", err)
		if !errors.Is(err, security.ErrAuthFailed) {
			err = fmt.Errorf("%w: %v", security.ErrAuthFailed, err)
		}
		return nil, false, "", err
	}
	if !done {
		return reply, false, "", nil
	}
	principal = a.session.Principal()
	if a.authOnce && principal != c.principal {
		a.state = saslNone
		return nil, false, "", fmt.Errorf("%w: re-authentication may not change the principal (%s to %s)",
			security.ErrAuthFailed, c.principal, principal)
	}
	return reply, true, principal, nil
}

// finishAuth records a successful authentication and returns the session
// lifetime to report (0: none).
func (c *conn) finishAuth(principal string) int64 {
	a := &c.auth
	a.state, a.session, a.authOnce = saslDone, nil, true
	c.principal = principal
	a.expires = time.Time{}
	if ms := c.l.cfg.MaxReauthMs; ms > 0 {
		a.expires = time.Now().Add(time.Duration(ms) * time.Millisecond)
		return ms
	}
	return 0
}

// rawToken serves one frame after a SaslHandshake v0: the frame is a bare
// SASL token and so is the reply. A failure closes the connection without
// a reply, as Kafka does for v0 clients, after the failed-authentication
// delay.
func (c *conn) rawToken(frame []byte) (inbound, bool) {
	reply, done, principal, err := c.saslStep(frame)
	if err != nil {
		return inbound{closeAfter: true, delay: c.l.cfg.FailedAuthDelay}, false
	}
	if done {
		c.finishAuth(principal)
	}
	if reply == nil {
		reply = []byte{}
	}
	return inbound{raw: reply}, true
}
