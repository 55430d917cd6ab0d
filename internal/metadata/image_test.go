package metadata

import (
	"reflect"
	"testing"
)

func sampleImage() *Image {
	im := Empty()
	im.Brokers[3] = Broker{ID: 3, Host: "c"}
	im.Brokers[1] = Broker{ID: 1, Host: "a"}
	im.Brokers[2] = Broker{ID: 2, Host: "b", Fenced: true}
	t := &Topic{Name: "b", ID: [16]byte{1}, Partitions: []Partition{
		{Index: 0, Leader: 1, Replicas: []int32{1, 3}, ISR: []int32{1, 3}},
	}, Configs: map[string]string{"retention.ms": "1"}}
	im.Topics["b"] = t
	im.TopicsByID[t.ID] = t
	a := &Topic{Name: "a", ID: [16]byte{2}}
	im.Topics["a"] = a
	im.TopicsByID[a.ID] = a
	return im
}

func TestImageLookups(t *testing.T) {
	im := sampleImage()
	if got := im.SortedTopicNames(); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Fatalf("SortedTopicNames = %v", got)
	}
	live := im.LiveBrokers()
	if len(live) != 2 || live[0].ID != 1 || live[1].ID != 3 {
		t.Fatalf("LiveBrokers = %v", live)
	}
	if tp, ok := im.TopicByID([16]byte{1}); !ok || tp.Name != "b" {
		t.Fatalf("TopicByID = %v %v", tp, ok)
	}
	if p, ok := im.PartitionOf("b", 0); !ok || p.Leader != 1 {
		t.Fatalf("PartitionOf(b,0) = %v %v", p, ok)
	}
	for _, c := range []struct {
		topic string
		p     int32
	}{{"b", 1}, {"b", -1}, {"zz", 0}} {
		if _, ok := im.PartitionOf(c.topic, c.p); ok {
			t.Fatalf("PartitionOf(%s,%d) found", c.topic, c.p)
		}
	}
}

func TestCloneIsolation(t *testing.T) {
	im := sampleImage()
	next := im.Clone()
	delete(next.Topics, "a")
	next.Brokers[9] = Broker{ID: 9}
	tp := next.Topics["b"].Clone()
	tp.Partitions[0].ISR[0] = 42
	tp.Configs["x"] = "y"
	next.Topics["b"] = tp
	if _, ok := im.Topics["a"]; !ok {
		t.Fatal("original lost topic a")
	}
	if _, ok := im.Brokers[9]; ok {
		t.Fatal("original gained broker 9")
	}
	if im.Topics["b"].Partitions[0].ISR[0] != 1 || len(im.Topics["b"].Configs) != 1 {
		t.Fatal("topic clone shares state with original")
	}
}
