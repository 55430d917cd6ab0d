package controller

import (
	"bytes"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/samsa-io/samsa/internal/metadata"
)

// The KIP-966 rules of partitionChange.apply, case by case, as Kafka 4.4's
// PartitionChangeBuilder applies them.
func TestPartitionChangeKeepsEligibleLeaderReplicas(t *testing.T) {
	live := func(ids ...int32) func(int32) bool {
		return func(r int32) bool { return slices.Contains(ids, r) }
	}
	part := func(leader int32, isr, elr, lke []int32) metadata.Partition {
		return metadata.Partition{Leader: leader, Replicas: []int32{1, 2, 3}, ISR: isr, ELR: elr, LastKnownELR: lke}
	}
	cases := []struct {
		name    string
		p       metadata.Partition
		ch      partitionChange
		want    metadata.Partition
		unclean bool
	}{{
		name: "a shrink to min.insync.replicas keeps no ELR",
		p:    part(1, []int32{1, 2, 3}, nil, nil),
		ch:   partitionChange{isr: []int32{1, 2}, minISR: 2, mayLead: live(1, 2, 3)},
		want: part(1, []int32{1, 2}, nil, nil),
	}, {
		name: "a shrink below it makes the replicas that left eligible",
		p:    part(1, []int32{1, 2}, nil, nil),
		ch:   partitionChange{isr: []int32{1}, minISR: 2, mayLead: live(1, 2, 3)},
		want: part(1, []int32{1}, []int32{2}, nil),
	}, {
		name: "growing back to min.insync.replicas clears the ELR",
		p:    part(1, []int32{1}, []int32{2}, nil),
		ch:   partitionChange{isr: []int32{1, 3}, minISR: 2, mayLead: live(1, 2, 3)},
		want: part(1, []int32{1, 3}, nil, nil),
	}, {
		name: "an ELR member rejoining the ISR leaves the ELR",
		p:    part(1, []int32{1}, []int32{2, 3}, nil),
		ch:   partitionChange{isr: []int32{1, 2}, minISR: 3, mayLead: live(1, 2, 3)},
		want: part(1, []int32{1, 2}, []int32{3}, nil),
	}, {
		name: "the leader leaving a one-member ISR: a live ELR member leads, alone in the ISR",
		p:    part(1, []int32{1}, []int32{2}, nil),
		ch:   partitionChange{isr: nil, minISR: 2, mayLead: live(2, 3)},
		want: part(2, []int32{2}, []int32{1}, nil),
	}, {
		name: "the last member leaving with no live ELR: offline, ISR empty, last known leader kept",
		p:    part(1, []int32{1}, []int32{2}, nil),
		ch:   partitionChange{isr: nil, minISR: 2, mayLead: live(3)},
		want: part(-1, nil, []int32{1, 2}, []int32{1}),
	}, {
		name: "an unclean shutdown leaves the ELR",
		p:    part(-1, nil, []int32{1, 2}, []int32{1}),
		ch:   partitionChange{isr: nil, minISR: 2, mayLead: live(3), uncleanShutdown: 2},
		want: part(-1, nil, []int32{1}, []int32{1}),
	}, {
		name: "an ELR member back leads, and the last known leader is forgotten",
		p:    part(-1, nil, []int32{1, 2}, []int32{1}),
		ch:   partitionChange{isr: nil, minISR: 2, mayLead: live(2)},
		want: part(2, []int32{2}, []int32{1}, nil),
	}, {
		name:    "with ISR and ELR empty the last known leader leads (an unclean election)",
		p:       part(-1, nil, nil, []int32{1}),
		ch:      partitionChange{isr: nil, minISR: 2, mayLead: live(1, 3)},
		want:    part(1, []int32{1}, nil, nil),
		unclean: true,
	}, {
		name: "without it, no leader unless unclean elections are allowed",
		p:    part(-1, nil, nil, []int32{1}),
		ch:   partitionChange{isr: nil, minISR: 2, mayLead: live(3)},
		want: part(-1, nil, nil, []int32{1}),
	}, {
		name:    "an allowed unclean election takes any live replica and forgets the ELR",
		p:       part(-1, nil, []int32{1}, []int32{2}),
		ch:      partitionChange{isr: nil, minISR: 2, mayLead: live(3), election: electAllowUnclean},
		want:    part(3, []int32{3}, nil, nil),
		unclean: true,
	}, {
		name: "a preferred election takes the first replica from the ELR when the ISR is empty",
		p:    part(-1, nil, []int32{1, 2}, []int32{2}),
		ch:   partitionChange{isr: nil, minISR: 2, mayLead: live(1, 2), election: electPreferredFirst},
		want: part(1, []int32{1}, []int32{2}, nil),
	}, {
		name: "an ISR member keeps leading while the ELR is outside",
		p:    part(2, []int32{2}, []int32{1}, nil),
		ch:   partitionChange{isr: []int32{2}, minISR: 2, mayLead: live(1, 2, 3), election: electPreferredFirst},
		want: part(2, []int32{2}, []int32{1}, nil),
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.ch.uncleanShutdown == 0 {
				tc.ch.uncleanShutdown = noBroker
			}
			got, unclean := tc.ch.apply(tc.p)
			if got.Leader != tc.want.Leader || !slices.Equal(got.ISR, tc.want.ISR) || !slices.Equal(got.ELR, tc.want.ELR) ||
				!slices.Equal(got.LastKnownELR, tc.want.LastKnownELR) || unclean != tc.unclean {
				t.Fatalf("got leader %d ISR %v ELR %v last known %v unclean %v\nwant leader %d ISR %v ELR %v last known %v unclean %v",
					got.Leader, got.ISR, got.ELR, got.LastKnownELR, unclean,
					tc.want.Leader, tc.want.ISR, tc.want.ELR, tc.want.LastKnownELR, tc.unclean)
			}
		})
	}
}

// elrFixture is a controller with brokers 1-3 and topic "t", replicas
// [2 1 3] led by 2, min.insync.replicas 2.
func elrFixture(t *testing.T) *Controller {
	t.Helper()
	c := startController(t, testConfig(1, t.TempDir()))
	for _, id := range []int32{1, 2, 3} {
		incarnation(t, c, id)
		_, err := beat(t, c, id, false)
		must(t, err, "unfence %d", id)
	}
	_, err := c.CreateTopic(ctxT(t), CreateTopicRequest{Name: "t", NumPartitions: 1, ReplicationFactor: -1,
		Assignments: map[int32][]int32{0: {2, 1, 3}}, Configs: map[string]string{"min.insync.replicas": "2"}})
	must(t, err, "create topic")
	return c
}

// shrinkISR sends the leader's AlterPartition for t-0 with the current epochs.
func shrinkISR(t *testing.T, c *Controller, isr ...int32) metadata.Partition {
	t.Helper()
	p := part(c)
	tp, _ := c.Image().Topic("t")
	got, err := c.AlterPartition(ctxT(t), AlterPartitionRequest{BrokerID: p.Leader, BrokerEpoch: epochOf(c, p.Leader),
		TopicID: tp.ID, Partition: 0, LeaderEpoch: p.LeaderEpoch, PartitionEpoch: p.PartitionEpoch, ISR: isr})
	must(t, err, "alter partition to %v", isr)
	return got
}

func wantELR(t *testing.T, c *Controller, what string, leader int32, isr, elr, lke []int32) {
	t.Helper()
	p := part(c)
	if p.Leader != leader || !slices.Equal(p.ISR, isr) || !slices.Equal(p.ELR, elr) || !slices.Equal(p.LastKnownELR, lke) {
		t.Fatalf("%s: leader %d ISR %v ELR %v last known %v; want %d %v %v %v",
			what, p.Leader, p.ISR, p.ELR, p.LastKnownELR, leader, isr, elr, lke)
	}
}

// Through the controller: a shrink below min.insync.replicas makes the
// replicas that left eligible, the leader's fencing elects one of them, a
// clean restart keeps a replica eligible, an unclean one does not.
func TestELRMemberElectedWhenTheISREmpties(t *testing.T) {
	c := elrFixture(t)
	shrinkISR(t, c, 2, 1)
	wantELR(t, c, "ISR at min.insync.replicas", 2, []int32{2, 1}, nil, nil)
	shrinkISR(t, c, 2)
	wantELR(t, c, "ISR below min.insync.replicas", 2, []int32{2}, []int32{1}, nil)

	// Broker 1 restarts after a clean shutdown (its previous epoch is the
	// registered one): still eligible.
	_, err := c.RegisterBrokerIncarnation(ctxT(t), metadata.Broker{ID: 1}, epochOf(c, 1))
	must(t, err, "clean re-registration of 1")
	wantELR(t, c, "after 1's clean restart", 2, []int32{2}, []int32{1}, nil)
	_, err = beat(t, c, 1, false)
	must(t, err, "unfence 1")

	// The leader, the last ISR member, is fenced: 1 leads from the ELR.
	_, err = beat(t, c, 2, true)
	must(t, err, "fence 2")
	wantELR(t, c, "after the leader was fenced", 1, []int32{1}, []int32{2}, nil)

	// 2 comes back from a crash (no clean-shutdown epoch): not eligible.
	incarnation(t, c, 2)
	wantELR(t, c, "after 2's unclean restart", 1, []int32{1}, nil, nil)
}

// With every replica gone, the ISR empties and the last leader is
// remembered; after an unclean restart it is no ELR member but, as Kafka
// 4.4 does, the last known leader leads again when it is back.
func TestLastKnownLeaderLeadsAfterEveryReplicaWasLost(t *testing.T) {
	c := elrFixture(t)
	shrinkISR(t, c, 2)
	for _, id := range []int32{1, 3} {
		_, err := beat(t, c, id, true)
		must(t, err, "fence %d", id)
	}
	_, err := beat(t, c, 2, true)
	must(t, err, "fence 2")
	wantELR(t, c, "all fenced", -1, nil, []int32{1, 2, 3}, []int32{2})
	incarnation(t, c, 2)
	wantELR(t, c, "2 back after a crash", -1, nil, []int32{1, 3}, []int32{2})
	incarnation(t, c, 1)
	incarnation(t, c, 3)
	wantELR(t, c, "1 and 3 back after a crash", -1, nil, nil, []int32{2})
	_, err = beat(t, c, 3, false)
	must(t, err, "unfence 3")
	wantELR(t, c, "3 unfenced, not eligible", -1, nil, nil, []int32{2})
	_, err = beat(t, c, 2, false)
	must(t, err, "unfence 2")
	wantELR(t, c, "the last known leader unfenced", 2, []int32{2}, nil, nil)
}

// The min.insync.replicas rules of ELR: bootstrap writes the cluster-level
// value; it cannot be removed; broker-level values are refused; a change
// of a topic's or of the cluster's value clears the ELR.
func TestELRMinInsyncReplicasConfig(t *testing.T) {
	c := elrFixture(t)
	if got := c.Image().BrokerConfig(""); !maps.Equal(got, map[string]string{"min.insync.replicas": "1"}) {
		t.Fatalf("cluster-level configs after bootstrap: %v", got)
	}
	set := func(key, value string) BrokerConfigEdit {
		return func(cur map[string]string) (map[string]string, error) {
			if value == "" {
				delete(cur, key)
			} else {
				cur[key] = value
			}
			return cur, nil
		}
	}
	err := c.AlterBrokerConfig(ctxT(t), "", set("min.insync.replicas", ""), true)
	if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), errClusterMinISRGone) {
		t.Fatalf("removing the cluster-level value: %v", err)
	}
	err = c.AlterBrokerConfig(ctxT(t), "1", set("min.insync.replicas", "2"), false)
	if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), errBrokerLevelMinISR) {
		t.Fatalf("a broker-level value: %v", err)
	}
	must(t, c.AlterBrokerConfig(ctxT(t), "1", set("log.cleaner.threads", "2"), false), "another broker-level key")

	shrinkISR(t, c, 2)
	wantELR(t, c, "ISR below min.insync.replicas", 2, []int32{2}, []int32{1, 3}, nil)
	must(t, c.AlterTopicConfig(ctxT(t), "t", []ConfigOp{{Key: "min.insync.replicas", Value: "3"}}, false, false), "topic min ISR")
	wantELR(t, c, "after the topic's min.insync.replicas changed", 2, []int32{2}, nil, nil)

	must(t, c.AlterTopicConfig(ctxT(t), "t", []ConfigOp{{Key: "min.insync.replicas", Op: OpDelete}}, false, false), "topic default")
	p := part(c)
	tp, _ := c.Image().Topic("t")
	// Back to the cluster's 1: the ISR is not below it, so a no-op alter
	// keeps no ELR; raise the cluster's value and shrink again.
	must(t, c.AlterBrokerConfig(ctxT(t), "", set("min.insync.replicas", "3"), false), "cluster min ISR 3")
	_, err = c.AlterPartition(ctxT(t), AlterPartitionRequest{BrokerID: 2, BrokerEpoch: epochOf(c, 2), TopicID: tp.ID,
		LeaderEpoch: p.LeaderEpoch, PartitionEpoch: p.PartitionEpoch, ISR: []int32{2, 1}})
	must(t, err, "grow the ISR")
	shrinkISR(t, c, 2)
	wantELR(t, c, "below the cluster's min.insync.replicas", 2, []int32{2}, []int32{1}, nil)
	must(t, c.AlterBrokerConfig(ctxT(t), "", set("min.insync.replicas", "2"), false), "cluster min ISR 2")
	wantELR(t, c, "after the cluster's min.insync.replicas changed", 2, []int32{2}, nil, nil)
}

// An existing metadata log without the cluster-level min.insync.replicas
// (written before Samsa kept ELR) gets it, and loses its broker-level
// values, when a controller takes office.
func TestELRSafetyConfigWrittenOnOldLogs(t *testing.T) {
	im := metadata.Empty()
	im.BrokerConfigs = map[string]map[string]string{"1": {"min.insync.replicas": "3", "log.cleaner.threads": "2"}}
	if !needsELRSafetyConfig(im) {
		t.Fatal("a broker-level min.insync.replicas needs no change")
	}
	im.BrokerConfigs[""] = map[string]string{"min.insync.replicas": "2"}
	if !needsELRSafetyConfig(im) {
		t.Fatal("with a cluster-level value, a broker-level one needs no change")
	}
	delete(im.BrokerConfigs["1"], "min.insync.replicas")
	if needsELRSafetyConfig(im) {
		t.Fatalf("configs %v need a change", im.BrokerConfigs)
	}

	cfg := testConfig(1, t.TempDir())
	cfg.MinInsyncReplicas = 2
	c := startController(t, cfg)
	if got := c.Image().BrokerConfig(""); got["min.insync.replicas"] != "2" {
		t.Fatalf("cluster-level configs: %v, want the static min.insync.replicas 2", got)
	}
	// Forge an old log's state: a broker-level value, no cluster-level one.
	must(t, c.propose(ctxT(t), RecordBrokerConfig, &BrokerConfigRecord{Broker: "", Delete: []string{"min.insync.replicas"}}), "delete")
	must(t, c.propose(ctxT(t), RecordBrokerConfig, &BrokerConfigRecord{Broker: "1", Set: map[string]string{"min.insync.replicas": "3"}}), "set")
	c = reopen(t, c, cfg)
	eventually(t, 10*time.Second, "the ELR safety configs", func() bool { return !needsELRSafetyConfig(c.Image()) })
	if got := c.Image().DynamicBrokerConfig(1); !maps.Equal(got, map[string]string{"min.insync.replicas": "2"}) {
		t.Fatalf("broker 1's dynamic configs: %v", got)
	}
}

// Records and snapshots written before ELR existed still load: a
// PartitionChange without the ELR fields leaves them as they are, and a
// snapshot partition without them has none. New ones round-trip.
func TestELRRecordsCompatible(t *testing.T) {
	im := metadata.Empty()
	tp := &metadata.Topic{Name: "t", ID: [16]byte{1}, Configs: map[string]string{},
		Partitions: []metadata.Partition{{Leader: 1, Replicas: []int32{1, 2}, ISR: []int32{1}, ELR: []int32{2}, LastKnownELR: []int32{1}}}}
	im.Topics["t"], im.TopicsByID[tp.ID] = tp, tp
	old := []byte(`{"topic_id":[1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],"partition":0,"isr":[1,2]}`)
	apply := handlers[recordKey{RecordPartitionChange, 1}].apply
	next := im.Clone()
	must(t, apply(next, old), "apply an old PartitionChange")
	if p := next.Topics["t"].Partitions[0]; !slices.Equal(p.ISR, []int32{1, 2}) || !slices.Equal(p.ELR, []int32{2}) ||
		!slices.Equal(p.LastKnownELR, []int32{1}) {
		t.Fatalf("after an old record: %+v", p)
	}
	newer := []byte(`{"topic_id":[1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],"partition":0,"leader":-1,"empty_isr":true,"elr":[1,2],"last_known_elr":[]}`)
	must(t, apply(next, newer), "apply a new PartitionChange")
	if p := next.Topics["t"].Partitions[0]; p.Leader != -1 || len(p.ISR) != 0 || !slices.Equal(p.ELR, []int32{1, 2}) ||
		len(p.LastKnownELR) != 0 {
		t.Fatalf("after a new record: %+v", p)
	}

	oldSnapshot := append([]byte{snapshotVersion}, `{"cluster_id":"abc","applied_index":7,"brokers":[],`+
		`"topics":[{"Name":"t","ID":[1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],"Configs":{},`+
		`"Partitions":[{"Index":0,"Leader":1,"LeaderEpoch":2,"PartitionEpoch":3,"Replicas":[1,2],"ISR":[1,2]}]}]}`...)
	got, err := decodeSnapshot(bytes.NewReader(oldSnapshot))
	must(t, err, "decode an old snapshot")
	if p := got.Topics["t"].Partitions[0]; p.Leader != 1 || !slices.Equal(p.ISR, []int32{1, 2}) || p.ELR != nil || p.LastKnownELR != nil {
		t.Fatalf("old snapshot partition: %+v", p)
	}
	var buf bytes.Buffer
	must(t, encodeSnapshot(&buf, next), "encode")
	got, err = decodeSnapshot(&buf)
	must(t, err, "decode")
	if p := got.Topics["t"].Partitions[0]; !slices.Equal(p.ELR, []int32{1, 2}) || len(p.ISR) != 0 {
		t.Fatalf("round-tripped partition: %+v", p)
	}
}
