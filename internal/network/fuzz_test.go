package network

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/security"
)

// FuzzSASLPreAuth sends arbitrary bytes to a SASL listener: whatever the
// framing, SaslHandshake/SaslAuthenticate content or request mix, no
// request other than ApiVersions may reach the handler unauthenticated,
// and the listener keeps serving (the next connection still works).
func FuzzSASLPreAuth(f *testing.F) {
	fmtr := kmsg.NewRequestFormatter()
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.SetVersion(1)
	hs.Mechanism = "PLAIN"
	au := kmsg.NewPtrSASLAuthenticateRequest()
	au.SetVersion(2)
	au.SASLAuthBytes = []byte("\x00alice\x00wrong")
	hs0 := kmsg.NewPtrSASLHandshakeRequest()
	hs0.Mechanism = "PLAIN"
	md := kmsg.NewPtrMetadataRequest()
	md.SetVersion(12)
	f.Add(fmtr.AppendRequest(fmtr.AppendRequest(nil, hs, 1), au, 2))
	f.Add(fmtr.AppendRequest(fmtr.AppendRequest(nil, hs, 1), md, 2))
	f.Add(append(fmtr.AppendRequest(nil, hs0, 1), 0, 0, 0, 3, 'x', 0, 'y'))
	f.Add(fmtr.AppendRequest(nil, au, 7))
	f.Add(fmtr.AppendRequest(nil, md, 9))
	f.Add([]byte{0, 0, 0, 4, 0, 17, 0, 9})

	auth := security.NewAuthenticator([]string{"PLAIN"}, map[string]string{"alice": "alice-secret"}, nil)
	l, h := startSecure(f, Config{SASL: auth})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := net.DialTimeout("tcp", l.Addr().String(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(30 * time.Millisecond))
		c.Write(data)
		io.Copy(io.Discard, c) // until the broker closes or the deadline
		c.Close()
		for _, p := range h.principals() {
			t.Fatalf("a Metadata request reached the handler as %q", p)
		}
	})
}
