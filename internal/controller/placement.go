package controller

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/samsa-io/samsa/internal/metadata"
)

// placeReplicas assigns replicas to count new partitions starting at index
// first, Kafka-style round robin over the live brokers in rack-alternating
// order (see rackAlternating): partition p's first replica, its leader, is
// broker (start+p) mod n, so leaders spread evenly over brokers and racks;
// the following replicas continue along the same order, skipping brokers
// on a rack the partition already uses while an unused rack remains. The
// start is random per call so that leaders of different topics spread out.
// Without racks this is plain round robin over the brokers sorted by ID.
func placeReplicas(live []metadata.Broker, first, count int32, rf int) []PartitionAssign {
	ordered := rackAlternating(live)
	n := len(ordered)
	racks := map[string]bool{}
	for _, b := range ordered {
		racks[b.Rack] = true
	}
	start := rand.IntN(n)
	out := make([]PartitionAssign, 0, count)
	for p := first; p < first+count; p++ {
		out = append(out, PartitionAssign{Index: p, Replicas: placeOne(ordered, (start+int(p))%n, rf, len(racks))})
	}
	return out
}

// placeOne picks rf brokers walking ordered from index from: first only
// brokers on racks not used yet (while fewer than numRacks are), then any
// broker not picked.
func placeOne(ordered []metadata.Broker, from, rf, numRacks int) []int32 {
	n := len(ordered)
	replicas := make([]int32, 0, rf)
	used := map[string]bool{}
	for pass := 0; pass < 2 && len(replicas) < rf; pass++ {
		for i := 0; i < n && len(replicas) < rf; i++ {
			b := ordered[(from+i)%n]
			if slices.Contains(replicas, b.ID) || (pass == 0 && used[b.Rack] && len(used) < numRacks) {
				continue
			}
			replicas = append(replicas, b.ID)
			used[b.Rack] = true
		}
	}
	return replicas
}

// rackAlternating orders brokers so that neighbours sit on different
// racks where possible: the first broker of each rack (racks by name,
// brokers by ID), then the second of each, and so on. Brokers without a
// rack form one more group, as in Kafka's striped placement.
func rackAlternating(live []metadata.Broker) []metadata.Broker {
	byRack := map[string][]metadata.Broker{}
	for _, b := range live {
		byRack[b.Rack] = append(byRack[b.Rack], b)
	}
	names := make([]string, 0, len(byRack))
	for r, bs := range byRack {
		slices.SortFunc(bs, func(a, b metadata.Broker) int { return int(a.ID) - int(b.ID) })
		names = append(names, r)
	}
	slices.Sort(names)
	out := make([]metadata.Broker, 0, len(live))
	for i := 0; len(out) < len(live); i++ {
		for _, r := range names {
			if i < len(byRack[r]) {
				out = append(out, byRack[r][i])
			}
		}
	}
	return out
}

// checkReplicationFactor rejects rf outside 1..len(live), with Kafka's
// KRaft wording.
func checkReplicationFactor(rf int, live int) error {
	if rf <= 0 {
		return domainErr(ErrInvalidReplicationFactor, "Replication factor must be larger than 0.")
	}
	if rf > live {
		return domainErr(ErrInvalidReplicationFactor, fmt.Sprintf(
			"Unable to replicate the partition %d time(s): The target replication factor of %d cannot be reached because only %d broker(s) are registered.",
			rf, rf, live))
	}
	return nil
}

// checkAssignment validates one manual replica list. rf is the replica
// count every partition must have, or 0 to accept the first list's.
func checkAssignment(im *metadata.Image, p int32, replicas []int32, rf int) error {
	if len(replicas) == 0 {
		return domainErr(ErrInvalidReplicaAssignment,
			fmt.Sprintf("The manual partition assignment includes an empty replica list for partition %d.", p))
	}
	if rf > 0 && len(replicas) != rf {
		return domainErr(ErrInvalidReplicaAssignment, fmt.Sprintf(
			"The manual partition assignment includes a partition with %d replica(s), but this is not consistent with previous partitions, which have %d replica(s).",
			len(replicas), rf))
	}
	for i, id := range replicas {
		if slices.Contains(replicas[:i], id) {
			return domainErr(ErrInvalidReplicaAssignment,
				fmt.Sprintf("The manual partition assignment includes the broker %d more than once.", id))
		}
		if _, ok := im.Brokers[id]; !ok {
			return domainErr(ErrInvalidReplicaAssignment,
				fmt.Sprintf("The manual partition assignment includes broker %d, but no such broker is registered.", id))
		}
	}
	return nil
}

// manualAssignments validates a manual assignment for partitions
// first..first+len(lists)-1 and converts it to records.
func manualAssignments(im *metadata.Image, first int32, lists [][]int32, rf int) ([]PartitionAssign, error) {
	out := make([]PartitionAssign, 0, len(lists))
	for i, replicas := range lists {
		p := first + int32(i)
		if err := checkAssignment(im, p, replicas, rf); err != nil {
			return nil, err
		}
		rf = len(replicas)
		out = append(out, PartitionAssign{Index: p, Replicas: slices.Clone(replicas)})
	}
	return out, nil
}

// assignmentLists orders a CreateTopics manual assignment by partition,
// requiring the indexes to be 0..n-1.
func assignmentLists(m map[int32][]int32) ([][]int32, error) {
	lists := make([][]int32, len(m))
	for p, replicas := range m {
		if p < 0 || int(p) >= len(m) {
			return nil, domainErr(ErrInvalidReplicaAssignment,
				"Partitions should be a consecutive 0-based integer sequence.")
		}
		lists[p] = replicas
	}
	return lists, nil
}
