package controller

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/hashicorp/raft"

	"github.com/samsa-io/samsa/internal/metadata"
)

// Broker-only nodes follow the metadata log as Raft non-voters. The active
// controller adds one when it registers (and checks again on heartbeats,
// so a node the configuration lost, or whose address changed, is added
// back under any later controller). The Raft address is the broker's
// registered listener: a broker-only node serves Raft on its inter-broker
// port, multiplexed with the Kafka protocol. Voters are never touched:
// their membership comes from controller.quorum.voters.

// ensureFollowerLocked adds broker b as a Raft non-voter unless it is
// already a member at that address. Called with proposeMu held, on the
// leader.
func (c *Controller) ensureFollowerLocked(ctx context.Context, b metadata.Broker) error {
	if b.Host == "" || b.Port <= 0 {
		return nil
	}
	addr := raft.ServerAddress(net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port))))
	f := c.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return fmt.Errorf("read raft configuration: %w", err)
	}
	for _, srv := range f.Configuration().Servers {
		if srv.ID != serverID(b.ID) {
			continue
		}
		if srv.Suffrage == raft.Voter || srv.Address == addr {
			return nil
		}
	}
	if err := c.raft.AddNonvoter(serverID(b.ID), addr, 0, timeoutFrom(ctx)).Error(); err != nil {
		return fmt.Errorf("add broker %d to the metadata quorum as a non-voter: %w", b.ID, err)
	}
	c.logger.Info("added broker to the metadata quorum as a non-voter", "broker", b.ID, "addr", addr)
	return nil
}
