package controller

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/samsa-io/samsa/internal/metadata"
)

// reassignFixture is a controller with brokers 1..4 and topic "r" whose
// partition 0 is on the given replicas.
func reassignFixture(t *testing.T, replicas ...int32) *Controller {
	t.Helper()
	c := startController(t, testConfig(1, t.TempDir()))
	registerBrokers(t, c, 1, 2, 3, 4)
	_, err := c.CreateTopic(ctxT(t), CreateTopicRequest{Name: "r", Assignments: map[int32][]int32{0: replicas}})
	must(t, err, "CreateTopic")
	return c
}

func partR0(t *testing.T, c *Controller) metadata.Partition {
	t.Helper()
	p, ok := c.Image().PartitionOf("r", 0)
	if !ok {
		t.Fatal("partition r-0 missing")
	}
	return p
}

// wantPartition compares the replica state of r-0.
func wantPartition(t *testing.T, c *Controller, leader int32, replicas, isr, adding, removing []int32) metadata.Partition {
	t.Helper()
	p := partR0(t, c)
	if p.Leader != leader || !slices.Equal(p.Replicas, replicas) || !slices.Equal(p.ISR, isr) ||
		!slices.Equal(p.AddingReplicas, adding) || !slices.Equal(p.RemovingReplicas, removing) {
		t.Fatalf("r-0 = leader %d replicas %v isr %v adding %v removing %v; want %d %v %v %v %v",
			p.Leader, p.Replicas, p.ISR, p.AddingReplicas, p.RemovingReplicas, leader, replicas, isr, adding, removing)
	}
	return p
}

// alterISR sends the leader's AlterPartition for r-0 with the current epochs.
func alterISR(t *testing.T, c *Controller, isr ...int32) {
	t.Helper()
	p := partR0(t, c)
	_, err := c.AlterPartition(ctxT(t), AlterPartitionRequest{BrokerID: p.Leader, BrokerEpoch: epochOf(c, p.Leader),
		TopicID: topicID(t, c), Partition: 0, LeaderEpoch: p.LeaderEpoch, PartitionEpoch: p.PartitionEpoch, ISR: isr})
	must(t, err, "AlterPartition %v", isr)
}

func topicID(t *testing.T, c *Controller) [16]byte {
	tp, _ := c.Image().Topic("r")
	return tp.ID
}

// {1,2} -> {2,3}: the union first, completion when 3 joins the ISR, and a
// new leader from the target because the old one leaves.
func TestReassignMovesReplicasAndLeader(t *testing.T) {
	c := reassignFixture(t, 1, 2)
	must(t, c.AlterPartitionReassignment(ctxT(t), "r", 0, []int32{2, 3}), "reassign")
	before := wantPartition(t, c, 1, []int32{2, 3, 1}, []int32{1, 2}, []int32{3}, []int32{1})

	alterISR(t, c, 1, 2, 3)
	after := wantPartition(t, c, 2, []int32{2, 3}, []int32{2, 3}, nil, nil)
	if after.LeaderEpoch != before.LeaderEpoch+1 || after.PartitionEpoch != before.PartitionEpoch+1 {
		t.Fatalf("epochs %d/%d -> %d/%d: want the leader epoch bumped and one record",
			before.LeaderEpoch, before.PartitionEpoch, after.LeaderEpoch, after.PartitionEpoch)
	}
}

// A reorder adds nothing, so it completes at once and keeps the leader.
func TestReassignReorderCompletesAtOnce(t *testing.T) {
	c := reassignFixture(t, 1, 2, 3)
	before := partR0(t, c)
	must(t, c.AlterPartitionReassignment(ctxT(t), "r", 0, []int32{2, 3, 1}), "reassign")
	after := wantPartition(t, c, 1, []int32{2, 3, 1}, []int32{1, 2, 3}, nil, nil)
	if after.LeaderEpoch != before.LeaderEpoch {
		t.Fatalf("leader epoch %d -> %d on a reorder", before.LeaderEpoch, after.LeaderEpoch)
	}
	// Shrinking removes at once too, re-electing when the leader leaves.
	must(t, c.AlterPartitionReassignment(ctxT(t), "r", 0, []int32{3, 2}), "shrink")
	wantPartition(t, c, 3, []int32{3, 2}, []int32{2, 3}, nil, nil)
}

func TestReassignCancelReverts(t *testing.T) {
	c := reassignFixture(t, 1, 2)
	err := c.AlterPartitionReassignment(ctxT(t), "r", 0, nil)
	if !errors.Is(err, ErrNoReassignmentInProgress) {
		t.Fatalf("cancel with none in progress: %v", err)
	}
	must(t, c.AlterPartitionReassignment(ctxT(t), "r", 0, []int32{3, 4}), "reassign")
	wantPartition(t, c, 1, []int32{3, 4, 1, 2}, []int32{1, 2}, []int32{3, 4}, []int32{1, 2})
	alterISR(t, c, 1, 2, 3) // 3 caught up, 4 not yet: still in progress
	wantPartition(t, c, 1, []int32{3, 4, 1, 2}, []int32{1, 2, 3}, []int32{3, 4}, []int32{1, 2})
	must(t, c.AlterPartitionReassignment(ctxT(t), "r", 0, nil), "cancel")
	wantPartition(t, c, 1, []int32{1, 2}, []int32{1, 2}, nil, nil)
}

// A new target replaces the ongoing reassignment: revert, then start.
func TestReassignReplacesOngoing(t *testing.T) {
	c := reassignFixture(t, 1, 2)
	must(t, c.AlterPartitionReassignment(ctxT(t), "r", 0, []int32{2, 3}), "reassign")
	must(t, c.AlterPartitionReassignment(ctxT(t), "r", 0, []int32{1, 4}), "replace")
	wantPartition(t, c, 1, []int32{1, 4, 2}, []int32{1, 2}, []int32{4}, []int32{2})
	// Back to the original: the same as cancelling.
	must(t, c.AlterPartitionReassignment(ctxT(t), "r", 0, []int32{1, 2}), "back")
	wantPartition(t, c, 1, []int32{1, 2}, []int32{1, 2}, nil, nil)
}

func TestReassignErrors(t *testing.T) {
	c := reassignFixture(t, 1, 2)
	cases := []struct {
		topic    string
		part     int32
		replicas []int32
		want     error
	}{
		{"nope", 0, []int32{1}, ErrUnknownTopic},
		{"r", 1, []int32{1}, ErrUnknownTopic},
		{"r", -1, []int32{1}, ErrUnknownTopic},
		{"r", 0, []int32{1, 1}, ErrInvalidReplicaAssignment},
		{"r", 0, []int32{1, 9}, ErrInvalidReplicaAssignment},
		{"r", 0, []int32{}, ErrInvalidReplicaAssignment},
	}
	for _, tc := range cases {
		err := c.AlterPartitionReassignment(ctxT(t), tc.topic, tc.part, tc.replicas)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s-%d %v: %v, want %v", tc.topic, tc.part, tc.replicas, err, tc.want)
		}
	}
	wantPartition(t, c, 1, []int32{1, 2}, []int32{1, 2}, nil, nil)
}

// A reassignment whose ISR change was applied without completing it (a
// failover between the two) is completed by the controller's sweep.
func TestCompleteReassignmentsSweep(t *testing.T) {
	c := reassignFixture(t, 1, 2)
	must(t, c.AlterPartitionReassignment(ctxT(t), "r", 0, []int32{3, 2}), "reassign")
	must(t, c.ChangePartition(ctxT(t), PartitionChangeRecord{TopicID: topicID(t, c), Partition: 0,
		ISR: []int32{1, 2, 3}}), "raw ISR change")
	wantPartition(t, c, 1, []int32{3, 2, 1}, []int32{1, 2, 3}, []int32{3}, []int32{1})
	must(t, c.CompleteReassignments(ctxT(t)), "sweep")
	wantPartition(t, c, 3, []int32{3, 2}, []int32{2, 3}, nil, nil)
}

// Records written before reassignments existed still decode, and a
// snapshot keeps the reassignment state.
func TestReassignmentRecordCompat(t *testing.T) {
	var rec PartitionChangeRecord
	old := `{"topic_id":[1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],"partition":0,"isr":[1,2]}`
	if err := json.Unmarshal([]byte(old), &rec); err != nil || rec.Reassignment != nil {
		t.Fatalf("old record: %+v %v", rec, err)
	}
	im := metadata.Empty()
	im.Topics["r"] = &metadata.Topic{Name: "r", ID: [16]byte{1}, Partitions: []metadata.Partition{{
		Replicas: []int32{2, 3, 1}, ISR: []int32{1, 2}, AddingReplicas: []int32{3}, RemovingReplicas: []int32{1}}}}
	var buf bytes.Buffer
	must(t, encodeSnapshot(&buf, im), "encode")
	got, err := decodeSnapshot(&buf)
	must(t, err, "decode")
	p := got.Topics["r"].Partitions[0]
	if !slices.Equal(p.AddingReplicas, []int32{3}) || !slices.Equal(p.RemovingReplicas, []int32{1}) {
		t.Fatalf("snapshot lost the reassignment: %+v", p)
	}
}
