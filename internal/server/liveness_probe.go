package server

import (
	"context"
	"errors"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/samsa-io/samsa/internal/metadata"
)

// probeTimeout bounds one liveness probe; a refused connection on a live
// host comes back at once, so only an unreachable host waits this long.
const probeTimeout = 300 * time.Millisecond

// brokerGone reports whether b's registered listener refuses connections,
// which means no process is listening there: the broker was killed or
// stopped. Any other failure (timeout, unreachable network, a cut link in
// tests) is not proof of death and reports false.
func (s *Server) brokerGone(b metadata.Broker) bool {
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	dial := s.opts.Dial
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	conn, err := dial(ctx, "tcp", net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port))))
	if err == nil {
		conn.Close()
		return false
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}
