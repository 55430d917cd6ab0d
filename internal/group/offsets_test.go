package group

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func commit(group, member string, gen int32, topic string, part int32, off int64) CommitRequest {
	return CommitRequest{Group: group, MemberID: member, Generation: gen, Retention: -1,
		Offsets: []OffsetCommit{{TopicPartition: TopicPartition{topic, part}, Offset: off, LeaderEpoch: 3, Metadata: "m"}}}
}

func TestSimpleCommitAndFetch(t *testing.T) {
	e := newEnv(t)
	if _, err := e.c.Commit(context.Background(), commit("s", "", -1, "t", 1, 42)); err != nil {
		t.Fatal(err)
	}
	got, err := e.c.FetchOffsets("s", []TopicPartition{{"t", 1}, {"t", 2}})
	if err != nil || got[0].Offset != 42 || got[0].LeaderEpoch != 3 || got[0].Metadata != "m" || got[1].Offset != -1 {
		t.Fatalf("fetch = %+v, %v", got, err)
	}
	all, _ := e.c.FetchOffsets("s", nil)
	if len(all) != 1 {
		t.Fatalf("fetch all = %+v", all)
	}
	none, _ := e.c.FetchOffsets("nope", []TopicPartition{{"t", 0}})
	if len(none) != 1 || none[0].Offset != -1 {
		t.Fatalf("fetch unknown group = %+v", none)
	}
}

func TestCommitValidation(t *testing.T) {
	e := newEnv(t)
	id, res := e.joinAndSync("g")
	if _, err := e.c.Commit(context.Background(), commit("g", "", -1, "t", 0, 1)); !errors.Is(err, ErrUnknownMemberID) {
		t.Fatalf("simple commit to an active group = %v", err)
	}
	if _, err := e.c.Commit(context.Background(), commit("g", id, res.Generation+1, "t", 0, 1)); !errors.Is(err, ErrIllegalGeneration) {
		t.Fatalf("wrong generation = %v", err)
	}
	if _, err := e.c.Commit(context.Background(), commit("g", "who", res.Generation, "t", 0, 1)); !errors.Is(err, ErrUnknownMemberID) {
		t.Fatalf("unknown member = %v", err)
	}
	big := commit("g", id, res.Generation, "t", 0, 1)
	big.Offsets[0].Metadata = strings.Repeat("x", 5000)
	errs, err := e.c.Commit(context.Background(), big)
	if err != nil || !errors.Is(errs[0], ErrMetadataTooLarge) {
		t.Fatalf("large metadata = %v, %v", errs, err)
	}
	e.log.failNext = errDisk
	if _, err := e.c.Commit(context.Background(), commit("g", id, res.Generation, "t", 0, 1)); !errors.Is(err, ErrNotCoordinator) {
		t.Fatalf("failed append = %v", err)
	}
	if got, _ := e.c.FetchOffsets("g", []TopicPartition{{"t", 0}}); got[0].Offset != -1 {
		t.Fatal("an offset whose append failed is visible")
	}
	// A second member joins: commits are refused while completing.
	b, chB := e.joinNew("g")
	chA := e.joinAsync(joinReq("g", id))
	recv(t, chA)
	recv(t, chB)
	if _, err := e.c.Commit(context.Background(), commit("g", b, res.Generation+1, "t", 0, 1)); !errors.Is(err, ErrRebalanceInProgress) {
		t.Fatalf("commit while completing = %v", err)
	}
}

func TestStateSurvivesReload(t *testing.T) {
	e := newEnv(t)
	id, res := e.joinAndSync("g")
	if _, err := e.c.Commit(context.Background(), commit("g", id, res.Generation, "t", 0, 7)); err != nil {
		t.Fatal(err)
	}
	e.c.Commit(context.Background(), commit("s", "", -1, "u", 3, 9))
	e.c.Close()
	e.start()
	got, _ := e.c.FetchOffsets("g", []TopicPartition{{"t", 0}})
	if got[0].Offset != 7 {
		t.Fatalf("offset after reload = %+v", got)
	}
	d, _ := e.c.DescribeGroup("g")
	if d.State != Stable || len(d.Members) != 1 || d.Members[0].MemberID != id || string(d.Members[0].Assignment) != "a1" {
		t.Fatalf("group after reload = %+v", d)
	}
	if err := e.c.Heartbeat(HeartbeatRequest{Group: "g", MemberID: id, Generation: res.Generation}); err != nil {
		t.Fatalf("heartbeat after reload: %v", err)
	}
	// The reloaded member still expires without heartbeats.
	e.clock.Advance(11 * time.Second)
	if got := e.state("g"); got != Empty {
		t.Fatalf("state after the reloaded member expired = %v", got)
	}
	groups, _ := e.c.ListGroups()
	if len(groups) != 2 || groups[0].ID != "g" || groups[1].ID != "s" {
		t.Fatalf("groups = %+v", groups)
	}
}

func TestDeleteGroup(t *testing.T) {
	e := newEnv(t)
	id, _ := e.joinAndSync("g")
	e.c.Commit(context.Background(), commit("g", id, 1, "t", 0, 5))
	if err := e.c.DeleteGroup(context.Background(), "g"); !errors.Is(err, ErrNonEmptyGroup) {
		t.Fatalf("delete active group = %v", err)
	}
	e.c.Leave("g", []LeaveMember{{MemberID: id}})
	if err := e.c.DeleteGroup(context.Background(), "g"); err != nil {
		t.Fatalf("delete empty group: %v", err)
	}
	if err := e.c.DeleteGroup(context.Background(), "g"); !errors.Is(err, ErrGroupIDNotFound) {
		t.Fatalf("delete again = %v", err)
	}
	e.c.Close()
	e.start()
	if got, _ := e.c.FetchOffsets("g", []TopicPartition{{"t", 0}}); got[0].Offset != -1 {
		t.Fatal("offsets of a deleted group came back after reload")
	}
	if groups, _ := e.c.ListGroups(); len(groups) != 0 {
		t.Fatalf("groups after delete and reload = %+v", groups)
	}
}

func TestDeleteOffsetsRefusesSubscribedTopics(t *testing.T) {
	e := newEnv(t)
	id, _ := e.joinAndSync("g") // subscribed to "t" (see joinReq)
	e.c.Commit(context.Background(), commit("g", id, 1, "t", 0, 5))
	e.c.Commit(context.Background(), commit("g", id, 1, "old", 0, 5))
	errs, err := e.c.DeleteOffsets(context.Background(), "g", []TopicPartition{{"t", 0}, {"old", 0}})
	if err != nil || !errors.Is(errs[0], ErrSubscribedToTopic) || errs[1] != nil {
		t.Fatalf("delete offsets = %v, %v", errs, err)
	}
	got, _ := e.c.FetchOffsets("g", nil)
	if len(got) != 1 || got[0].Topic != "t" {
		t.Fatalf("offsets left = %+v", got)
	}
	if _, err := e.c.DeleteOffsets(context.Background(), "nope", nil); !errors.Is(err, ErrGroupIDNotFound) {
		t.Fatalf("unknown group = %v", err)
	}
}

func TestExpireOffsetsOfEmptyGroups(t *testing.T) {
	e := newEnv(t)
	e.c.Commit(context.Background(), commit("s", "", -1, "t", 0, 5))
	e.clock.Advance(30 * time.Minute)
	e.c.Commit(context.Background(), commit("s", "", -1, "t", 1, 6))
	id, _ := e.joinAndSync("g")
	e.c.Commit(context.Background(), commit("g", id, 1, "t", 0, 5))
	e.c.Leave("g", []LeaveMember{{MemberID: id}}) // empty since now
	e.clock.Advance(40 * time.Minute)             // "s" t-0 is 70 minutes old; "g" empty for 40
	e.c.ExpireOffsets()
	if got, _ := e.c.FetchOffsets("s", nil); len(got) != 1 || got[0].Partition != 1 {
		t.Fatalf("simple group offsets = %+v", got)
	}
	if got, _ := e.c.FetchOffsets("g", nil); len(got) != 1 {
		t.Fatalf("group offsets expired too early: %+v", got)
	}
	e.clock.Advance(30 * time.Minute)
	e.c.ExpireOffsets()
	if groups, _ := e.c.ListGroups(); len(groups) != 0 {
		t.Fatalf("groups after expiry = %+v", groups)
	}
	e.c.Close()
	e.start()
	if groups, _ := e.c.ListGroups(); len(groups) != 0 {
		t.Fatalf("expired groups came back after reload: %+v", groups)
	}
}

// A commit marker written while the offsets partition loads, after the
// replay read the log, still makes the transaction's offsets the group's:
// without it they would stay pending for ever.
func TestTxnMarkerDuringLoad(t *testing.T) {
	clock := newFakeClock()
	log := newFakeLog()
	c := New(testConfig(clock), log)
	p := c.PartitionFor("g")
	c.SetLeaders(map[int32]int32{p: 1})
	waitFor(t, func() bool { return c.Status(p) == Loaded })
	tp := TopicPartition{"t", 0}
	if errs, err := c.TxnCommit(context.Background(), TxnCommitRequest{Group: "g", Generation: -1, ProducerID: 7,
		Offsets: []OffsetCommit{{tp, 42, -1, ""}}}); err != nil || errs[0] != nil {
		t.Fatalf("txn commit: %v %v", err, errs)
	}
	c.Close()

	// Another coordinator takes the partition over; the marker lands
	// after its replay has read the log, before the groups are installed.
	read, marked := make(chan struct{}), make(chan struct{})
	log.afterRead = func() {
		close(read)
		<-marked
	}
	c = New(testConfig(clock), log)
	defer c.Close()
	c.SetLeaders(map[int32]int32{p: 1})
	<-read
	log.Append(context.Background(), p, []Record{{Marker: CommitMarker, ProducerID: 7}})
	c.CompleteTxn(p, 7, true)
	close(marked)
	waitFor(t, func() bool { return c.Status(p) == Loaded })
	if c.PendingTxnOffset("g", tp) {
		t.Fatal("offset still pending after its commit marker")
	}
	offs, err := c.FetchOffsets("g", []TopicPartition{tp})
	if err != nil || len(offs) != 1 || offs[0].Offset != 42 {
		t.Fatalf("fetched %+v %v, want offset 42", offs, err)
	}
}
