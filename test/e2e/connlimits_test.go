package e2e

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// dialRawFrom dials addr from the loopback address src.
func dialRawFrom(t *testing.T, src, addr string) *rawConn {
	t.Helper()
	d := net.Dialer{Timeout: rawTimeout, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s from %s: %v", addr, src, err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, conn: c}
}

// servedFrom dials from src until a connection answers ApiVersions: the
// harness's readiness probes may still hold places for a moment.
func servedFrom(t *testing.T, src, addr string) *rawConn {
	t.Helper()
	for attempt := 0; ; attempt++ {
		c := dialRawFrom(t, src, addr)
		if _, err := c.roundTrip(kmsg.NewPtrApiVersionsRequest()); err == nil {
			return c
		}
		c.conn.Close()
		if attempt == 100 {
			t.Fatalf("no connection from %s was served", src)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Through the real binary: max.connections.per.ip and
// connections.max.idle.ms from server.properties take effect.
func TestConnectionLimitsFromServerProperties(t *testing.T) {
	b := harness.Start(t, map[string]string{
		"max.connections.per.ip":           "2",
		"max.connections.per.ip.overrides": "127.0.0.3:0",
		"connections.max.idle.ms":          "1500",
	})
	servedFrom(t, "127.0.0.1", b.Addr)
	servedFrom(t, "127.0.0.1", b.Addr)
	third := dialRawFrom(t, "127.0.0.1", b.Addr)
	third.expectClosed("a third connection from 127.0.0.1 (max.connections.per.ip=2)")
	servedFrom(t, "127.0.0.2", b.Addr)
	dialRawFrom(t, "127.0.0.3", b.Addr).expectClosed("a connection from 127.0.0.3 (override 0)")

	idle := servedFrom(t, "127.0.0.2", b.Addr)
	idle.expectClosed("a connection idle past connections.max.idle.ms")
}

// Through the real binary: at max.connections the broker stops
// accepting until a connection closes. PLAINTEXT is also the inter-broker
// listener here, but as the only listener it is not exempt (as in Kafka).
func TestMaxConnectionsFromServerProperties(t *testing.T) {
	b := harness.Start(t, map[string]string{"max.connections": "2"})
	first := servedFrom(t, "127.0.0.1", b.Addr)
	servedFrom(t, "127.0.0.1", b.Addr)
	waiting := dialRawFrom(t, "127.0.0.1", b.Addr)
	if _, err := waiting.send(18, 0, false, nil); err != nil {
		t.Fatal(err)
	}
	_ = waiting.conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	var size [4]byte
	if _, err := waiting.conn.Read(size[:]); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a third connection at max.connections=2 was served or closed: %v", err)
	}
	first.conn.Close()
	if _, err := waiting.readFrame(); err != nil {
		t.Fatalf("the waiting connection was not served after another closed: %v", err)
	}
}
