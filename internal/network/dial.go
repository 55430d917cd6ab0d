package network

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"

	"github.com/samsa-io/samsa/protocol"
)

// SecureDial wraps base (nil: a plain dialer) so that every connection this
// node opens to another node's secured listener runs TLS when tlsConf is
// set, and is SASL-authenticated with mech when it is set, before the
// caller sends its first request. Callers (replica fetchers, the
// controller link, Raft) then use the connection as if it were plain.
func SecureDial(base DialFunc, tlsConf *tls.Config, mech sasl.Mechanism) DialFunc {
	if base == nil {
		d := net.Dialer{}
		base = d.DialContext
	}
	if tlsConf == nil && mech == nil {
		return base
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := base(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if tlsConf != nil {
			conf := tlsConf.Clone()
			if conf.ServerName == "" {
				if host, _, err := net.SplitHostPort(addr); err == nil {
					conf.ServerName = host
				}
			}
			tc := tls.Client(c, conf)
			if err := tc.HandshakeContext(ctx); err != nil {
				c.Close()
				return nil, fmt.Errorf("tls handshake with %s: %w", addr, err)
			}
			c = tc
		}
		if mech != nil {
			if err := saslClient(ctx, c, addr, mech); err != nil {
				c.Close()
				return nil, fmt.Errorf("sasl %s with %s: %w", mech.Name(), addr, err)
			}
		}
		return c, nil
	}
}

// saslClient runs SaslHandshake v1 and SaslAuthenticate v1 on c.
func saslClient(ctx context.Context, c net.Conn, addr string, mech sasl.Mechanism) error {
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	} else {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	}
	defer c.SetDeadline(time.Time{})
	r := bufio.NewReader(c)
	f := kmsg.NewRequestFormatter(kmsg.FormatterClientID("samsa-broker"))
	corr := int32(0)
	roundTrip := func(req kmsg.Request, resp kmsg.Response) error {
		corr++
		if _, err := c.Write(f.AppendRequest(nil, req, corr)); err != nil {
			return err
		}
		frame, err := protocol.ReadFrame(r, 1<<20, nil)
		if err != nil {
			return err
		}
		if len(frame) < 4 {
			return errors.New("short response")
		}
		body := frame[4:]
		if resp.IsFlexible() {
			body = skipResponseTags(body)
		}
		resp.SetVersion(req.GetVersion())
		return resp.ReadFrom(body)
	}
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.SetVersion(1)
	hs.Mechanism = mech.Name()
	hsResp := kmsg.NewPtrSASLHandshakeResponse()
	if err := roundTrip(hs, hsResp); err != nil {
		return err
	}
	if err := kerr.ErrorForCode(hsResp.ErrorCode); err != nil {
		return fmt.Errorf("handshake (server offers %v): %w", hsResp.SupportedMechanisms, err)
	}
	session, tok, err := mech.Authenticate(ctx, addr)
	if err != nil {
		return err
	}
	for range 10 {
		req := kmsg.NewPtrSASLAuthenticateRequest()
		req.SetVersion(1)
		req.SASLAuthBytes = tok
		resp := kmsg.NewPtrSASLAuthenticateResponse()
		if err := roundTrip(req, resp); err != nil {
			return err
		}
		if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
			msg := ""
			if resp.ErrorMessage != nil {
				msg = *resp.ErrorMessage
			}
			return fmt.Errorf("%w: %s", err, msg)
		}
		done, next, err := session.Challenge(resp.SASLAuthBytes)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		tok = next
	}
	return errors.New("too many SASL rounds")
}

// skipResponseTags skips a flexible response header's tag section (empty
// in practice: one zero byte).
func skipResponseTags(b []byte) []byte {
	if len(b) > 0 && b[0] == 0 {
		return b[1:]
	}
	return b
}
