package controller

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/samsa-io/samsa/internal/metadata"
)

// placeReplicas assigns replicas to count new partitions starting at index
// first, Kafka-style round robin: partition p's replica list begins at
// live[(start+p) % n] and continues through the sorted live brokers, with
// a random start per call so leaders of different topics spread out.
func placeReplicas(live []metadata.Broker, first, count int32, rf int) []PartitionAssign {
	n := len(live)
	start := rand.IntN(n)
	out := make([]PartitionAssign, 0, count)
	for p := first; p < first+count; p++ {
		replicas := make([]int32, rf)
		for r := range rf {
			replicas[r] = live[(start+int(p)+r)%n].ID
		}
		out = append(out, PartitionAssign{Index: p, Replicas: replicas})
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
