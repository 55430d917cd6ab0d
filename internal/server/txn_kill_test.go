package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/group"
	"github.com/samsa-io/samsa/internal/netfault"
	"github.com/samsa-io/samsa/internal/partition"
	"github.com/samsa-io/samsa/internal/txn"
	"github.com/samsa-io/samsa/protocol/txnstate"
)

// killStage is where the coordinator is stopped on its way to a
// transaction's CompleteCommit record, once every COMMIT marker is written.
type killStage int

const (
	// killBeforeAppend: the completion is never written.
	killBeforeAppend killStage = iota
	// killIsolatedAfterAppend: the coordinator is cut from the other
	// nodes, then the completion goes into its log alone.
	killIsolatedAfterAppend
	// killAfterReplication: the completion is in every replica's log,
	// above the high watermark the followers know, and unacknowledged.
	killAfterReplication
)

// killRig is the test's hand in the nodes: the transaction state append
// hook (Options.txnStateAppend) and a dial filter that can refuse
// replication between nodes while Raft still connects them.
type killRig struct {
	nw    *netfault.Network
	stage killStage

	mu      sync.Mutex
	armed   bool
	dead    map[int32]bool // nodes stopped by the hook: their coordinator writes nothing more
	refused map[int32]map[string]bool
	fired   chan int32 // the node the hook stopped
}

var errKilledByTest = errors.New("coordinator killed by the test")

// hook is node id's txnStateAppend: armed, it stops the first append of a
// CompleteCommit record at the rig's stage and blocks until the node is
// closed; afterwards the node's coordinator appends nothing.
func (r *killRig) hook(id int32) func(ctx context.Context, recs []txn.Record, appended bool) error {
	return func(ctx context.Context, recs []txn.Record, appended bool) error {
		r.mu.Lock()
		if r.dead[id] {
			r.mu.Unlock()
			return errKilledByTest
		}
		complete := false
		if len(recs) == 1 && recs[0].Value != nil {
			v, err := txnstate.Decode(recs[0].Value)
			complete = err == nil && v.State == txnstate.CompleteCommit
		}
		if !r.armed || !complete {
			r.mu.Unlock()
			return nil
		}
		if r.stage == killIsolatedAfterAppend && !appended {
			// Nobody will copy the completion: it stays above the
			// high watermark, on this node only.
			r.mu.Unlock()
			r.nw.Disconnect(id)
			return nil
		}
		if r.stage != killBeforeAppend && !appended {
			r.mu.Unlock()
			return nil
		}
		r.armed, r.dead[id] = false, true
		r.mu.Unlock()
		r.fired <- id
		<-ctx.Done() // the node's listeners close: the request is cancelled
		return fmt.Errorf("%w: %w", errKilledByTest, ctx.Err())
	}
}

// dial is node from's Options.Dial: through the netfault network, unless
// the test refuses from's dials to addr.
func (r *killRig) dial(from int32) func(ctx context.Context, network, addr string) (net.Conn, error) {
	next := r.nw.Dialer(from)
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		r.mu.Lock()
		refused := r.refused[from][addr]
		r.mu.Unlock()
		if refused {
			return nil, fmt.Errorf("dial %s from node %d: refused by the test", addr, from)
		}
		return next(ctx, network, addr)
	}
}

func (r *killRig) refuse(from int32, addr string, on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refused[from] == nil {
		r.refused[from] = make(map[string]bool)
	}
	r.refused[from][addr] = on
}

func (r *killRig) options(id int32) Options {
	return Options{Dial: r.dial(id), txnStateAppend: r.hook(id)}
}

// TestTxnCoordinatorKilledBeforeCompletionReplicates kills the transaction
// coordinator after it wrote every COMMIT marker of transaction N and
// before its CompleteCommit record is replicated and acknowledged: the
// record is never written, or sits in the dead leader's log alone, or in
// every replica's log above the high watermark the survivors know. Another
// node takes __transaction_state over; the producer's EndTxn retry must
// succeed there. Then the producer opens N+1 and writes to every
// partition, the two survivors are killed -9 as well (their high watermark
// checkpoints from when N was prepared, as the 5 s checkpoint interval
// leaves them when N+1 began within it) and restarted, and the new
// coordinator loads while its follower cannot fetch, so its high watermark
// still stops at N's PrepareCommit. The producer aborts N+1. A
// read_committed consumer must see every record of N once and none of N+1.
// A coordinator that loaded only to the high watermark saw N prepared and
// re-sent its COMMIT markers, which committed N+1.
// The first failover alone does not show that: the new coordinator may
// finish N again, but N+1 cannot begin before it has (the retry waits for
// the entry), so re-sent markers find nothing of N+1 yet.
func TestTxnCoordinatorKilledBeforeCompletionReplicates(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stage killStage
	}{
		{"completion not written", killBeforeAppend},
		{"completion on the isolated leader only", killIsolatedAfterAppend},
		{"completion replicated above the high watermark", killAfterReplication},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testTxnKilledBeforeCompletion(t, tc.stage)
		})
	}
}

func testTxnKilledBeforeCompletion(t *testing.T, stage killStage) {
	rig := &killRig{nw: netfault.New(), stage: stage, dead: make(map[int32]bool),
		refused: make(map[int32]map[string]bool), fired: make(chan int32, 1)}
	ports := freePorts(t, 6)
	var nodes [3]nodeLayout
	for i := range nodes {
		client, ctrl := fmt.Sprintf("127.0.0.1:%d", ports[i]), fmt.Sprintf("127.0.0.1:%d", ports[3+i])
		rig.nw.Register(int32(i+1), client, ctrl)
		nodes[i] = plaintextNode(client, ctrl)
		// A follower the test stops from fetching stays in the ISR (the
		// dead node leaves it when fenced), so the restarted coordinator's
		// high watermark cannot jump to its log end by a shrink.
		nodes[i].props = append(nodes[i].props, "transaction.state.log.num.partitions=1",
			"offsets.topic.num.partitions=1", "replica.lag.time.max.ms=30000")
	}
	tc := startNodes(t, testLogger(), nodes, rig.options)
	defer func() {
		if t.Failed() {
			logReplicaState(t, tc)
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	admin, err := kgo.NewClient(kgo.SeedBrokers(tc.clients...))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := kadm.NewClient(admin).CreateTopic(ctx, 3, 3, nil, "t"); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	prod, err := kgo.NewClient(kgo.SeedBrokers(tc.clients...), kgo.TransactionalID("app"),
		kgo.DefaultProduceTopic("t"), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()),
		kgo.TransactionTimeout(60*time.Second),
		// While the survivors still name the dead node as coordinator
		// (until its session lapses, or longer when it led Raft) the
		// client must keep retrying rather than give up after its
		// default 20 tries.
		kgo.RequestRetries(1000), kgo.RetryTimeout(45*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	produceTxn(t, prod, true, values("before-", 6)...)

	// Transaction N: the hook stops the coordinator on its completion.
	stateLeader := func() int32 {
		pm, ok := tc.running().ctrl.Image().PartitionOf(txn.StateTopic, 0)
		if !ok {
			t.Fatal("no __transaction_state partition")
		}
		return pm.Leader
	}
	old := stateLeader()
	rig.mu.Lock()
	rig.armed = true
	rig.mu.Unlock()
	if err := prod.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	committed := values("n-", 12)
	for _, v := range committed {
		if err := prod.ProduceSync(ctx, &kgo.Record{Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatalf("produce %s: %v", v, err)
		}
	}
	txnCommitOffset(t, ctx, prod, "g", 100)
	pidN, epochN, err := prod.ProducerID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	endN := make(chan error, 1)
	go func() { endN <- prod.EndTransaction(ctx, kgo.TryCommit) }()
	select {
	case id := <-rig.fired:
		if id != old {
			t.Fatalf("node %d completed the transaction; node %d leads __transaction_state", id, old)
		}
	case err := <-endN:
		t.Fatalf("transaction N ended (%v) without reaching the hook", err)
	case <-time.After(20 * time.Second):
		t.Fatal("the coordinator never reached transaction N's completion")
	}
	statePart := func(id int32) *partition.Partition {
		return tc.nodes[id-1].parts.Partition(txn.StateTopic, 0)
	}
	// The high watermark a checkpoint written while N was prepared holds:
	// PrepareCommit(N) is the last record below it.
	preparedHW := statePart(old).LogEndOffset()
	if stage != killBeforeAppend {
		preparedHW--
	}
	var survivors []int32
	for id := int32(1); id <= 3; id++ {
		if id != old {
			survivors = append(survivors, id)
		}
	}
	if stage == killAfterReplication {
		leo := statePart(old).LogEndOffset()
		tc.eventually("the followers copy the completion", func() bool {
			for _, id := range survivors {
				if statePart(id).LogEndOffset() < leo {
					return false
				}
			}
			return true
		})
	}
	for _, id := range survivors {
		p := statePart(id)
		if stage != killAfterReplication && p.LogEndOffset() > preparedHW {
			t.Fatalf("node %d copied the completion the dead leader alone should hold", id)
		}
		t.Logf("node %d at the kill: state log end %d, high watermark %d (prepared: %d)", id, p.LogEndOffset(),
			p.HighWatermark(), preparedHW)
	}
	tc.stop(old, true)
	if err := <-endN; err != nil {
		if _, answered := errors.AsType[*kerr.Error](err); answered {
			t.Fatalf("EndTxn(commit) of transaction N, retried at the new coordinator: %v", err)
		}
		// The connection died with the request in flight and franz-go
		// gives up on its retries while the dead node is still named
		// coordinator: the outcome is unconfirmed to the client, which
		// then re-initializes its producer ID (a new epoch for N+1).
		// PrepareCommit is durable, so the commit retried here, at
		// whichever node coordinates now, must succeed.
		t.Logf("EndTxn(commit) of transaction N failed in transit (%v); retrying it by hand", err)
		endTxnRetried(t, ctx, prod, pidN, epochN, true)
		// franz-go's documented way out of an unconfirmed EndTxn: TryAbort
		// sends nothing and re-initializes the producer ID.
		if err := prod.EndTransaction(ctx, kgo.TryAbort); err != nil {
			t.Fatalf("reset the client after the unconfirmed EndTxn: %v", err)
		}
	}

	// Transaction N+1 writes to every partition and stays open while both
	// survivors are killed and restarted. It starts once no partition
	// names the dead node as leader, so that its writes do not fail.
	tc.eventually("leaders move off the dead node", func() bool {
		im := tc.running().ctrl.Image()
		for _, name := range []string{"t", txn.StateTopic} {
			topic, ok := im.Topic(name)
			if !ok {
				return false
			}
			for _, p := range topic.Partitions {
				if p.Leader == old || p.Leader < 0 {
					return false
				}
			}
		}
		return true
	})
	prod.ForceMetadataRefresh()
	if err := prod.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	// The offsets go first. When the dead coordinator answered N's EndTxn
	// before it stopped, franz-go still caches it as the transaction
	// coordinator, and its AddPartitionsToTxn path (a sharded request)
	// neither drops that entry on a dial failure nor finds the
	// coordinator again once the node leaves the metadata: it fails the
	// producer ID with "unknown broker" for good. AddOffsetsToTxn goes
	// through the client's coordinator path, which drops the dead entry
	// and asks FindCoordinator again.
	txnCommitOffset(t, ctx, prod, "g", 200)
	aborted := values("abort-", 12)
	for _, v := range aborted {
		if err := prod.ProduceSync(ctx, &kgo.Record{Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatalf("produce %s: %v", v, err)
		}
	}
	for _, id := range survivors {
		tc.stop(id, true)
		// The group's commits and markers too are above the offsets
		// checkpoint: a new group coordinator must load them all.
		staleCheckpoint(t, tc.cfgs[id-1].LogDirs[0], txn.StateTopic, preparedHW)
		staleCheckpoint(t, tc.cfgs[id-1].LogDirs[0], group.OffsetsTopic, 0)
	}
	// Each survivor's follower cannot fetch from it (Raft still runs), so
	// the coordinator's high watermark stays where the checkpoint put it
	// until it has loaded.
	a, b := survivors[0], survivors[1]
	rig.refuse(a, tc.clients[b-1], true)
	rig.refuse(b, tc.clients[a-1], true)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for _, id := range survivors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sctx, scancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer scancel()
			tc.nodes[id-1], errs[id-1] = StartWithOptions(sctx, tc.cfgs[id-1], tc.logger.With("test_node", id),
				rig.options(id))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("restart: %v", err)
		}
	}
	tc.eventually("survivors load __transaction_state and __consumer_offsets", func() bool {
		txns, groups := false, false
		for _, id := range survivors {
			_, loaded := tc.nodes[id-1].txns.Status(0)
			txns = txns || loaded
			groups = groups || tc.nodes[id-1].groups.Status(0) == group.Loaded
		}
		return txns && groups
	})
	rig.refuse(a, tc.clients[b-1], false)
	rig.refuse(b, tc.clients[a-1], false)
	if err := prod.EndTransaction(ctx, kgo.TryAbort); err != nil {
		t.Errorf("EndTxn(abort) of transaction N+1: %v", err)
	}

	got := consumeCommitted(t, tc.liveAddrs(), "t", 6+len(committed))
	want := make(map[string]bool)
	for _, v := range append(values("before-", 6), committed...) {
		want[v] = true
	}
	seen := make(map[string]int)
	for _, v := range got {
		seen[v]++
		switch {
		case strings.HasPrefix(v, "abort-"):
			t.Errorf("read_committed consumer sees %s of the aborted transaction N+1", v)
		case !want[v]:
			t.Errorf("unexpected record %q", v)
		case seen[v] > 1:
			t.Errorf("%s seen %d times", v, seen[v])
		}
	}
	for v := range want {
		if seen[v] == 0 {
			t.Errorf("committed record %s missing", v)
		}
	}
	if off := stableOffset(t, ctx, admin, "g"); off != 100 {
		t.Errorf("group g's committed offset of t-0 is %d, want 100 (N's transactional commit; N+1's 200 aborted)", off)
	}
}

// txnCommitOffset commits group's offset of t-0 in the producer's open
// transaction (AddOffsetsToTxn, then TxnOffsetCommit), retrying what the
// coordinators answer while they move or load.
func txnCommitOffset(t *testing.T, ctx context.Context, cl *kgo.Client, group string, off int64) {
	t.Helper()
	pid, epoch, err := cl.ProducerID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	retry := func(what string, do func() (int16, error)) {
		t.Helper()
		for attempt := 1; ; attempt++ {
			code, err := do()
			if err == nil && code == 0 {
				return
			}
			if err == nil {
				err = kerr.ErrorForCode(code)
			}
			if attempt == 40 || (!kerr.IsRetriable(err) && !errors.Is(err, kerr.ConcurrentTransactions)) {
				t.Fatalf("%s: %v", what, err)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	retry("AddOffsetsToTxn", func() (int16, error) {
		req := kmsg.NewPtrAddOffsetsToTxnRequest()
		req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Group = "app", pid, epoch, group
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return 0, err
		}
		return resp.ErrorCode, nil
	})
	retry("TxnOffsetCommit", func() (int16, error) {
		req := kmsg.NewPtrTxnOffsetCommitRequest()
		req.TransactionalID, req.Group, req.ProducerID, req.ProducerEpoch = "app", group, pid, epoch
		rt := kmsg.NewTxnOffsetCommitRequestTopic()
		rt.Topic = "t"
		rp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
		rp.Partition, rp.Offset, rp.LeaderEpoch = 0, off, -1
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return 0, err
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if p.ErrorCode != 0 {
					return p.ErrorCode, nil
				}
			}
		}
		return 0, nil
	})
}

// endTxnRetried sends EndTxn for the producer's transaction through the
// client's coordinator routing until a coordinator answers without a
// retriable error.
func endTxnRetried(t *testing.T, ctx context.Context, cl *kgo.Client, pid int64, epoch int16, commit bool) {
	t.Helper()
	var last error
	for range 80 {
		req := kmsg.NewPtrEndTxnRequest()
		req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit = "app", pid, epoch, commit
		resp, err := req.RequestWith(ctx, cl)
		switch {
		case err != nil:
			last = err
		case resp.ErrorCode == 0:
			return
		default:
			last = kerr.ErrorForCode(resp.ErrorCode)
			if !kerr.IsRetriable(last) && !errors.Is(last, kerr.ConcurrentTransactions) {
				t.Fatalf("EndTxn(commit=%v) retried: %v", commit, last)
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("EndTxn(commit=%v): no coordinator completed it: %v", commit, last)
}

// stableOffset is group's committed offset of t-0 once no transactional
// commit of it is pending (OffsetFetch with require_stable).
func stableOffset(t *testing.T, ctx context.Context, cl *kgo.Client, group string) int64 {
	t.Helper()
	var last error
	for attempt := 0; attempt < 80; attempt++ {
		req := kmsg.NewPtrOffsetFetchRequest()
		req.Version, req.Group, req.RequireStable = 7, group, true
		rt := kmsg.NewOffsetFetchRequestTopic()
		rt.Topic, rt.Partitions = "t", []int32{0}
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, cl)
		switch {
		case err != nil:
			last = err
		case resp.ErrorCode != 0:
			last = kerr.ErrorForCode(resp.ErrorCode)
		case len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1:
			last = fmt.Errorf("offset fetch answered %+v", resp.Topics)
		case resp.Topics[0].Partitions[0].ErrorCode != 0:
			last = kerr.ErrorForCode(resp.Topics[0].Partitions[0].ErrorCode)
		default:
			return resp.Topics[0].Partitions[0].Offset
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("group %s: no stable offset of t-0: %v", group, last)
	return -1
}

// staleCheckpoint rewrites the topic-0 entry of the high watermark
// checkpoint in dir to hw: what a node killed -9 leaves when its last
// checkpoint predates the records the test wrote since.
func staleCheckpoint(t *testing.T, dir, topic string, hw int64) {
	t.Helper()
	path := filepath.Join(dir, "replication-offset-checkpoint")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	found := false
	for i, l := range lines {
		if f := strings.Fields(l); len(f) == 3 && f[0] == topic && f[1] == "0" {
			lines[i], found = fmt.Sprintf("%s 0 %s", topic, strconv.FormatInt(hw, 10)), true
		}
	}
	if !found {
		t.Fatalf("%s has no %s-0 entry:\n%s", path, topic, data)
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}

// consumeCommitted reads topic from the start with read_committed until it
// has at least want records, then a little longer for any extra.
func consumeCommitted(t *testing.T, seeds []string, topic string, want int) []string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ConsumeTopics(topic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []string
	deadline := time.Now().Add(20 * time.Second)
	var extra time.Time // set once want records arrived
	for time.Now().Before(deadline) && (extra.IsZero() || time.Now().Before(extra)) {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) { out = append(out, string(r.Value)) })
		if len(out) >= want && extra.IsZero() {
			extra = time.Now().Add(time.Second)
		}
	}
	return out
}

// logReplicaState logs, for every running node, what it holds of the
// test's partitions: what a failed run needs to tell lost data from data
// not yet visible.
func logReplicaState(t *testing.T, tc *testCluster) {
	for _, n := range tc.nodes {
		if n == nil {
			continue
		}
		im := n.ctrl.Image()
		owned, loaded := n.txns.Status(0)
		t.Logf("node %d: txn coordinator of partition 0 owned=%v loaded=%v; group coordinator %v", n.cfg.NodeID,
			owned, loaded, n.groups.Status(0))
		for _, tp := range []struct {
			topic string
			idx   int32
		}{{"t", 0}, {"t", 1}, {"t", 2}, {txn.StateTopic, 0}, {group.OffsetsTopic, 0}} {
			pm, _ := im.PartitionOf(tp.topic, tp.idx)
			p := n.parts.Partition(tp.topic, tp.idx)
			if p == nil {
				t.Logf("node %d %s-%d: image %+v, no local replica", n.cfg.NodeID, tp.topic, tp.idx, pm)
				continue
			}
			t.Logf("node %d %s-%d: image leader %d epoch %d isr %v; log start %d end %d, high watermark %d, last stable %d",
				n.cfg.NodeID, tp.topic, tp.idx, pm.Leader, pm.LeaderEpoch, pm.ISR, p.LogStartOffset(), p.LogEndOffset(),
				p.HighWatermark(), p.LastStableOffset())
		}
	}
}
