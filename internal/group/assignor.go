package group

import (
	"slices"
	"sort"
)

// Server-side assignors of the KIP-848 consumer group protocol. Both are
// deterministic functions of the members' subscriptions, the partition
// counts and (uniform) the current owners, so every coordinator computes the
// same target.

// assignMember is an assignor's view of one member.
type assignMember struct {
	id         string
	subscribed map[string]bool
	current    []TopicPartition
}

// partitionSet is a set of partitions.
type partitionSet map[TopicPartition]bool

// assignRange gives each member, per topic, a contiguous range of the
// topic's partitions, splitting them among the topic's subscribers sorted
// by member id (the first ones get one extra when it does not divide).
func assignRange(members []assignMember, counts map[string]int32) map[string]partitionSet {
	out := emptyTargets(members)
	for _, topic := range sortedTopics(counts) {
		subs := subscribersOf(members, topic)
		if len(subs) == 0 {
			continue
		}
		n := int(counts[topic])
		per, extra := n/len(subs), n%len(subs)
		next := 0
		for i, id := range subs {
			take := per
			if i < extra {
				take++
			}
			for p := next; p < next+take; p++ {
				out[id][TopicPartition{topic, int32(p)}] = true
			}
			next += take
		}
	}
	return out
}

// assignUniform spreads all subscribed partitions evenly, keeping each
// partition with its current owner while that owner is subscribed and
// under its fair share (sticky), and giving the rest to the least-loaded
// subscribed member. Topics with fewer subscribers go first, so that with
// different subscriptions (a regex and a name list, say) a member keeps the
// partitions only it can take and gives up those others can take too.
func assignUniform(members []assignMember, counts map[string]int32) map[string]partitionSet {
	out := emptyTargets(members)
	var all []TopicPartition
	topics := sortedTopics(counts)
	subscribers := make(map[string]int, len(topics))
	for _, topic := range topics {
		subscribers[topic] = len(subscribersOf(members, topic))
	}
	slices.SortStableFunc(topics, func(a, b string) int { return subscribers[a] - subscribers[b] })
	for _, topic := range topics {
		if subscribers[topic] == 0 {
			continue
		}
		for p := int32(0); p < counts[topic]; p++ {
			all = append(all, TopicPartition{topic, p})
		}
	}
	if len(all) == 0 {
		return out
	}
	quota := (len(all) + len(members) - 1) / len(members)
	owner := make(map[TopicPartition]string)
	for _, m := range members {
		for _, tp := range m.current {
			owner[tp] = m.id
		}
	}
	subscribed := make(map[string]map[string]bool, len(members))
	for _, m := range members {
		subscribed[m.id] = m.subscribed
	}
	var rest []TopicPartition
	for _, tp := range all {
		if id, ok := owner[tp]; ok && subscribed[id][tp.Topic] && len(out[id]) < quota {
			out[id][tp] = true
			continue
		}
		rest = append(rest, tp)
	}
	for _, tp := range rest {
		best := ""
		for _, m := range members {
			if m.subscribed[tp.Topic] && (best == "" || len(out[m.id]) < len(out[best])) {
				best = m.id
			}
		}
		out[best][tp] = true
	}
	return out
}

func emptyTargets(members []assignMember) map[string]partitionSet {
	out := make(map[string]partitionSet, len(members))
	for _, m := range members {
		out[m.id] = make(partitionSet)
	}
	return out
}

func sortedTopics(counts map[string]int32) []string {
	out := make([]string, 0, len(counts))
	for t := range counts {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// subscribersOf lists the ids of members subscribed to topic, sorted
// (members arrive sorted by id).
func subscribersOf(members []assignMember, topic string) []string {
	var out []string
	for _, m := range members {
		if m.subscribed[topic] {
			out = append(out, m.id)
		}
	}
	return out
}

// sortedPartitions lists a set in topic, partition order.
func sortedPartitions(s partitionSet) []TopicPartition {
	out := make([]TopicPartition, 0, len(s))
	for tp := range s {
		out = append(out, tp)
	}
	sort.Slice(out, func(i, j int) bool { return lessTP(out[i], out[j]) })
	return out
}
