package controller

import (
	"slices"
	"strconv"

	"github.com/samsa-io/samsa/internal/metadata"
)

// Eligible leader replicas (KIP-966), as Kafka 4.4's controller keeps them
// (its PartitionChangeBuilder, eligible.leader.replicas.version 1, which
// Samsa always runs at; docs/eligible-leader-replicas.md).
//
// A partition's ELR are replicas outside the ISR that still hold every
// committed record: they left the ISR while it was smaller than the
// topic's min.insync.replicas, and with fewer than min.insync.replicas in
// sync no acks=all write is acknowledged. Every change of a partition goes
// through partitionChange.apply, which keeps these rules:
//
//   - With the new ISR at least min.insync.replicas large, the ELR is
//     empty. Below it, the ELR is the old ISR and ELR together, less the
//     new ISR and less a replica that restarted after an unclean shutdown
//     (its log may have lost acknowledged records).
//   - The ISR may become empty: its last member, leaving, joins the ELR.
//     The partition then remembers its last leader in LastKnownELR.
//   - A leader comes from the ISR; with the ISR empty, from the ELR (the
//     elected member becomes the ISR alone); with both empty, the last
//     known leader if it may lead (Kafka calls this an unclean election,
//     as it may have lost what it had not flushed); else, if the topic's
//     unclean.leader.election.enable allows it, any live replica, and the
//     ELR is forgotten.
//   - LastKnownELR empties as soon as the partition has a leader.

// minInsyncReplicasKey is the config whose value bounds the ELR.
const minInsyncReplicasKey = "min.insync.replicas"

// electionMode is how far a partition change may go to find a leader.
type electionMode int8

const (
	// electFromISR elects from the ISR, or the ELR when the ISR is empty,
	// or else the last known leader.
	electFromISR electionMode = iota
	// electAllowUnclean also takes any replica that may lead when those
	// are all gone (unclean.leader.election.enable, or an unclean
	// ElectLeaders).
	electAllowUnclean
	// electPreferredFirst tries the preferred replica before the current
	// leader (a preferred ElectLeaders).
	electPreferredFirst
)

// noBroker stands for "no broker" in partitionChange.uncleanShutdown.
const noBroker int32 = -1

// partitionChange is what one change wants of a partition: its new ISR,
// and who may lead. apply turns it into the partition's next state.
type partitionChange struct {
	isr      []int32
	minISR   int
	mayLead  func(int32) bool
	election electionMode
	// uncleanShutdown is a replica that restarted without a clean
	// shutdown: it leaves the ELR as well as the ISR.
	uncleanShutdown int32
}

// apply returns p's next state under the rules in the file comment, and
// whether its leader was elected uncleanly.
func (ch partitionChange) apply(p metadata.Partition) (next metadata.Partition, unclean bool) {
	next = p.Clone()
	isr := slices.Clone(ch.isr)
	var elr []int32
	if len(isr) < ch.minISR {
		for _, r := range union(p.ELR, p.ISR) {
			if !slices.Contains(isr, r) && r != ch.uncleanShutdown {
				elr = append(elr, r)
			}
		}
	}
	leader, unclean := ch.elect(p, isr, elr)
	if leader != p.Leader {
		if slices.Contains(elr, leader) {
			isr = []int32{leader}
			elr = slices.DeleteFunc(elr, func(r int32) bool { return r == leader })
		}
		if unclean {
			isr, elr = []int32{leader}, nil
		}
	}
	next.Leader, next.ISR, next.ELR = leader, isr, elr
	switch {
	case len(isr) == 0 && len(p.ISR) > 0 && p.Leader >= 0 &&
		!(len(p.LastKnownELR) == 1 && p.LastKnownELR[0] == p.Leader):
		next.LastKnownELR = []int32{p.Leader} // the first time it has none
	case leader >= 0:
		next.LastKnownELR = nil
	}
	return next, unclean
}

// elect picks the leader for the target isr and elr: -1 if none may lead.
func (ch partitionChange) elect(p metadata.Partition, isr, elr []int32) (leader int32, unclean bool) {
	valid := func(r int32) bool {
		return (slices.Contains(isr, r) || (len(isr) == 0 && slices.Contains(elr, r))) && ch.mayLead(r)
	}
	if ch.election == electPreferredFirst && len(p.Replicas) > 0 && valid(p.Replicas[0]) {
		return p.Replicas[0], false
	}
	if p.Leader >= 0 && valid(p.Leader) {
		return p.Leader, false
	}
	for _, r := range p.Replicas {
		if valid(r) {
			return r, false
		}
	}
	if len(isr) == 0 && len(elr) == 0 && len(p.LastKnownELR) == 1 && ch.mayLead(p.LastKnownELR[0]) {
		return p.LastKnownELR[0], true
	}
	if ch.election == electAllowUnclean {
		for _, r := range p.Replicas {
			if ch.mayLead(r) {
				return r, true
			}
		}
	}
	return -1, false
}

// union returns the members of a and b, sorted, each once.
func union(a, b []int32) []int32 {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

// liveExcept returns whether a broker may lead: registered, unfenced and
// not one of excluded.
func liveExcept(im *metadata.Image, excluded ...int32) func(int32) bool {
	return func(r int32) bool {
		if slices.Contains(excluded, r) {
			return false
		}
		b, ok := im.Brokers[r]
		return ok && !b.Fenced
	}
}

// effectiveMinISR is topic t's min.insync.replicas, as Kafka's controller
// takes it: the topic's own value, else the cluster-level dynamic default,
// else this controller's static config.
func (c *Controller) effectiveMinISR(im *metadata.Image, t *metadata.Topic) int {
	v, ok := t.Configs[minInsyncReplicasKey]
	if !ok {
		v, ok = im.BrokerConfigs[metadata.DefaultBrokerConfigResource][minInsyncReplicasKey]
	}
	if !ok {
		v = c.staticMinISR()
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// staticMinISR is this node's min.insync.replicas from server.properties.
func (c *Controller) staticMinISR() string {
	if c.cfg.MinInsyncReplicas > 0 {
		return strconv.Itoa(int(c.cfg.MinInsyncReplicas))
	}
	if v := c.defaultConfig(minInsyncReplicasKey); v != "" {
		return v
	}
	return "1"
}

// changeFor starts a change of a partition of t to the target isr, with
// t's min.insync.replicas, any live broker eligible to lead, electing from
// the ISR and ELR only (see electionFor).
func (c *Controller) changeFor(im *metadata.Image, t *metadata.Topic, isr []int32) partitionChange {
	return partitionChange{isr: isr, minISR: c.effectiveMinISR(im, t), mayLead: liveExcept(im),
		election: electFromISR, uncleanShutdown: noBroker}
}

// electionFor is how a partition of t elects a leader when one is lost:
// unclean if its unclean.leader.election.enable allows.
func (c *Controller) electionFor(t *metadata.Topic) electionMode {
	if c.uncleanAllowed(t) {
		return electAllowUnclean
	}
	return electFromISR
}
