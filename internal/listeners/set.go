package listeners

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/network"
	"github.com/samsa-io/samsa/internal/security"
	"github.com/samsa-io/samsa/protocol"
)

// Set is a node's bound listeners.
type Set struct {
	cfg    *config.Broker
	logger *slog.Logger
	limits *network.ConnLimits // every listener's and Mux's connection limits

	// muxes share a port between Raft and the Kafka protocol: the
	// controller listener, and a broker-only node's inter-broker listener.
	muxes  map[string]*network.Mux
	client []*network.Listener // the client (non-controller) listeners
	names  []string            // client's listener names
	ctrl   []*network.Listener // Kafka side of the controller listener
}

// New makes an empty Set with the connection limits of cfg
// (max.connections and friends).
func New(cfg *config.Broker, logger *slog.Logger) *Set {
	return &Set{cfg: cfg, logger: logger, limits: connLimits(cfg, logger), muxes: map[string]*network.Mux{}}
}

// connLimits builds the connection limits every listener shares.
func connLimits(cfg *config.Broker, logger *slog.Logger) *network.ConnLimits {
	perListener := map[string]int{}
	for name, n := range cfg.ListenerMaxConnections {
		perListener[name] = int(n)
	}
	// Controller listeners are never held to the broker-wide limit (Kafka
	// counts them apart). The inter-broker listener is exempt only when
	// clients have a listener of their own, as in Kafka: when it is the
	// only one, exempting it would leave clients unbounded.
	exempt := slices.Clone(cfg.ControllerListenerNames)
	clientListeners := 0
	for _, l := range cfg.Listeners {
		if !slices.Contains(cfg.ControllerListenerNames, l.Name) {
			clientListeners++
		}
	}
	if clientListeners > 1 {
		exempt = append(exempt, cfg.InterBrokerListenerName)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return network.NewConnLimits(network.LimitsConfig{
		MaxConnections:  int(cfg.MaxConnections),
		ListenerMax:     perListener,
		ExemptListeners: exempt,
		MaxPerIP:        int(cfg.MaxConnectionsPerIP),
		PerIPOverrides:  network.ResolveOverrides(ctx, cfg.MaxConnectionsPerIPOverrides, logger),
	})
}

// Mux binds listener name as a Raft/Kafka mux and starts routing
// connections; its Kafka side is served by Serve.
func (s *Set) Mux(name string) (*network.Mux, error) {
	for _, l := range s.cfg.Listeners {
		if l.Name != name {
			continue
		}
		m, err := network.ListenMux(name, net.JoinHostPort(l.Host, strconv.Itoa(l.Port)),
			s.logger.With("component", "network", "listener", name))
		if err != nil {
			return nil, err
		}
		sec, err := security.ForListener(s.cfg.ListenerSecurity(name), nil)
		if err != nil {
			m.Close()
			return nil, err
		}
		if sec.TLS != nil {
			m.UseTLS(sec.TLS)
		}
		m.Limit(s.limits)
		m.Serve()
		s.muxes[name] = m
		return m, nil
	}
	return nil, fmt.Errorf("listener %s is not in listeners", name)
}

// Serve binds every configured listener not bound as a Mux, and serves
// the Kafka protocol on all of them with h, which answers versions.
// SASL/SCRAM listeners look credentials up in scram. A broker needs at
// least one client listener. It first checks that the process has file
// descriptors left to serve with (checkDescriptorHeadroom): call it once
// the logs are open.
func (s *Set) Serve(h network.Handler, versions *protocol.Versions, scram security.ScramLookup) error {
	if err := checkDescriptorHeadroom(); err != nil {
		return err
	}
	for _, l := range s.cfg.Listeners {
		nc := network.Config{
			Name: l.Name, Addr: net.JoinHostPort(l.Host, strconv.Itoa(l.Port)),
			MaxRequestBytes: s.cfg.SocketRequestMaxBytes, Versions: versions, Handler: h,
			Logger:              s.logger.With("component", "network", "listener", l.Name),
			SASLMaxReceiveBytes: s.cfg.SaslServerMaxReceiveSize,
			MaxIdle:             time.Duration(s.cfg.ConnectionsMaxIdleMs) * time.Millisecond,
			FailedAuthDelay:     time.Duration(s.cfg.ConnectionFailedAuthenticationDelayMs) * time.Millisecond,
			Limits:              s.limits,
		}
		sec, err := security.ForListener(s.cfg.ListenerSecurity(l.Name), scram)
		if err != nil {
			return err
		}
		nc.TLS, nc.PrincipalMapper, nc.SASL = sec.TLS, sec.Mapper, sec.SASL
		nc.MaxReauthMs = s.cfg.ConnectionsMaxReauthMs
		isCtrl := slices.Contains(s.cfg.ControllerListenerNames, l.Name)
		var nl *network.Listener
		if m, ok := s.muxes[l.Name]; ok {
			nc.TLS = nil                // the Mux does the TLS handshake
			nc.IPCountedUpstream = true // and counts max.connections.per.ip
			nl = network.NewListener(nc, m.Kafka())
		} else if isCtrl {
			continue // a single node's controller listener: nothing to serve
		} else {
			var err error
			if nl, err = network.Listen(nc); err != nil {
				return err
			}
		}
		nl.Serve()
		if isCtrl {
			s.ctrl = append(s.ctrl, nl)
			continue
		}
		s.client = append(s.client, nl)
		s.names = append(s.names, l.Name)
	}
	if len(s.client) == 0 && s.cfg.IsBroker() {
		return errors.New("no client listener configured (listeners has only controller listeners)")
	}
	return nil
}

// BoundPort is the port listener name is bound to, 0 if it is not bound.
func (s *Set) BoundPort(name string) int {
	if m, ok := s.muxes[name]; ok {
		return m.Addr().(*net.TCPAddr).Port
	}
	for i, l := range s.client {
		if s.names[i] == name {
			return l.Addr().(*net.TCPAddr).Port
		}
	}
	return 0
}

// Addrs are the bound client listener addresses.
func (s *Set) Addrs() []net.Addr {
	var out []net.Addr
	for _, l := range s.client {
		out = append(out, l.Addr())
	}
	return out
}

// Connections counts the client listeners' open connections.
func (s *Set) Connections() int {
	n := 0
	for _, l := range s.client {
		n += l.Connections()
	}
	return n
}

// CloseListeners stops accepting and closes every Kafka listener (no new
// work); the Muxes stay open for Raft until CloseMuxes.
func (s *Set) CloseListeners() error {
	var errs []error
	for _, l := range slices.Concat(s.client, s.ctrl) {
		errs = append(errs, l.Close())
	}
	return errors.Join(errs...)
}

// CloseMuxes closes the shared Raft/Kafka ports, after Raft stopped.
func (s *Set) CloseMuxes() error {
	var errs []error
	for _, m := range s.muxes {
		errs = append(errs, m.Close())
	}
	return errors.Join(errs...)
}

// ClientListener is the advertised listener clients and other brokers use:
// inter.broker.listener.name if set, else the first non-controller one.
func ClientListener(cfg *config.Broker) (config.Listener, bool) {
	if name := cfg.InterBrokerListenerName; name != "" {
		if l, ok := cfg.AdvertisedListener(name); ok {
			return l, true
		}
	}
	for _, l := range cfg.AdvertisedListeners {
		if !slices.Contains(cfg.ControllerListenerNames, l.Name) {
			return l, true
		}
	}
	return config.Listener{}, false
}

// AdvertisedEndpoints returns every advertised non-controller listener,
// primary (the inter-broker one) first, with a port of 0 replaced by the
// port bound: the endpoints a broker registers so that clients are
// answered with the addresses of the listener they came in on.
func (s *Set) AdvertisedEndpoints(primary config.Listener) []config.Listener {
	out := []config.Listener{primary}
	for _, l := range s.cfg.AdvertisedListeners {
		if l.Name == primary.Name || slices.Contains(s.cfg.ControllerListenerNames, l.Name) {
			continue
		}
		if l.Port == 0 {
			l.Port = s.BoundPort(l.Name)
		}
		out = append(out, l)
	}
	return out
}
