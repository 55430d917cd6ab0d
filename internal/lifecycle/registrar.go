package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/interbroker"
	"github.com/samsa-io/samsa/internal/metadata"
)

// RegistrarDeps is what a Registrar needs.
type RegistrarDeps struct {
	NodeID int32
	Rack   string // broker.rack; "" for none
	Link   *interbroker.ControllerLink
	// Image is the current metadata image (its cluster id goes into every
	// registration).
	Image func() *metadata.Image
	// DirIDs are the directory ids of the metadata log dir, then of the
	// other log dirs; nil until meta.properties is written.
	DirIDs func() [][16]byte
	// Endpoints are every advertised non-controller listener, primary
	// first, with their bound ports.
	Endpoints func(primary config.Listener) []config.Listener
	// PreviousEpoch is the broker epoch of the last clean shutdown, -1 if
	// the node did not shut down cleanly (nodedir's clean-shutdown file).
	PreviousEpoch int64
	Logger        *slog.Logger
}

// Registrar registers this broker with the active controller and keeps
// the broker epoch of its latest registration, sent with every heartbeat
// and AlterPartition.
//
// Threading: safe for concurrent use.
type Registrar struct {
	deps RegistrarDeps

	mu    sync.Mutex
	epoch int64 // -1 before the first registration
}

// NewRegistrar makes a Registrar; it sends nothing yet.
func NewRegistrar(deps RegistrarDeps) *Registrar {
	return &Registrar{deps: deps, epoch: -1}
}

// Registration is this node's registration as a single node makes it
// in-process (a cluster sends BrokerRegistration instead, Register).
func (r *Registrar) Registration(adv config.Listener) metadata.Broker {
	b := metadata.Broker{ID: r.deps.NodeID, Host: adv.Host, Port: int32(adv.Port), ListenerName: adv.Name,
		Rack: r.deps.Rack}
	if ids := r.deps.DirIDs(); len(ids) > 0 {
		b.MetadataDirectoryID = ids[0]
	}
	for _, l := range r.deps.Endpoints(adv) {
		b.Endpoints = append(b.Endpoints, metadata.Endpoint{Name: l.Name, Host: l.Host, Port: int32(l.Port)})
	}
	return b
}

// Epoch is the broker epoch of the latest accepted registration, or -1.
func (r *Registrar) Epoch() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.epoch
}

// Register sends BrokerRegistration with every advertised non-controller
// listener, adv (the inter-broker one) first; for a broker-only node adv
// is also the address Raft dials to add it as a non-voter. Its log dirs
// (v2+) are the directory ids, the metadata log dir's first.
func (r *Registrar) Register(ctx context.Context, adv config.Listener) error {
	req := kmsg.NewPtrBrokerRegistrationRequest()
	req.SetVersion(3)
	req.BrokerID, req.ClusterID = r.deps.NodeID, r.deps.Image().ClusterID
	// The epoch of the last clean shutdown (KIP-966) or, once this process
	// has registered, its own: its logs are as they were, so its replicas
	// stay eligible leaders.
	req.PreviousBrokerEpoch = r.deps.PreviousEpoch
	if epoch := r.Epoch(); epoch >= 0 {
		req.PreviousBrokerEpoch = epoch
	}
	req.LogDirs = slices.Clone(r.deps.DirIDs())
	for _, a := range r.deps.Endpoints(adv) {
		lst := kmsg.NewBrokerRegistrationRequestListener()
		lst.Name, lst.Host, lst.Port = a.Name, a.Host, uint16(a.Port)
		req.Listeners = append(req.Listeners, lst)
	}
	if r.deps.Rack != "" {
		req.Rack = &r.deps.Rack
	}
	resp, err := r.deps.Link.Send(ctx, req)
	if err != nil {
		return err
	}
	rr := resp.(*kmsg.BrokerRegistrationResponse)
	if rr.ErrorCode != 0 {
		return kerr.ErrorForCode(rr.ErrorCode)
	}
	r.mu.Lock()
	r.epoch = rr.BrokerEpoch
	r.mu.Unlock()
	r.deps.Logger.Info("broker registered", "epoch", rr.BrokerEpoch)
	return nil
}

// JoinQuorum is a broker-only node's start: it is not a Raft voter but
// follows the metadata log as a non-voter, so it holds the same image as
// every other node. It cannot join by itself: it registers (to each
// voter's controller listener until the active one accepts), and the
// active controller adds it to the Raft configuration as a non-voter at
// the registered inter-broker address adv, where Raft's connections arrive
// multiplexed with the Kafka protocol. JoinQuorum registers until
// waitReady (the controller's: caught up with the log) succeeds or ctx
// ends. Later registrations (Broker.Start, after a controller failover
// that lost it) go through the normal life cycle.
func (r *Registrar) JoinQuorum(ctx context.Context, adv config.Listener, waitReady func(context.Context) error) error {
	var lastErr error
	for {
		if lastErr = r.Register(ctx, adv); lastErr != nil {
			r.deps.Logger.Info("broker-only node not registered yet; retrying", "err", lastErr)
		}
		wait, cancel := context.WithTimeout(ctx, time.Second)
		err := waitReady(wait)
		cancel()
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return fmt.Errorf("join metadata quorum as a non-voter (last registration error: %v): %w", lastErr, ctx.Err())
		case !errors.Is(err, context.DeadlineExceeded):
			return fmt.Errorf("join metadata quorum: %w", err) // closed, or the log cannot be applied
		}
	}
}
