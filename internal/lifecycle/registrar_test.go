package lifecycle

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/interbroker"
	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/protocol"
)

// registrationController answers BrokerRegistration as an active
// controller would, and keeps the request.
type registrationController struct {
	got   *kmsg.BrokerRegistrationRequest
	epoch int64
}

func (c *registrationController) Handle(_ context.Context, req *protocol.Request) kmsg.Response {
	c.got = req.Body.(*kmsg.BrokerRegistrationRequest)
	resp := kmsg.NewPtrBrokerRegistrationResponse()
	resp.BrokerEpoch = c.epoch
	return resp
}

// A registration carries the cluster id, every advertised endpoint (the
// inter-broker one first), the directory ids and the rack, and the epoch
// the controller answers becomes the broker epoch; before it, -1.
func TestRegistrarRegistersAndKeepsTheBrokerEpoch(t *testing.T) {
	ctrl := &registrationController{epoch: 42}
	link := interbroker.NewControllerLink(interbroker.ControllerLinkConfig{NodeID: 3,
		LeaderID: func() int32 { return 3 }}) // this node is the active controller: the local handler answers
	link.SetLocal(ctrl)
	t.Cleanup(link.Close)
	im := metadata.Empty()
	im.ClusterID = "c1"
	dirID := [16]byte{7}
	r := NewRegistrar(RegistrarDeps{NodeID: 3, Rack: "r1", Link: link, Image: func() *metadata.Image { return im },
		DirIDs: func() [][16]byte { return [][16]byte{dirID} },
		Endpoints: func(primary config.Listener) []config.Listener {
			return []config.Listener{primary, {Name: "EXTERNAL", Host: "h2", Port: 9093}}
		},
		Logger: slog.New(slog.DiscardHandler)})
	if e := r.Epoch(); e != -1 {
		t.Fatalf("epoch %d before registering, want -1", e)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Register(ctx, config.Listener{Name: "INTERNAL", Host: "h1", Port: 9092}); err != nil {
		t.Fatal(err)
	}
	if e := r.Epoch(); e != 42 {
		t.Fatalf("epoch %d after registering, want the controller's 42", e)
	}
	req := ctrl.got
	var names []string
	for _, l := range req.Listeners {
		names = append(names, l.Name)
	}
	if req.BrokerID != 3 || req.ClusterID != "c1" || req.Rack == nil || *req.Rack != "r1" ||
		!slices.Equal(names, []string{"INTERNAL", "EXTERNAL"}) || len(req.LogDirs) != 1 || req.LogDirs[0] != dirID {
		t.Fatalf("registration %+v", req)
	}
}
