package listeners

import (
	"errors"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/samsa-io/samsa/internal/network"
)

// Raft is the metadata quorum's transport: a port shared with the Kafka
// protocol, and how Raft dials its peers.
type Raft struct {
	Listener net.Listener // the Raft side of a Mux
	Dial     func(addr string, timeout time.Duration) (net.Conn, error)
	// NonVoter is set on a broker-only node, which follows the log at
	// AdvertiseAddr (its inter-broker listener) once the active
	// controller adds it.
	NonVoter      bool
	AdvertiseAddr string
}

// RaftTransport binds Raft's port: the controller listener on a voter,
// the inter-broker listener on a broker-only node. Raft dials peers'
// controller listeners (or, for a non-voter, is dialed on its inter-broker
// listener) with dial, which carries the controller listener's TLS. A
// single node without voters needs no port: ok is false.
func (s *Set) RaftTransport(dial network.DialFunc) (r Raft, ok bool, err error) {
	if len(s.cfg.ControllerQuorumVoters) == 0 {
		return Raft{}, false, nil
	}
	var name string
	if s.cfg.IsController() {
		for _, l := range s.cfg.Listeners {
			if slices.Contains(s.cfg.ControllerListenerNames, l.Name) {
				name = l.Name
				break
			}
		}
	} else {
		adv, ok := ClientListener(s.cfg)
		if !ok {
			return Raft{}, false, errors.New("broker-only node has no inter-broker listener")
		}
		name, r.NonVoter = adv.Name, true
	}
	if name == "" {
		return Raft{}, false, errors.New("no controller listener configured (controller.listener.names)")
	}
	m, err := s.Mux(name)
	if err != nil {
		return Raft{}, false, err
	}
	r.Listener = m.Raft()
	r.Dial = func(addr string, timeout time.Duration) (net.Conn, error) {
		return network.DialRaft(dial, addr, timeout)
	}
	if r.NonVoter {
		adv, _ := ClientListener(s.cfg)
		if adv.Port == 0 {
			adv.Port = m.Addr().(*net.TCPAddr).Port
		}
		r.AdvertiseAddr = net.JoinHostPort(adv.Host, strconv.Itoa(adv.Port))
	}
	return r, true, nil
}
