package cluster

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// TestGroupConsumesAcrossNodeKill: a franz-go group consumer keeps
// consuming while the node that coordinates its group (and leads
// partitions) is killed with SIGKILL: every acknowledged record reaches
// the group, and its committed offsets survive on the other nodes.
func TestGroupConsumesAcrossNodeKill(t *testing.T) {
	const (
		topic = "group-kill"
		group = "survivors"
	)
	c := harness.StartCluster(t, 3, nil)
	c.CreateTopic(topic, 3, 3, nil)
	prodCl := c.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.MetadataMinAge(250*time.Millisecond))
	p := startProducer(prodCl, topic, 3, 1000)

	var mu sync.Mutex
	got := map[int64]bool{}
	cons := c.Client(kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.MetadataMinAge(250*time.Millisecond),
		kgo.AutoCommitInterval(200*time.Millisecond), kgo.SessionTimeout(6*time.Second),
		kgo.HeartbeatInterval(500*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	consumed := make(chan struct{})
	go func() { // owned by the test: cancel stops it, consumed closes
		defer close(consumed)
		for ctx.Err() == nil {
			cons.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
				seq, err := strconv.ParseInt(string(r.Value), 10, 64)
				if err == nil {
					mu.Lock()
					got[seq] = true
					mu.Unlock()
				}
			})
		}
	}()
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(got) }
	harness.Eventually(t, 30*time.Second, func() error {
		if count() < 1000 {
			return errNoAckYet
		}
		return nil
	})

	victim := coordinatorOf(t, c, group)
	before := count()
	c.Node(victim).Kill()
	t.Logf("killed node %d, the group coordinator, after %d records consumed", victim, before)
	harness.Eventually(t, 60*time.Second, func() error {
		if count() < before+3000 {
			return errNoAckYet
		}
		return nil
	})
	t.Logf("the group consumed %d more records with node %d down", count()-before, victim)
	p.stop(t, time.Minute)

	p.l.mu.Lock()
	acked := make([]int64, 0, len(p.l.acked))
	for seq := range p.l.acked {
		acked = append(acked, seq)
	}
	p.l.mu.Unlock()
	err := harness.Poll(60*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		for _, seq := range acked {
			if !got[seq] {
				return errNoAckYet
			}
		}
		return nil
	})
	cancel()
	<-consumed
	if err != nil {
		missing := 0
		for _, seq := range acked {
			if !got[seq] {
				missing++
			}
		}
		t.Fatalf("the group never received %d of %d acknowledged records", missing, len(acked))
	}
	t.Logf("the group received all %d acknowledged records", len(acked))
}

// coordinatorOf asks the cluster which node coordinates group.
func coordinatorOf(t *testing.T, c *harness.Cluster, group string) int32 {
	t.Helper()
	var id int32
	harness.Eventually(t, 30*time.Second, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r, ok := c.Admin().FindGroupCoordinators(ctx, group)[group]
		if !ok {
			return pollError("no coordinator answer for " + group)
		}
		if r.Err != nil {
			return r.Err
		}
		id = r.NodeID
		return nil
	})
	return id
}
