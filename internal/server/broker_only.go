package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

// A broker-only node (process.roles=broker) is not a Raft voter: it
// follows the metadata log as a non-voter, so it holds the same image as
// every other node. It cannot join by itself; it registers with the
// controllers (BrokerRegistration to each voter's controller listener until
// the active one accepts), and the active controller adds it to the Raft
// configuration as a non-voter at the registered inter-broker address,
// where Raft's connections arrive multiplexed with the Kafka protocol.

// joinQuorum registers this broker-only node until the active controller
// has added it to the metadata quorum and it has caught up with the log.
// Later registrations (cluster.start, after a controller failover that
// lost it) go through the normal lifecycle.
func (s *Server) joinQuorum(ctx context.Context) error {
	adv, ok := s.clientListener()
	if !ok {
		return errors.New("broker-only node has no inter-broker listener")
	}
	if adv.Port == 0 {
		adv.Port = s.muxes[adv.Name].Addr().(*net.TCPAddr).Port
	}
	var lastErr error
	for {
		if lastErr = s.link.register(ctx, adv); lastErr != nil {
			s.logger.Info("broker-only node not registered yet; retrying", "err", lastErr)
		}
		wait, cancel := context.WithTimeout(ctx, time.Second)
		err := s.ctrl.WaitReady(wait)
		cancel()
		switch {
		case err == nil:
			s.logger.Info("joined the metadata quorum as a non-voter", "leader", s.ctrl.LeaderID())
			return nil
		case ctx.Err() != nil:
			return fmt.Errorf("join metadata quorum as a non-voter (last registration error: %v): %w", lastErr, ctx.Err())
		case !errors.Is(err, context.DeadlineExceeded):
			return fmt.Errorf("join metadata quorum: %w", err) // closed, or the log cannot be applied
		}
	}
}
