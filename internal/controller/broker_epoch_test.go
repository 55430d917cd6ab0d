package controller

import (
	"errors"
	"slices"
	"testing"

	"github.com/samsa-io/samsa/internal/metadata"
)

// epochOf is broker id's registered broker epoch.
func epochOf(c *Controller, id int32) int64 {
	return c.Image().Brokers[id].Epoch
}

// beat sends a heartbeat from broker id with its registered epoch, caught
// up with the controller's image.
func beat(t *testing.T, c *Controller, id int32, wantFence bool) (HeartbeatResult, error) {
	t.Helper()
	return c.BrokerHeartbeat(ctxT(t), HeartbeatRequest{BrokerID: id, BrokerEpoch: epochOf(c, id),
		MetadataOffset: int64(c.Image().AppliedIndex), WantFence: wantFence})
}

// incarnation registers broker id as a starting broker would. It has no
// address, so the controller adds no Raft non-voter for it.
func incarnation(t *testing.T, c *Controller, id int32) int64 {
	t.Helper()
	epoch, err := c.RegisterBrokerIncarnation(ctxT(t), metadata.Broker{ID: id}, -1)
	must(t, err, "register broker %d", id)
	return epoch
}

func TestRegistrationEpochIsItsLogIndex(t *testing.T) {
	c := startController(t, testConfig(1, t.TempDir()))
	e1 := incarnation(t, c, 2)
	if b := c.Image().Brokers[2]; b.Epoch != e1 || e1 <= 0 || !b.Fenced {
		t.Fatalf("registered %+v with epoch %d, want that epoch, positive, fenced", b, e1)
	}
	if _, err := c.BrokerHeartbeat(ctxT(t), HeartbeatRequest{BrokerID: 2, BrokerEpoch: e1,
		MetadataOffset: e1}); err != nil {
		t.Fatalf("heartbeat with the registered epoch: %v", err)
	}
	e2 := incarnation(t, c, 2)
	if e2 <= e1 || epochOf(c, 2) != e2 || !c.Image().Brokers[2].Fenced {
		t.Fatalf("re-registration: epoch %d -> %d (image %d), fenced %v; want a higher epoch, fenced",
			e1, e2, epochOf(c, 2), c.Image().Brokers[2].Fenced)
	}
	// Registering the same broker again through the single-node path
	// writes nothing and keeps the epoch.
	registerBrokers(t, c, 3)
	e3 := epochOf(c, 3)
	registerBrokers(t, c, 3)
	if epochOf(c, 3) != e3 || e3 <= e2 {
		t.Fatalf("broker 3 epoch %d after an identical registration, want %d (> %d)", epochOf(c, 3), e3, e2)
	}
}

func TestHeartbeatWithStaleEpochRefused(t *testing.T) {
	c := startController(t, testConfig(1, t.TempDir()))
	old := incarnation(t, c, 2)
	cur := incarnation(t, c, 2) // the broker restarted
	for _, epoch := range []int64{old, -1, cur + 1} {
		res, err := c.BrokerHeartbeat(ctxT(t), HeartbeatRequest{BrokerID: 2, BrokerEpoch: epoch, MetadataOffset: cur})
		if !errors.Is(err, ErrStaleBrokerEpoch) || !res.Fenced {
			t.Fatalf("heartbeat with epoch %d (registered %d): %+v %v, want fenced and ErrStaleBrokerEpoch",
				epoch, cur, res, err)
		}
	}
	if !c.Image().Brokers[2].Fenced {
		t.Fatal("a stale heartbeat unfenced the broker")
	}
	if _, err := c.BrokerHeartbeat(ctxT(t), HeartbeatRequest{BrokerID: 9, BrokerEpoch: 1}); !errors.Is(err, ErrUnknownBroker) {
		t.Fatalf("heartbeat of an unregistered broker: %v, want ErrUnknownBroker", err)
	}
	res, err := c.BrokerHeartbeat(ctxT(t), HeartbeatRequest{BrokerID: 2, BrokerEpoch: cur, MetadataOffset: cur})
	if err != nil || res.Fenced || !res.CaughtUp {
		t.Fatalf("heartbeat of the current incarnation: %+v %v, want unfenced and caught up", res, err)
	}
}

func TestBrokerStaysFencedUntilCaughtUp(t *testing.T) {
	c := startController(t, testConfig(1, t.TempDir()))
	epoch := incarnation(t, c, 2)
	for _, offset := range []int64{-1, 0, epoch - 1} {
		res, err := c.BrokerHeartbeat(ctxT(t), HeartbeatRequest{BrokerID: 2, BrokerEpoch: epoch, MetadataOffset: offset})
		must(t, err, "heartbeat at offset %d", offset)
		if !res.Fenced || res.CaughtUp || !c.Image().Brokers[2].Fenced {
			t.Fatalf("broker at offset %d, registered at %d: %+v, want fenced and not caught up", offset, epoch, res)
		}
	}
	res, err := c.BrokerHeartbeat(ctxT(t), HeartbeatRequest{BrokerID: 2, BrokerEpoch: epoch, MetadataOffset: epoch})
	if err != nil || res.Fenced || !res.CaughtUp || c.Image().Brokers[2].Fenced {
		t.Fatalf("broker that reached its registration: %+v %v, want unfenced and caught up", res, err)
	}
	// Caught up but asking to stay fenced (not ready, or shutting down).
	res, err = c.BrokerHeartbeat(ctxT(t), HeartbeatRequest{BrokerID: 2, BrokerEpoch: epoch,
		MetadataOffset: int64(c.Image().AppliedIndex), WantFence: true})
	if err != nil || !res.Fenced || !res.CaughtUp || !c.Image().Brokers[2].Fenced {
		t.Fatalf("caught-up broker asking to be fenced: %+v %v", res, err)
	}
}

// A previous incarnation's AlterPartition, still in flight when the
// broker re-registered, is refused on its epoch, not on what it proposes.
func TestAlterPartitionFromPreviousIncarnationRefused(t *testing.T) {
	c, topic := ledBy2(t)
	old := epochOf(c, 2)
	req := AlterPartitionRequest{BrokerID: 2, BrokerEpoch: old, TopicID: topic.ID, Partition: 0, ISR: []int32{2, 1}}
	incarnation(t, c, 2)
	if _, err := c.AlterPartition(ctxT(t), req); !errors.Is(err, ErrStaleBrokerEpoch) {
		t.Fatalf("AlterPartition with the previous epoch: %v, want ErrStaleBrokerEpoch", err)
	}
	if p := part(c); slices.Contains(p.ISR, 2) || p.Leader == 2 {
		t.Fatalf("partition after broker 2 re-registered: %+v, want 2 out of the ISR and leadership", p)
	}
}

// The epoch lives in the metadata log, so a restarted controller (or a new
// active one) checks the same epoch.
func TestBrokerEpochSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	c := startController(t, testConfig(1, dir))
	epoch := incarnation(t, c, 2)
	must(t, c.raft.Snapshot().Error(), "snapshot")
	must(t, c.Close(), "close")
	c = startController(t, testConfig(1, dir))
	if got := epochOf(c, 2); got != epoch {
		t.Fatalf("epoch after restart %d, want %d", got, epoch)
	}
	if _, err := c.BrokerHeartbeat(ctxT(t), HeartbeatRequest{BrokerID: 2, BrokerEpoch: epoch - 1,
		MetadataOffset: epoch}); !errors.Is(err, ErrStaleBrokerEpoch) {
		t.Fatalf("stale heartbeat after restart: %v", err)
	}
}
