package handler

// Feature flags (KIP-584, KIP-778, KIP-1022): the features a Kafka 4.4
// KRaft node lists in ApiVersions and that UpdateFeatures changes, with
// the levels Samsa implements (docs/features.md says why each level).
//
// Every feature has exactly one level Samsa can run at, so each supported
// range is that one level and the finalized level is it too: Samsa's
// behaviour does not switch with a finalized level, and reporting a range
// it could not honour would let `kafka-features upgrade` succeed without
// changing anything. Because the level of each feature is fixed by the
// code, every node of a cluster running one Samsa version reports the
// same levels, and there is nothing to store in the Raft log yet; the
// epoch of the finalized levels is the Raft index the node's metadata
// image has applied, as Kafka's is the offset of its metadata image. A
// version that gives a feature a second level must make the level a
// record of the metadata log (TestFeatureLevelsAreFixed fails until then).

import "slices"

// feature is one feature flag and the one level Samsa implements.
type feature struct {
	name  string
	level int16 // supported as the range level-level, finalized at level (0: not finalized)
}

// metadataVersionFeature is the feature whose level names the Kafka
// release whose metadata Samsa's answers follow.
const metadataVersionFeature = "metadata.version"

// features are the features a Kafka 4.4 node lists, sorted by name.
var features = []feature{
	// Eligible leader replicas (KIP-966) are always kept, as a Kafka 4.4
	// cluster formatted with its defaults does (internal/controller/elr.go).
	{name: "eligible.leader.replicas.version", level: 1},
	// The consumer group protocol (KIP-848, ConsumerGroupHeartbeat) is
	// always on; Samsa cannot turn it off, so level 0 is not supported.
	{name: "group.version", level: 1},
	// Static voters: no AddRaftVoter/RemoveRaftVoter (KIP-853), and
	// DescribeQuorum's voters carry no directory id.
	{name: "kraft.version", level: 0},
	// 4.4-IV2, Kafka 4.4's: the release whose client protocol Samsa serves
	// and is tested against. Clients act on no metadata.version.
	{name: metadataVersionFeature, level: 33},
	// Share groups (KIP-932: ShareGroupHeartbeat, ShareFetch, ...) are
	// always on, as in a Kafka 4.4 cluster formatted at its default level.
	{name: "share.version", level: 1},
	// No streams groups (KIP-1071).
	{name: "streams.version", level: 0},
	// Transactions V2 (KIP-890 part 2, level 2: an epoch bump at every
	// EndTxn, no AddOffsetsToTxn) is not implemented, and Samsa's
	// transaction log is its own, not Kafka's flexible records (level 1):
	// the original coordinator, level 0. Clients act only on level 2.
	{name: "transaction.version", level: 0},
}

// findFeature returns the feature named name.
func findFeature(name string) (feature, bool) {
	i := slices.IndexFunc(features, func(f feature) bool { return f.name == name })
	if i < 0 {
		return feature{}, false
	}
	return features[i], true
}
