package interbroker

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/network"
	"github.com/samsa-io/samsa/protocol"
)

// heartbeatVoter answers BrokerHeartbeat with errorCode.
type heartbeatVoter struct{ errorCode int16 }

func (v heartbeatVoter) Handle(context.Context, *protocol.Request) kmsg.Response {
	resp := kmsg.NewPtrBrokerHeartbeatResponse()
	resp.ErrorCode = v.errorCode
	return resp
}

func listenVoter(t *testing.T, errorCode int16) string {
	t.Helper()
	ln, err := network.Listen(network.Config{Name: "CONTROLLER", Addr: "127.0.0.1:0", MaxRequestBytes: 1 << 20,
		Versions: protocol.NewVersions([]protocol.VersionRange{{Key: int16(kmsg.BrokerHeartbeat), Min: 0, Max: 1}}),
		Handler:  heartbeatVoter{errorCode}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ln.Serve()
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// While the active controller is unknown, a request goes to every voter in
// turn until one answers other than NOT_CONTROLLER; after Close, requests
// fail.
func TestControllerLinkTriesEveryVoterWhileTheLeaderIsUnknown(t *testing.T) {
	notController := listenVoter(t, kerr.NotController.Code)
	active := listenVoter(t, 0)
	link := NewControllerLink(ControllerLinkConfig{NodeID: 9,
		Voters:   []Voter{{ID: 1, Addr: notController}, {ID: 2, Addr: active}},
		LeaderID: func() int32 { return -1 }})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := kmsg.NewPtrBrokerHeartbeatRequest()
	req.SetVersion(0)
	resp, err := link.Send(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if code := resp.(*kmsg.BrokerHeartbeatResponse).ErrorCode; code != 0 {
		t.Fatalf("answer %v, want the active voter's success", kerr.ErrorForCode(code))
	}
	link.Close()
	if _, err := link.Send(ctx, req); err == nil {
		t.Fatal("a request after Close succeeded")
	}
}
