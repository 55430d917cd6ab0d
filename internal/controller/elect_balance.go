package controller

import (
	"context"
	"slices"
	"time"

	"github.com/samsa-io/samsa/internal/metadata"
)

// Automatic leader balancing (auto.leader.rebalance.enable) and the other
// periodic duties of the active controller.
//
// Every leader.imbalance.check.interval.seconds the active controller
// counts, per broker, the partitions whose preferred replica (the first
// in the replica list) it is and how many of those it does not lead. When
// that share exceeds leader.imbalance.per.broker.percentage it runs a
// preferred election for each such partition whose preferred replica is
// live and in the ISR (Kafka's checkAndTriggerAutoLeaderRebalance).
// Partitions being reassigned are left alone: their preferred replica is
// in flux.

// OperationsConfig tunes RunOperations.
type OperationsConfig struct {
	// AutoLeaderRebalance is auto.leader.rebalance.enable.
	AutoLeaderRebalance bool
	// ImbalanceCheckInterval is leader.imbalance.check.interval.seconds.
	ImbalanceCheckInterval time.Duration
	// ImbalancePerBrokerPercentage is leader.imbalance.per.broker.percentage.
	ImbalancePerBrokerPercentage int
	// ReassignmentCheckInterval is how often reassignments are checked for
	// completion; zero means one second.
	ReassignmentCheckInterval time.Duration
}

// RunOperations runs the active controller's periodic duties until ctx is
// done: completing reassignments (at once after this node takes office,
// then every ReassignmentCheckInterval) and, if enabled, leader
// balancing. On a node that is not the active controller it only waits.
// The caller owns the goroutine.
func (c *Controller) RunOperations(ctx context.Context, cfg OperationsConfig) {
	tick := time.NewTicker(orDefault(cfg.ReassignmentCheckInterval, time.Second))
	defer tick.Stop()
	balanceEvery := orDefault(cfg.ImbalanceCheckInterval, 300*time.Second)
	var nextBalance time.Time
	leading := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.done:
			return
		case now := <-tick.C:
			if !c.IsLeader() {
				leading = false
				continue
			}
			if !leading { // just took office: first balance after one interval, as Kafka
				leading, nextBalance = true, now.Add(balanceEvery)
			}
			if err := c.CompleteReassignments(ctx); err != nil && ctx.Err() == nil {
				c.logger.Warn("complete reassignments", "err", err)
			}
			if cfg.AutoLeaderRebalance && !now.Before(nextBalance) {
				nextBalance = now.Add(balanceEvery)
				if err := c.BalanceLeaders(ctx, cfg.ImbalancePerBrokerPercentage); err != nil && ctx.Err() == nil {
					c.logger.Warn("balance leaders", "err", err)
				}
			}
		}
	}
}

// BalanceLeaders runs one leader balancing pass (see the file comment)
// with the given per-broker imbalance percentage. A no-op on a node that
// is not the active controller.
func (c *Controller) BalanceLeaders(ctx context.Context, percentage int) error {
	c.proposeMu.Lock()
	defer c.proposeMu.Unlock()
	if !c.IsLeader() {
		return nil
	}
	for _, tp := range imbalancedPartitions(c.Image(), percentage) {
		if err := c.electLocked(ctx, ElectPreferred, tp); err != nil {
			c.logger.Debug("preferred election skipped", "topic", tp.Topic, "partition", tp.Partition, "err", err)
			continue
		}
	}
	return nil
}

// imbalancedPartitions returns the partitions to move back to their
// preferred replica: those of brokers whose share of partitions led by
// someone else exceeds percentage, and whose preferred replica can lead.
func imbalancedPartitions(im *metadata.Image, percentage int) []TopicPartition {
	preferredCount := map[int32]int{}
	notLed := map[int32][]TopicPartition{}
	for _, name := range im.SortedTopicNames() {
		t, _ := im.Topic(name)
		for _, p := range t.Partitions {
			if len(p.Replicas) == 0 {
				continue
			}
			pref := p.Replicas[0]
			preferredCount[pref]++
			if p.Leader != pref {
				notLed[pref] = append(notLed[pref], TopicPartition{name, p.Index})
			}
		}
	}
	var out []TopicPartition
	for _, b := range im.LiveBrokers() {
		bad := notLed[b.ID]
		if len(bad) == 0 || 100*len(bad) <= percentage*preferredCount[b.ID] {
			continue
		}
		for _, tp := range bad {
			p, _ := im.PartitionOf(tp.Topic, tp.Partition)
			if !p.Reassigning() && slices.Contains(p.ISR, b.ID) {
				out = append(out, tp)
			}
		}
	}
	return out
}
