package listeners

import (
	"log/slog"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/network"
	"github.com/samsa-io/samsa/internal/security"
)

// Dialers open this node's connections to other nodes' listeners, with
// TLS and SASL when those listeners are secured (security.DialerFor).
type Dialers struct {
	// Inter dials inter-broker listeners: replica fetchers, and
	// transaction markers (to this node's own listener too).
	Inter network.DialFunc
	// Controller dials controller listeners: broker-to-controller
	// requests.
	Controller network.DialFunc
	// Raft is Controller without SASL: Raft speaks its own protocol after
	// the Mux's magic byte, so it gets the controller listener's TLS (and
	// mTLS) but cannot run a Kafka SASL exchange.
	Raft network.DialFunc
}

// NewDialers builds the dialers over base (nil: plain TCP; a test passes a
// faulty network's). A single node (clustered false) dials no other node,
// but its transaction coordinator sends WriteTxnMarkers to its own
// inter-broker listener, with TLS and SASL like any broker; without usable
// credentials it still starts (it serves everything but transactions),
// and says why transactions cannot complete.
func NewDialers(cfg *config.Broker, base network.DialFunc, clustered bool, logger *slog.Logger) (Dialers, error) {
	inter, err := security.DialerFor(cfg.ListenerSecurity(cfg.InterBrokerListenerName))
	if !clustered {
		d := Dialers{Controller: base, Raft: base}
		if err != nil {
			logger.Warn("no inter-broker credentials: transactions cannot complete, their markers cannot reach this node's own inter-broker listener",
				"listener", cfg.InterBrokerListenerName, "err", err)
			d.Inter = base
			return d, nil
		}
		d.Inter = network.SecureDial(base, inter.TLS, inter.SASL)
		return d, nil
	}
	if err != nil {
		return Dialers{}, err
	}
	ctrl := inter
	if len(cfg.ControllerListenerNames) > 0 {
		if ctrl, err = security.DialerFor(cfg.ListenerSecurity(cfg.ControllerListenerNames[0])); err != nil {
			return Dialers{}, err
		}
	}
	return Dialers{
		Inter:      network.SecureDial(base, inter.TLS, inter.SASL),
		Controller: network.SecureDial(base, ctrl.TLS, ctrl.SASL),
		Raft:       network.SecureDial(base, ctrl.TLS, nil),
	}, nil
}
