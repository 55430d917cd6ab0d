package controller

import (
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// streamLayer is raft's TCP stream layer plus connection tracking: raft's
// own NetworkTransport.Close stops accepting but leaves open inbound
// connections (and the goroutines serving them) until the peer hangs up.
// Closing the stream layer closes every connection it handed out, so a
// closed controller leaves nothing running.
type streamLayer struct {
	ln        net.Listener
	advertise net.Addr

	mu     sync.Mutex
	closed bool
	conns  map[*trackedConn]struct{}
}

var _ raft.StreamLayer = (*streamLayer)(nil)

func listenStream(bind string, advertise net.Addr) (*streamLayer, error) {
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, err
	}
	return &streamLayer{ln: ln, advertise: advertise, conns: map[*trackedConn]struct{}{}}, nil
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
	c, err := net.DialTimeout("tcp", string(addr), timeout)
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
