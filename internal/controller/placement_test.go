package controller

import (
	"slices"
	"testing"

	"github.com/samsa-io/samsa/internal/metadata"
)

func brokersOnRacks(racks map[int32]string) []metadata.Broker {
	var out []metadata.Broker
	for id, r := range racks {
		out = append(out, metadata.Broker{ID: id, Rack: r})
	}
	slices.SortFunc(out, func(a, b metadata.Broker) int { return int(a.ID) - int(b.ID) })
	return out
}

// Every partition spans as many racks as it can, and leaders spread
// evenly over brokers (and so over racks), whatever the random start.
func TestPlaceReplicasRackAware(t *testing.T) {
	cases := []struct {
		name  string
		racks map[int32]string
		rf    int
		want  int // distinct racks per partition
	}{
		{"balanced", map[int32]string{1: "a", 2: "a", 3: "b", 4: "b", 5: "c", 6: "c"}, 3, 3},
		{"unbalanced", map[int32]string{1: "a", 2: "a", 3: "a", 4: "b"}, 2, 2},
		{"rf above racks", map[int32]string{1: "a", 2: "a", 3: "b", 4: "b"}, 3, 2},
		{"no racks", map[int32]string{1: "", 2: "", 3: ""}, 3, 1},
	}
	for _, tc := range cases {
		live := brokersOnRacks(tc.racks)
		for range 20 { // random starts
			parts := placeReplicas(live, 0, int32(2*len(live)), tc.rf)
			leaders := map[int32]int{}
			for _, pa := range parts {
				racks := map[string]bool{}
				for i, id := range pa.Replicas {
					if slices.Contains(pa.Replicas[:i], id) {
						t.Fatalf("%s: partition %d repeats broker %d: %v", tc.name, pa.Index, id, pa.Replicas)
					}
					racks[tc.racks[id]] = true
				}
				if len(pa.Replicas) != tc.rf || len(racks) != tc.want {
					t.Fatalf("%s: partition %d on %v spans %d racks, want %d", tc.name, pa.Index, pa.Replicas, len(racks), tc.want)
				}
				leaders[pa.Replicas[0]]++
			}
			for _, b := range live {
				if leaders[b.ID] != 2 {
					t.Fatalf("%s: leaders per broker %v, want 2 each", tc.name, leaders)
				}
			}
		}
	}
}

func TestRackAlternating(t *testing.T) {
	got := rackAlternating(brokersOnRacks(map[int32]string{1: "b", 2: "a", 3: "a", 4: "b", 5: "c", 6: ""}))
	var ids []int32
	for _, b := range got {
		ids = append(ids, b.ID)
	}
	if want := []int32{6, 2, 1, 5, 3, 4}; !slices.Equal(ids, want) {
		t.Fatalf("order %v, want %v", ids, want)
	}
}
