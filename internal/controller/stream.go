package controller

import (
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// streamLayer is Raft's stream layer: connections come from a listener
// (usually the Raft side of a network.Mux, which shares the controller or
// inter-broker port with the Kafka protocol) and go out through a dial
// function (which writes the mux's magic byte; tests pass one that can
// cut links). It also tracks connections: raft's NetworkTransport.Close
// stops accepting but leaves open inbound connections (and the goroutines
// serving them) until the peer hangs up. Closing the stream layer closes
// every connection it handed out, so a closed controller leaves nothing
// running.
type streamLayer struct {
	ln        net.Listener
	advertise net.Addr
	dial      func(addr string, timeout time.Duration) (net.Conn, error)

	mu     sync.Mutex
	closed bool
	conns  map[*trackedConn]struct{}
}

var _ raft.StreamLayer = (*streamLayer)(nil)

func newStream(ln net.Listener, advertise net.Addr, dial func(string, time.Duration) (net.Conn, error)) *streamLayer {
	if dial == nil {
		dial = func(addr string, timeout time.Duration) (net.Conn, error) {
			return net.DialTimeout("tcp", addr, timeout)
		}
	}
	return &streamLayer{ln: ln, advertise: advertise, dial: dial, conns: map[*trackedConn]struct{}{}}
}

// Accept implements net.Listener.
func (s *streamLayer) Accept() (net.Conn, error) {
	c, err := s.ln.Accept()
	if err != nil {
		return nil, err
	}
	return s.track(c)
}

// Dial implements raft.StreamLayer.
func (s *streamLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	c, err := s.dial(string(addr), timeout)
	if err != nil {
		return nil, err
	}
	return s.track(c)
}

// Addr implements net.Listener; it is the address peers dial.
func (s *streamLayer) Addr() net.Addr { return s.advertise }

// Close implements net.Listener: it stops accepting and closes every
// tracked connection.
func (s *streamLayer) Close() error {
	s.mu.Lock()
	s.closed = true
	conns := s.conns
	s.conns = map[*trackedConn]struct{}{}
	s.mu.Unlock()
	err := s.ln.Close()
	for c := range conns {
		_ = c.Conn.Close()
	}
	return err
}

func (s *streamLayer) track(c net.Conn) (net.Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		_ = c.Close()
		return nil, fmt.Errorf("raft stream: %w", net.ErrClosed)
	}
	tc := &trackedConn{Conn: c, owner: s}
	s.conns[tc] = struct{}{}
	return tc, nil
}

func (s *streamLayer) untrack(c *trackedConn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// trackedConn removes itself from its stream layer when closed.
type trackedConn struct {
	net.Conn
	owner *streamLayer
}

func (c *trackedConn) Close() error {
	c.owner.untrack(c)
	return c.Conn.Close()
}
