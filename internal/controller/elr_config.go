package controller

import (
	"context"
	"maps"
	"slices"

	"github.com/samsa-io/samsa/internal/metadata"
)

// The min.insync.replicas rules of eligible leader replicas (KIP-966), as
// Kafka 4.4's ConfigurationControlManager keeps them with
// eligible.leader.replicas.version 1:
//
//   - The cluster has a cluster-level dynamic min.insync.replicas (the ""
//     broker resource). The active controller writes its own static value
//     there when the metadata log has none: at bootstrap, and once on a
//     log written by a Samsa without ELR. Broker-level values are removed
//     then, and may not be set again.
//   - The cluster-level value cannot be removed (INVALID_CONFIG).
//   - A change of a topic's min.insync.replicas clears the ELR and last
//     known ELR of its partitions; a change of the cluster-level one clears
//     them everywhere. They were computed against the old value.

const (
	errBrokerLevelMinISR  = "Broker-level min.insync.replicas cannot be altered while ELR is enabled."
	errClusterMinISRGone  = "Cluster-level min.insync.replicas cannot be removed while ELR is enabled."
	clusterConfigResource = metadata.DefaultBrokerConfigResource
)

// needsELRSafetyConfig reports whether the image lacks the cluster-level
// min.insync.replicas or has a broker-level one.
func needsELRSafetyConfig(im *metadata.Image) bool {
	for res, vals := range im.BrokerConfigs {
		if _, ok := vals[minInsyncReplicasKey]; ok != (res == clusterConfigResource) {
			return true
		}
	}
	_, ok := im.BrokerConfigs[clusterConfigResource][minInsyncReplicasKey]
	return !ok
}

// proposeELRSafetyConfig writes the records that make needsELRSafetyConfig
// false: the static min.insync.replicas at cluster level, and the removal
// of every broker-level one. The caller has applied the whole log
// (a Barrier).
func (c *Controller) proposeELRSafetyConfig() {
	ctx, cancel := context.WithTimeout(context.Background(), defaultApplyTimeout)
	defer cancel()
	c.proposeMu.Lock()
	defer c.proposeMu.Unlock()
	if !c.IsLeader() {
		return
	}
	im := c.Image()
	if _, ok := im.BrokerConfigs[clusterConfigResource][minInsyncReplicasKey]; !ok {
		v := c.staticMinISR()
		rec := &BrokerConfigRecord{Broker: clusterConfigResource, Set: map[string]string{minInsyncReplicasKey: v}}
		if err := c.propose(ctx, RecordBrokerConfig, rec); err != nil {
			c.logger.Warn("write the cluster-level min.insync.replicas", "err", err)
			return
		}
		c.logger.Info("wrote the cluster-level min.insync.replicas eligible leader replicas need", "value", v)
	}
	for _, res := range slices.Sorted(maps.Keys(im.BrokerConfigs)) {
		if _, ok := im.BrokerConfigs[res][minInsyncReplicasKey]; !ok || res == clusterConfigResource {
			continue
		}
		rec := &BrokerConfigRecord{Broker: res, Delete: []string{minInsyncReplicasKey}}
		if err := c.propose(ctx, RecordBrokerConfig, rec); err != nil {
			c.logger.Warn("remove a broker-level min.insync.replicas", "broker", res, "err", err)
			return
		}
		c.logger.Info("removed a broker-level min.insync.replicas: eligible leader replicas take the cluster-level one",
			"broker", res)
	}
}

// checkELRBrokerConfig refuses a dynamic broker config change that breaks
// the rules above: current and final are the resource's configs before and
// after it.
func checkELRBrokerConfig(resource string, current, final map[string]string) error {
	before, had := current[minInsyncReplicasKey]
	after, has := final[minInsyncReplicasKey]
	if had == has && before == after {
		return nil
	}
	if resource != clusterConfigResource {
		return domainErr(ErrInvalidConfig, errBrokerLevelMinISR)
	}
	if !has {
		return domainErr(ErrInvalidConfig, errClusterMinISRGone)
	}
	return nil
}

// clearELRLocked clears the ELR and last known ELR of every partition of
// the named topics (all topics when names is nil), after their
// min.insync.replicas changed. proposeMu is held.
func (c *Controller) clearELRLocked(ctx context.Context, names []string) error {
	im := c.Image()
	if names == nil {
		names = im.SortedTopicNames()
	}
	for _, name := range names {
		t, ok := im.Topic(name)
		if !ok {
			continue
		}
		for _, p := range t.Partitions {
			next := p.Clone()
			next.ELR, next.LastKnownELR = nil, nil
			rec, changed := changeRecord(t.ID, p, next)
			if !changed {
				continue
			}
			if err := c.propose(ctx, RecordPartitionChange, &rec); err != nil {
				return err
			}
		}
	}
	return nil
}
