package handler

import (
	"context"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/acl"
	"github.com/samsa-io/samsa/internal/controller"
)

// UnregisterBroker of the test fakes: brokers 1 and 2 are registered.
func (c *adminController) UnregisterBroker(_ context.Context, id int32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if id != 1 && id != 2 {
		return fmt.Errorf("%w: Broker %d is not registered.", controller.ErrUnknownBroker, id)
	}
	c.unregistered = append(c.unregistered, id)
	return nil
}

func TestUnregisterBroker(t *testing.T) {
	dp := newSecured(t)
	req := kmsg.NewPtrUnregisterBrokerRequest()
	req.BrokerID = 2
	resp := dp.as("User:alice", req).(*kmsg.UnregisterBrokerResponse)
	code(t, "without ALTER on the cluster", resp.ErrorCode, kerr.ClusterAuthorizationFailed)
	if len(dp.ctl.unregistered) != 0 {
		t.Fatalf("unregistered without ALTER: %v", dp.ctl.unregistered)
	}
	grant(dp, "User:alice", acl.ResourceCluster, "kafka-cluster", acl.PatternLiteral, acl.OpAlter)
	resp = dp.as("User:alice", req).(*kmsg.UnregisterBrokerResponse)
	code(t, "registered broker", resp.ErrorCode, nil)
	req.BrokerID = 7
	resp = dp.as("User:alice", req).(*kmsg.UnregisterBrokerResponse)
	code(t, "unknown broker", resp.ErrorCode, kerr.BrokerIDNotRegistered)
	if len(dp.ctl.unregistered) != 1 || dp.ctl.unregistered[0] != 2 {
		t.Fatalf("unregistered %v, want [2]", dp.ctl.unregistered)
	}
}
