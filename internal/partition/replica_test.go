package partition

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/protocol/records"
)

// replImage is one topic "r" with one partition replicated on 1, 2, 3.
func replImage(leader, leaderEpoch, partEpoch int32, isr []int32, minISR string) *metadata.Image {
	im := metadata.Empty()
	t := &metadata.Topic{Name: "r", ID: [16]byte{7}, Configs: map[string]string{"min.insync.replicas": minISR}}
	t.Partitions = []metadata.Partition{{Index: 0, Leader: leader, LeaderEpoch: leaderEpoch,
		PartitionEpoch: partEpoch, Replicas: []int32{1, 2, 3}, ISR: isr}}
	im.Topics["r"] = t
	im.TopicsByID[t.ID] = t
	return im
}

// isrRecorder collects proposed ISR changes.
type isrRecorder struct {
	mu      sync.Mutex
	changes []ISRChange
}

func (r *isrRecorder) record(c ISRChange) {
	r.mu.Lock()
	r.changes = append(r.changes, c)
	r.mu.Unlock()
}

func (r *isrRecorder) all() []ISRChange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.changes)
}

func leaderPartition(t *testing.T, isr []int32, minISR string) (*Manager, *Partition, *isrRecorder) {
	t.Helper()
	m := newTestManager(t)
	rec := &isrRecorder{}
	m.OnISRChange(rec.record)
	if err := m.ApplyImage(replImage(1, 0, 0, isr, minISR)); err != nil {
		t.Fatal(err)
	}
	return m, m.Partition("r", 0), rec
}

func TestHighWatermarkIsMinLEOOverISR(t *testing.T) {
	_, p, _ := leaderPartition(t, []int32{1, 2, 3}, "2")
	for _, n := range []int{3, 2} {
		if _, err := p.Append(batch(t, -1, -1, n)); err != nil {
			t.Fatal(err)
		}
	}
	if hw := p.HighWatermark(); hw != 0 {
		t.Fatalf("hw %d before any follower fetched, want 0", hw)
	}
	if _, err := p.RecordFollowerFetch(2, 5); err != nil {
		t.Fatal(err)
	}
	if hw := p.HighWatermark(); hw != 0 {
		t.Fatalf("hw %d with follower 3 unknown, want 0", hw)
	}
	ff, err := p.RecordFollowerFetch(3, 3)
	if err != nil || ff.HighWatermark != 3 || p.HighWatermark() != 3 {
		t.Fatalf("hw after fetches at 5 and 3: %+v %v", ff, err)
	}
	if data, _ := p.Read(3, 1<<20); len(data) != 0 {
		t.Fatal("consumer read a batch above the high watermark")
	}
	if data, _ := p.ReadForReplica(0, 1<<20); len(data) == 0 {
		t.Fatal("replica read nothing below the log end offset")
	}
	if _, err := p.RecordFollowerFetch(3, 6); err == nil {
		t.Fatal("a fetch beyond the log end offset was accepted")
	}
	if _, err := p.RecordFollowerFetch(4, 0); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("fetch from a non-replica: %v", err)
	}
}

func TestWaitForHighWatermarkWakesAndTimesOut(t *testing.T) {
	_, p, _ := leaderPartition(t, []int32{1, 2}, "2")
	res, err := p.Append(batch(t, -1, -1, 2))
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := p.WaitForHighWatermark(short, res.LastOffset+1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait without follower: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- p.WaitForHighWatermark(context.Background(), res.LastOffset+1) }()
	select {
	case err := <-done:
		t.Fatalf("returned before the follower fetched: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	if _, err := p.RecordFollowerFetch(2, 2); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("follower fetch did not wake the acks=all waiter")
	}
}

func TestISRShrinkAndNotEnoughReplicasAfterAppend(t *testing.T) {
	m, p, rec := leaderPartition(t, []int32{1, 2, 3}, "2")
	res, err := p.Append(batch(t, -1, -1, 1))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.WaitForHighWatermark(context.Background(), res.LastOffset+1) }()
	p.MaybeShrinkISR(time.Now(), time.Hour)
	if len(rec.all()) != 0 {
		t.Fatal("shrank an ISR whose followers are within the lag limit")
	}
	p.MaybeShrinkISR(time.Now().Add(2*time.Second), time.Second)
	got := rec.all()
	if len(got) != 1 || !slices.Equal(got[0].ISR, []int32{1}) || got[0].PartitionEpoch != 0 {
		t.Fatalf("proposed changes %+v, want one ISR [1] at partition epoch 0", got)
	}
	p.MaybeShrinkISR(time.Now().Add(2*time.Second), time.Second)
	if len(rec.all()) != 1 {
		t.Fatal("proposed again while a change was pending")
	}
	if err := p.CheckMinISR(time.Hour); err != nil {
		t.Fatalf("min ISR checked against the proposal, not the committed ISR: %v", err)
	}
	m.ApplyImage(replImage(1, 0, 1, []int32{1}, "2"))
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotEnoughReplicasAfterAppend) {
			t.Fatalf("waiter after shrink below min: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ISR shrink did not complete the waiter")
	}
	if err := p.CheckMinISR(time.Hour); !errors.Is(err, ErrNotEnoughReplicas) {
		t.Fatalf("CheckMinISR with ISR [1], min 2: %v", err)
	}
}

func TestCheckMinISRIgnoresStaleFollowersInCommittedISR(t *testing.T) {
	_, p, _ := leaderPartition(t, []int32{1, 2, 3}, "2")
	if err := p.CheckMinISR(time.Hour); err != nil {
		t.Fatalf("fresh followers: %v", err)
	}
	// Followers that have not fetched within the lag limit do not count
	// although the controller never accepted the shrink (quorum lost).
	time.Sleep(5 * time.Millisecond)
	if err := p.CheckMinISR(time.Millisecond); !errors.Is(err, ErrNotEnoughReplicas) {
		t.Fatalf("stale followers counted: %v", err)
	}
	if _, err := p.RecordFollowerFetch(2, 0); err != nil {
		t.Fatal(err)
	}
	if err := p.CheckMinISR(time.Second); err != nil {
		t.Fatalf("follower 2 just caught up, ISR 2 of min 2: %v", err)
	}
}

func TestISRExpandsWhenFollowerCatchesUp(t *testing.T) {
	m, p, rec := leaderPartition(t, []int32{1, 2}, "1")
	if _, err := p.Append(batch(t, -1, -1, 4)); err != nil {
		t.Fatal(err)
	}
	p.RecordFollowerFetch(2, 4)
	p.RecordFollowerFetch(3, 2)
	if len(rec.all()) != 0 {
		t.Fatalf("expanded with a lagging follower: %+v", rec.all())
	}
	p.RecordFollowerFetch(3, 4)
	got := rec.all()
	if len(got) != 1 || !slices.Equal(got[0].ISR, []int32{1, 2, 3}) {
		t.Fatalf("changes %+v, want ISR [1 2 3]", got)
	}
	m.ApplyImage(replImage(1, 0, 1, []int32{1, 2, 3}, "1"))
	if isr := p.ISR(); !slices.Equal(isr, []int32{1, 2, 3}) {
		t.Fatalf("ISR %v after the image", isr)
	}
}

func TestFollowerAppendTruncateAndRoleChange(t *testing.T) {
	m, p, _ := leaderPartition(t, []int32{1, 2, 3}, "1")
	res, err := p.Append(batch(t, 5, 0, 3))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.WaitForHighWatermark(context.Background(), res.LastOffset+1) }()
	m.ApplyImage(replImage(2, 1, 1, []int32{1, 2, 3}, "1")) // node 2 leads now
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotLeader) {
			t.Fatalf("waiter after losing leadership: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("leader change did not complete the waiter")
	}
	if _, err := p.Append(batch(t, -1, -1, 1)); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("follower accepted a produce: %v", err)
	}
	if err := p.TruncateTo(1, 1); err != nil {
		t.Fatal(err)
	}
	if leo := p.LogEndOffset(); leo != 0 {
		t.Fatalf("leo %d after truncating inside the only batch, want 0", leo)
	}
	// The leader's copy: offsets 0..2 from epoch 1, as the leader stamped them.
	lb := batch(t, 5, 0, 3)
	stampForTest(lb, 0, 1)
	if _, err := p.AppendAsFollower(0, lb); !errors.Is(err, ErrFencedLeaderEpoch) {
		t.Fatalf("append under a stale epoch: %v", err)
	}
	leo, err := p.AppendAsFollower(1, lb)
	if err != nil || leo != 3 {
		t.Fatalf("append as follower: leo %d %v", leo, err)
	}
	if e := p.LatestEpoch(); e != 1 {
		t.Fatalf("latest epoch %d, want the leader's 1", e)
	}
	p.UpdateFollowerHighWatermark(10)
	if hw := p.HighWatermark(); hw != 3 {
		t.Fatalf("follower hw %d, want min(leader hw, leo) = 3", hw)
	}
	m.ApplyImage(replImage(1, 2, 2, []int32{1, 2, 3}, "1")) // leader again
	again, err := p.Append(batch(t, 5, 0, 3))
	if err != nil || !again.Duplicate || again.BaseOffset != 0 {
		t.Fatalf("retry of a replicated batch after failover: %+v %v", again, err)
	}
}

func stampForTest(b []byte, base int64, epoch int32) {
	records.SetBaseOffset(b, base)
	records.SetLeaderEpoch(b, epoch)
}

// Losing and regaining leadership between the append and the wait fails the
// wait even when the high watermark passes: the batch may have been
// truncated while this replica followed.
func TestWaitForCommitFailsAcrossLeaderEpochs(t *testing.T) {
	m, p, _ := leaderPartition(t, []int32{1, 2}, "1")
	res, err := p.Append(batch(t, -1, -1, 2))
	if err != nil || res.LeaderEpoch != 0 {
		t.Fatalf("append: %+v %v", res, err)
	}
	m.ApplyImage(replImage(2, 1, 1, []int32{1, 2}, "1"))
	m.ApplyImage(replImage(1, 2, 2, []int32{1}, "1"))
	if hw := p.HighWatermark(); hw < res.LastOffset+1 {
		t.Fatalf("hw %d, want it past the batch for this test", hw)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.WaitForCommit(ctx, res.LastOffset+1, res.LeaderEpoch); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("wait across epochs: %v, want ErrNotLeader", err)
	}
	if err := p.WaitForHighWatermark(ctx, res.LastOffset+1); err != nil {
		t.Fatalf("wait in the current epoch: %v", err)
	}
}

// A follower fetch that does not move the high watermark must not wake
// parked fetches (two followers would otherwise wake each other in a
// loop); an append always wakes them (followers wait for the log end).
func TestWakeOnlyOnProgress(t *testing.T) {
	_, p, _ := leaderPartition(t, []int32{1, 2, 3}, "1")
	w := NewWaiter()
	defer p.Watch(w)()
	signalled := func() bool {
		select {
		case <-w:
			return true
		default:
			return false
		}
	}
	p.RecordFollowerFetch(2, 0)
	p.RecordFollowerFetch(3, 0)
	p.RecordFollowerFetch(2, 0)
	if signalled() {
		t.Fatal("follower fetches that moved nothing woke a parked fetch")
	}
	if _, err := p.Append(batch(t, -1, -1, 1)); err != nil {
		t.Fatal(err)
	}
	if !signalled() {
		t.Fatal("an append that left the high watermark did not wake the followers' fetches")
	}
	p.RecordFollowerFetch(2, 1)
	if signalled() {
		t.Fatal("woken while follower 3 still holds the high watermark")
	}
	p.RecordFollowerFetch(3, 1)
	if !signalled() || p.HighWatermark() != 1 {
		t.Fatalf("high watermark %d; advancing it must wake consumers", p.HighWatermark())
	}
}

// An image that changes another partition leaves a pending ISR proposal
// pending; one with a new partition epoch settles it.
func TestPendingISRSurvivesUnrelatedImages(t *testing.T) {
	m, p, rec := leaderPartition(t, []int32{1, 2}, "1")
	p.RecordFollowerFetch(2, 0)
	p.RecordFollowerFetch(3, 0)
	if got := rec.all(); len(got) != 1 {
		t.Fatalf("proposals %+v, want one adding 3", got)
	}
	m.ApplyImage(replImage(1, 0, 0, []int32{1, 2}, "1")) // same partition epoch
	p.RecordFollowerFetch(3, 0)
	if got := rec.all(); len(got) != 1 {
		t.Fatalf("re-proposed after an unrelated image: %+v", got)
	}
	m.ApplyImage(replImage(1, 0, 1, []int32{1, 2, 3}, "1"))
	if isr := p.ISR(); !slices.Equal(isr, []int32{1, 2, 3}) {
		t.Fatalf("ISR %v", isr)
	}
}

// A proposal to add a follower that then dies must not hold the high
// watermark for ever: once the controller refuses it the leader counts only
// the committed ISR again, and a proposal that got no answer at all is
// asked again by the ISR check instead of being kept silently.
func TestRefusedOrUnansweredExpansionReleasesHighWatermark(t *testing.T) {
	_, p, rec := leaderPartition(t, []int32{1, 2}, "2")
	if _, err := p.Append(batch(t, -1, -1, 4)); err != nil {
		t.Fatal(err)
	}
	p.RecordFollowerFetch(3, 4) // 3 catches up, then stops fetching
	got := rec.all()
	if len(got) != 1 || !slices.Equal(got[0].ISR, []int32{1, 2, 3}) {
		t.Fatalf("changes %+v, want ISR [1 2 3]", got)
	}
	if _, err := p.Append(batch(t, -1, -1, 2)); err != nil {
		t.Fatal(err)
	}
	p.RecordFollowerFetch(2, 6)
	if hw := p.HighWatermark(); hw != 4 {
		t.Fatalf("hw %d while adding 3 is pending, want 4 (3's LEO)", hw)
	}
	p.ISRChangeRefused(got[0])
	if hw := p.HighWatermark(); hw != 6 {
		t.Fatalf("hw %d after the controller refused 3, want 6", hw)
	}

	// Unanswered: the ISR check re-proposes once the proposal is stale.
	p.RecordFollowerFetch(3, 6)
	if n := len(rec.all()); n != 2 {
		t.Fatalf("%d proposals, want a second one adding 3", n)
	}
	p.MaybeShrinkISR(time.Now(), time.Hour)
	if n := len(rec.all()); n != 2 {
		t.Fatalf("re-proposed a fresh pending change: %+v", rec.all())
	}
	p.MaybeShrinkISR(time.Now().Add(pendingISRTimeout+time.Second), time.Hour)
	got = rec.all()
	if len(got) != 3 || !slices.Equal(got[2].ISR, []int32{1, 2, 3}) {
		t.Fatalf("changes %+v, want the stale [1 2 3] asked again", got)
	}
}

// A fenced broker (dead, or in controlled shutdown) that still fetches is
// not proposed for the ISR (KIP-841): the controller would refuse it.
func TestFencedFollowerNotProposed(t *testing.T) {
	m, p, rec := leaderPartition(t, []int32{1, 2}, "1")
	im := replImage(1, 0, 0, []int32{1, 2}, "1")
	im.Brokers[3] = metadata.Broker{ID: 3, Fenced: true}
	m.ApplyImage(im)
	p.RecordFollowerFetch(3, 0)
	if got := rec.all(); len(got) != 0 {
		t.Fatalf("proposed a fenced broker: %+v", got)
	}
	im = replImage(1, 0, 0, []int32{1, 2}, "1")
	im.Brokers[3] = metadata.Broker{ID: 3}
	m.ApplyImage(im)
	p.RecordFollowerFetch(3, 0)
	if got := rec.all(); len(got) != 1 || !slices.Equal(got[0].ISR, []int32{1, 2, 3}) {
		t.Fatalf("changes %+v, want [1 2 3] once 3 is unfenced", got)
	}
}
