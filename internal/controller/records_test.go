package controller

import (
	"bytes"
	"testing"

	"github.com/samsa-io/samsa/internal/metadata"
)

// Every type encodeRecord can write must be readable by the FSM.
func TestEveryRecordTypeRoundTrips(t *testing.T) {
	for typ := range recordVersions {
		data, err := encodeRecord(typ, struct{}{})
		if err != nil {
			t.Fatalf("encode type %d: %v", typ, err)
		}
		if _, _, err := lookupHandler(data); err != nil {
			t.Fatalf("type %d: %v", typ, err)
		}
	}
	if _, err := encodeRecord(RecordType(250), struct{}{}); err == nil {
		t.Fatal("encoded an unregistered type")
	}
	if _, _, err := lookupHandler([]byte{1}); err == nil {
		t.Fatal("accepted a one-byte entry")
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	im := metadata.Empty()
	im.ClusterID = "abc"
	im.AppliedIndex = 42
	im.Brokers[1] = metadata.Broker{ID: 1, Host: "h", Port: 9092, Rack: "r1", Fenced: true, ListenerName: "PLAINTEXT"}
	tp := &metadata.Topic{Name: "t", ID: [16]byte{9, 8, 7}, Configs: map[string]string{"a": "b"},
		Partitions: []metadata.Partition{{Index: 0, Leader: 1, LeaderEpoch: 3, PartitionEpoch: 4, Replicas: []int32{1}, ISR: []int32{1}}}}
	im.Topics["t"] = tp
	im.TopicsByID[tp.ID] = tp

	var buf bytes.Buffer
	must(t, encodeSnapshot(&buf, im), "encode")
	got, err := decodeSnapshot(&buf)
	must(t, err, "decode")
	if got.AppliedIndex != 42 {
		t.Fatalf("applied index %d", got.AppliedIndex)
	}
	sameState(t, got, im)

	if _, err := decodeSnapshot(bytes.NewReader([]byte{7, '{', '}'})); err == nil {
		t.Fatal("decoded an unknown snapshot version")
	}
}

func TestPlaceReplicasRoundRobin(t *testing.T) {
	live := []metadata.Broker{{ID: 10}, {ID: 20}, {ID: 30}, {ID: 40}}
	parts := placeReplicas(live, 2, 8, 3)
	if len(parts) != 8 || parts[0].Index != 2 {
		t.Fatalf("parts = %v", parts)
	}
	leaders := map[int32]int{}
	for i, p := range parts {
		seen := map[int32]bool{}
		for _, r := range p.Replicas {
			if seen[r] {
				t.Fatalf("partition %d repeats broker %d", p.Index, r)
			}
			seen[r] = true
		}
		if i > 0 && p.Replicas[0] == parts[i-1].Replicas[0] {
			t.Fatalf("consecutive partitions share leader %d", p.Replicas[0])
		}
		leaders[p.Replicas[0]]++
	}
	for _, b := range live {
		if leaders[b.ID] != 2 {
			t.Fatalf("leader counts %v, want 2 each", leaders)
		}
	}
}

func TestEditList(t *testing.T) {
	cases := []struct {
		cur, change string
		add         bool
		want        string
	}{
		{"delete", "compact", true, "delete,compact"},
		{"delete,compact", "compact", true, "delete,compact"},
		{"delete, compact", "delete", false, "compact"},
		{"", "compact", true, "compact"},
		{"compact", "compact", false, ""},
	}
	for _, c := range cases {
		if got := EditList(c.cur, c.change, c.add); got != c.want {
			t.Errorf("EditList(%q,%q,%v) = %q, want %q", c.cur, c.change, c.add, got, c.want)
		}
	}
}
