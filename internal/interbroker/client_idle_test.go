package interbroker

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/network"
	"github.com/samsa-io/samsa/protocol"
)

type apiVersionsHandler struct{}

func (apiVersionsHandler) Handle(context.Context, *protocol.Request) kmsg.Response {
	return kmsg.NewPtrApiVersionsResponse()
}

// A peer closes a connection idle past its connections.max.idle.ms; the
// client must not send its next request on that closed connection and
// fail, but reopen it (Kafka's clients give up idle connections first).
func TestClientReopensAConnectionThePeerClosedForIdleness(t *testing.T) {
	const peerIdle = 200 * time.Millisecond
	ln, err := network.Listen(network.Config{Name: "PLAINTEXT", Addr: "127.0.0.1:0", MaxRequestBytes: 1 << 20,
		Versions: protocol.NewVersions([]protocol.VersionRange{{Key: int16(kmsg.ApiVersions), Min: 0, Max: 0}}),
		Handler:  apiVersionsHandler{}, Logger: slog.New(slog.DiscardHandler), MaxIdle: peerIdle})
	if err != nil {
		t.Fatal(err)
	}
	ln.Serve()
	t.Cleanup(func() { ln.Close() })
	c := NewClient(ln.Addr().String(), "test")
	c.maxIdle = peerIdle / 2
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range 2 {
		req := kmsg.NewPtrApiVersionsRequest()
		req.SetVersion(0)
		if _, err := c.Request(ctx, req); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		time.Sleep(3 * peerIdle) // the peer closes the connection meanwhile
	}
}
