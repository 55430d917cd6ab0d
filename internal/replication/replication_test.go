package replication

import (
	"context"
	"hash/crc32"
	"log/slog"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/handler"
	"github.com/samsa-io/samsa/internal/interbroker"
	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/network"
	"github.com/samsa-io/samsa/internal/partition"
	"github.com/samsa-io/samsa/protocol/records"
)

// node is one broker's data path: partitions, and for the leader a
// handler served on a loopback listener.
type node struct {
	id    int32
	parts *partition.Manager
	im    atomic.Pointer[metadata.Image]
	ln    *network.Listener
}

func newNode(t *testing.T, id int32, serve bool) *node {
	t.Helper()
	cfg := config.Default()
	cfg.NodeID = id
	cfg.LogDirs = []string{t.TempDir()}
	logger := slog.New(slog.DiscardHandler)
	n := &node{id: id, parts: partition.NewManager(cfg, logger)}
	n.im.Store(metadata.Empty())
	t.Cleanup(func() { n.parts.Close() })
	if !serve {
		return n
	}
	h := handler.New(handler.Deps{NodeID: id, Config: cfg, Image: n.im.Load, Partitions: n.parts, Logger: logger})
	ln, err := network.Listen(network.Config{Name: "PLAINTEXT", Addr: "127.0.0.1:0", MaxRequestBytes: 100 << 20,
		Versions: h.Versions(), Handler: h, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	ln.Serve()
	t.Cleanup(func() { ln.Close() })
	n.ln = ln
	return n
}

func (n *node) apply(t *testing.T, im *metadata.Image) {
	t.Helper()
	if err := n.parts.ApplyImage(im); err != nil {
		t.Fatal(err)
	}
	n.im.Store(im)
}

// image has brokers 1 and 2 (1 at leaderAddr) and topic "t" partition 0
// on {1, 2}.
func image(leaderAddr net.Addr, leader, epoch int32, isr ...int32) *metadata.Image {
	im := metadata.Empty()
	host, port, _ := net.SplitHostPort(leaderAddr.String())
	p, _ := strconv.Atoi(port)
	im.Brokers[1] = metadata.Broker{ID: 1, Host: host, Port: int32(p)}
	im.Brokers[2] = metadata.Broker{ID: 2, Host: "127.0.0.1", Port: 1} // never dialled in these tests
	tp := &metadata.Topic{Name: "t", ID: [16]byte{9}, Configs: map[string]string{}}
	tp.Partitions = []metadata.Partition{{Index: 0, Leader: leader, LeaderEpoch: epoch, Replicas: []int32{1, 2}, ISR: isr}}
	im.Topics["t"] = tp
	im.TopicsByID[tp.ID] = tp
	return im
}

// batch builds a v2 batch of n records at base offset base, epoch epoch.
func batch(n int, base int64, epoch int32, value string) []byte {
	rb := kmsg.RecordBatch{Magic: 2, FirstOffset: base, PartitionLeaderEpoch: epoch, ProducerID: -1,
		ProducerEpoch: -1, FirstSequence: -1, LastOffsetDelta: int32(n - 1), NumRecords: int32(n),
		FirstTimestamp: 1000, MaxTimestamp: 1000}
	var recs []byte
	for i := 0; i < n; i++ {
		r := kmsg.Record{OffsetDelta: int32(i), Value: []byte(value)}
		r.Length = int32(len(r.AppendTo(nil)) - 1)
		recs = r.AppendTo(recs)
	}
	rb.Records = recs
	raw := rb.AppendTo(nil)
	rb.Length = int32(len(raw) - 12)
	raw = rb.AppendTo(nil)
	rb.CRC = int32(crc32.Checksum(raw[21:], crc32.MakeTable(crc32.Castagnoli)))
	return rb.AppendTo(nil)
}

func produce(t *testing.T, c *interbroker.Client, acks int16, b []byte) kmsg.ProduceResponseTopicPartition {
	t.Helper()
	req := kmsg.NewPtrProduceRequest()
	req.SetVersion(9)
	req.Acks, req.TimeoutMillis = acks, 10000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = "t"
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = b
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	resp, err := c.Request(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return resp.(*kmsg.ProduceResponse).Topics[0].Partitions[0]
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func startReplication(t *testing.T, n *node) *Manager {
	t.Helper()
	m := New(Config{NodeID: n.id, Partitions: n.parts, Logger: slog.New(slog.DiscardHandler),
		MaxWait: 100 * time.Millisecond, MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	t.Cleanup(m.Close)
	return m
}

func TestAcksAllCompletesThroughFollowerFetch(t *testing.T) {
	leader, follower := newNode(t, 1, true), newNode(t, 2, false)
	im := image(leader.ln.Addr(), 1, 0, 1, 2)
	leader.apply(t, im)
	follower.apply(t, im)
	repl := startReplication(t, follower)
	repl.ApplyMetadata(context.Background(), im)
	c := interbroker.NewClient(leader.ln.Addr().String(), "test")
	defer c.Close()
	for i := 0; i < 5; i++ {
		sp := produce(t, c, -1, batch(2, 0, 0, "v"))
		if sp.ErrorCode != 0 || sp.BaseOffset != int64(2*i) {
			t.Fatalf("acks=all produce %d: error %d base %d", i, sp.ErrorCode, sp.BaseOffset)
		}
	}
	fp := follower.parts.Partition("t", 0)
	if leo := fp.LogEndOffset(); leo != 10 {
		t.Fatalf("follower LEO %d after 5 acknowledged acks=all batches, want 10", leo)
	}
	waitFor(t, "follower high watermark 10", func() bool { return fp.HighWatermark() == 10 })
	if got := repl.Sources(); len(got) != 1 || got[0] != 1 {
		t.Fatalf("fetching from %v, want [1]", got)
	}
	repl.ApplyMetadata(context.Background(), metadata.Empty())
	if got := repl.Sources(); len(got) != 0 {
		t.Fatalf("fetchers left after the partition went away: %v", got)
	}
}

// A former leader with records no one else got truncates them when it
// meets the new leader, by leader epoch, and then copies the new epoch.
func TestDivergentFollowerTruncatesByLeaderEpoch(t *testing.T) {
	leader, old := newNode(t, 1, true), newNode(t, 2, false)
	addr := leader.ln.Addr()
	// Epoch 0: node 2 leads and writes 2 records that node 1 copies, then
	// 3 that nobody copies.
	old.apply(t, image(addr, 2, 0, 1, 2))
	op := old.parts.Partition("t", 0)
	for _, n := range []int{2, 3} {
		if _, err := op.Append(batch(n, 0, 0, "old")); err != nil {
			t.Fatal(err)
		}
	}
	leader.apply(t, image(addr, 2, 0, 1, 2))
	lp := leader.parts.Partition("t", 0)
	if _, err := lp.AppendAsFollower(0, batch(2, 0, 0, "old")); err != nil {
		t.Fatal(err)
	}
	// Epoch 1: node 1 leads and writes 2 records at offsets 2 and 3.
	im := image(addr, 1, 1, 1)
	leader.apply(t, im)
	if _, err := lp.Append(batch(2, 0, 0, "new")); err != nil {
		t.Fatal(err)
	}
	old.apply(t, im)
	repl := startReplication(t, old)
	repl.ApplyMetadata(context.Background(), im)
	waitFor(t, "the old leader to match the new one", func() bool {
		return op.LogEndOffset() == 4 && op.EpochOf(2) == 1 && op.EpochOf(3) == 1
	})
	data, err := op.ReadForReplica(2, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	h, err := records.ParseHeader(data)
	if err != nil || h.BaseOffset != 2 || h.PartitionLeaderEpoch != 1 {
		t.Fatalf("offset 2 on the old leader: %+v %v, want the new leader's epoch-1 batch", h, err)
	}
	waitFor(t, "the leader's high watermark on the old leader", func() bool { return op.HighWatermark() == 4 })
}

func TestFollowerFollowsLogStartOffset(t *testing.T) {
	leader, follower := newNode(t, 1, true), newNode(t, 2, false)
	im := image(leader.ln.Addr(), 1, 0, 1, 2)
	leader.apply(t, im)
	follower.apply(t, im)
	lp := leader.parts.Partition("t", 0)
	for range 3 {
		if _, err := lp.Append(batch(2, 0, 0, "v")); err != nil {
			t.Fatal(err)
		}
	}
	repl := startReplication(t, follower)
	repl.ApplyMetadata(context.Background(), im)
	fp := follower.parts.Partition("t", 0)
	waitFor(t, "the follower to catch up", func() bool { return fp.HighWatermark() == 6 })
	if _, err := lp.DeleteRecordsBefore(4); err != nil {
		t.Fatal(err)
	}
	if _, err := lp.Append(batch(1, 0, 0, "w")); err != nil { // wakes the parked fetch
		t.Fatal(err)
	}
	waitFor(t, "the follower's log start to reach 4", func() bool { return fp.LogStartOffset() == 4 })
}
