package lifecycle

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

// liveness, on the active controller, fences the brokers whose session
// expired, and those whose heartbeat is late and whose listener refuses
// connections (the process is gone: fail over now rather than after the
// session).
func (b *Broker) liveness(ctx context.Context) {
	t := time.NewTicker(b.heartbeatInterval())
	defer t.Stop()
	session := time.Duration(b.deps.Config.BrokerSessionTimeoutMs) * time.Millisecond
	ctrl := b.deps.Controller
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if err := ctrl.FenceExpiredBrokers(ctx, now, session); err != nil && ctx.Err() == nil {
				b.deps.Logger.Warn("fence expired brokers", "err", err)
			}
			if err := ctrl.FenceDeadBrokers(ctx, now, b.heartbeatInterval()*3/2, b.brokerGone); err != nil && ctx.Err() == nil {
				b.deps.Logger.Warn("fence dead brokers", "err", err)
			}
		}
	}
}

// brokerGone reports whether br's registered listener refuses
// connections, which means no process is listening there: the broker was
// killed or stopped. Any other failure (timeout, unreachable network, a
// cut link in tests) is not proof of death and reports false.
func (b *Broker) brokerGone(br metadata.Broker) bool {
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	dial := b.deps.ProbeDial
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	conn, err := dial(ctx, "tcp", net.JoinHostPort(br.Host, strconv.Itoa(int(br.Port))))
	if err == nil {
		conn.Close()
		return false
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}
