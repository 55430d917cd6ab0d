package cli

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// The JSON files of kafka-reassign-partitions.sh and the replica placement
// of its --generate.

// topicsToMove is the --topics-to-move-json-file format:
// {"topics":[{"topic":"foo"}],"version":1}.
type topicsToMove struct {
	Version int `json:"version"`
	Topics  []struct {
		Topic string `json:"topic"`
	} `json:"topics"`
}

// partitionMove is one entry of a reassignment file.
type partitionMove struct {
	Topic     string   `json:"topic"`
	Partition int32    `json:"partition"`
	Replicas  []int32  `json:"replicas"`
	LogDirs   []string `json:"log_dirs,omitempty"`
}

// reassignmentFile is the --reassignment-json-file format, also what
// --generate and --execute print.
type reassignmentFile struct {
	Version    int             `json:"version"`
	Partitions []partitionMove `json:"partitions"`
}

func (m partitionMove) name() string { return m.Topic + "-" + strconv.Itoa(int(m.Partition)) }

// parseTopicsToMove reads the topic list, in file order, without repeats.
func parseTopicsToMove(data []byte) ([]string, error) {
	var f topicsToMove
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("parse topics-to-move JSON: %w", err)
	}
	if f.Version != 0 && f.Version != 1 {
		return nil, fmt.Errorf("not supported version field value %d in the topics-to-move JSON", f.Version)
	}
	var topics []string
	for _, t := range f.Topics {
		if t.Topic == "" {
			return nil, fmt.Errorf("the topics-to-move JSON has an entry without a topic")
		}
		if !slices.Contains(topics, t.Topic) {
			topics = append(topics, t.Topic)
		}
	}
	if len(topics) == 0 {
		return nil, fmt.Errorf("the topics-to-move JSON lists no topics")
	}
	return topics, nil
}

// parseReassignment reads and checks a reassignment file (Kafka's
// parsePartitionReassignmentData). log_dirs other than "any" would move
// replicas between log directories, which Samsa does not do.
func parseReassignment(data []byte) ([]partitionMove, error) {
	var f reassignmentFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("parse reassignment JSON: %w", err)
	}
	if f.Version != 0 && f.Version != 1 {
		return nil, fmt.Errorf("not supported version field value %d in the reassignment JSON", f.Version)
	}
	if len(f.Partitions) == 0 {
		return nil, fmt.Errorf("partition reassignment list cannot be empty")
	}
	seen := map[string]bool{}
	var dups []string
	for _, m := range f.Partitions {
		if m.Topic == "" || m.Partition < 0 {
			return nil, fmt.Errorf("invalid partition entry %+v in the reassignment JSON", m)
		}
		if seen[m.name()] {
			dups = append(dups, m.name())
		}
		seen[m.name()] = true
		if len(m.Replicas) == 0 {
			return nil, fmt.Errorf("partition replica list cannot be empty (%s)", m.name())
		}
		for i, r := range m.Replicas {
			if slices.Contains(m.Replicas[:i], r) {
				return nil, fmt.Errorf("duplicate replica assignment found: %s -> %s", m.name(), joinIDs(m.Replicas))
			}
		}
		if m.LogDirs != nil && len(m.LogDirs) != len(m.Replicas) {
			return nil, fmt.Errorf("size of replicas list %v is different from size of log dirs list %v for partition %s",
				m.Replicas, m.LogDirs, m.name())
		}
		for _, d := range m.LogDirs {
			if d != "any" {
				return nil, fmt.Errorf("log_dirs %q for %s: Samsa does not move replicas between log directories; use \"any\"", d, m.name())
			}
		}
	}
	if len(dups) > 0 {
		return nil, fmt.Errorf("duplicate reassignment partitions: %s", strings.Join(dups, ","))
	}
	return f.Partitions, nil
}

// formatReassignment renders moves as Kafka does: one line of JSON sorted
// by topic and partition, log_dirs all "any".
func formatReassignment(moves []partitionMove) string {
	out := make([]partitionMove, len(moves))
	for i, m := range moves {
		m.LogDirs = make([]string, len(m.Replicas))
		for j := range m.LogDirs {
			m.LogDirs[j] = "any"
		}
		if m.Replicas == nil {
			m.Replicas = []int32{}
		}
		out[i] = m
	}
	sortMoves(out)
	b, _ := json.Marshal(reassignmentFile{Version: 1, Partitions: out}) // plain structs: cannot fail
	return string(b)
}

func sortMoves(moves []partitionMove) {
	sort.Slice(moves, func(i, j int) bool {
		if moves[i].Topic != moves[j].Topic {
			return moves[i].Topic < moves[j].Topic
		}
		return moves[i].Partition < moves[j].Partition
	})
}

// proposeAssignment places partitions 0..count-1 of a topic with
// replication factor rf on brokers, the way Kafka's rack-unaware
// assignReplicasToBrokers does: partition p's first replica is broker
// (p + start) mod n, and the others follow at a shift that grows by one
// after every n partitions, so that replica pairs vary. start and shift
// are random per topic.
func proposeAssignment(rng *rand.Rand, brokers []int32, count int32, rf int) ([][]int32, error) {
	n := len(brokers)
	if rf <= 0 {
		return nil, fmt.Errorf("replication factor must be larger than 0")
	}
	if rf > n {
		return nil, fmt.Errorf("replication factor: %d larger than available brokers: %d", rf, n)
	}
	sorted := slices.Clone(brokers)
	slices.Sort(sorted)
	start, shift := rng.IntN(n), rng.IntN(n)
	out := make([][]int32, count)
	for p := range int(count) {
		if p > 0 && p%n == 0 {
			shift++
		}
		first := (p + start) % n
		replicas := []int32{sorted[first]}
		for j := range rf - 1 {
			replicas = append(replicas, sorted[(first+1+(shift+j)%(n-1))%n])
		}
		out[p] = replicas
	}
	return out, nil
}

// parseBrokerList parses --broker-list "1,2,3".
func parseBrokerList(s string) ([]int32, error) {
	var out []int32
	for _, f := range splitList(s) {
		n, err := strconv.ParseInt(strings.TrimSpace(f), 10, 32)
		if err != nil || n < 0 {
			return nil, usageErrorf("invalid broker id %q in --broker-list", f)
		}
		if slices.Contains(out, int32(n)) {
			return nil, usageErrorf("duplicate broker id %d in --broker-list", n)
		}
		out = append(out, int32(n))
	}
	if len(out) == 0 {
		return nil, usageErrorf("--broker-list must name at least one broker")
	}
	return out, nil
}

// readJSONFile reads a file named by a flag.
func readJSONFile(flag, path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", flag, err)
	}
	return b, nil
}
