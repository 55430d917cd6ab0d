package handler

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/network"
	"github.com/samsa-io/samsa/internal/partition"
	"github.com/samsa-io/samsa/protocol"
	"github.com/samsa-io/samsa/protocol/records"
)

// The benchmarks below measure the produce and fetch data paths of one
// node: the real Handler over a real partition.Manager on a temporary
// directory (issue 14; see docs/performance.md for the figures).

// speedNode is a Handler over real partitions of topic "t" (3 partitions).
type speedNode struct {
	h *Handler
	m *partition.Manager
}

func newSpeedNode(b *testing.B) *speedNode {
	b.Helper()
	cfg := config.Default()
	cfg.NodeID = 1
	cfg.LogDirs = []string{b.TempDir()}
	logger := slog.New(slog.DiscardHandler)
	n := &speedNode{m: partition.NewManager(cfg, logger)}
	b.Cleanup(func() {
		if err := n.m.Close(); err != nil {
			b.Errorf("close manager: %v", err)
		}
	})
	im := dpImage(dpTopic("t", 1, 3, nil))
	if err := n.m.ApplyImage(im); err != nil {
		b.Fatalf("apply image: %v", err)
	}
	var img atomic.Pointer[metadata.Image]
	img.Store(im)
	n.h = New(Deps{NodeID: 1, Config: cfg, Image: img.Load, Controller: &adminController{},
		Partitions: n.m, ProducerIDs: &fakeProducerIDs{}, Logger: logger})
	return n
}

// speedBatch is a batch of n records of size bytes each, as a producer
// without idempotence sends it.
func speedBatch(b *testing.B, n, size int) []byte {
	b.Helper()
	recs := make([]records.Record, n)
	for i := range recs {
		recs[i] = records.Record{OffsetDelta: int32(i), Value: make([]byte, size)}
	}
	batch, err := records.AppendBatch(nil, records.Header{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
		BaseTimestamp: 1000, MaxTimestamp: 1000}, recs, records.None)
	if err != nil {
		b.Fatal(err)
	}
	return batch
}

// speedProduce builds a Produce v9 request, acks=all, carrying batch for
// each partition of "t".
func speedProduce(batch []byte) *kmsg.ProduceRequest {
	req := kmsg.NewPtrProduceRequest()
	req.SetVersion(9)
	req.Acks, req.TimeoutMillis = -1, 30000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = "t"
	for p := range int32(3) {
		rp := kmsg.NewProduceRequestTopicPartition()
		rp.Partition, rp.Records = p, batch
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	return req
}

// BenchmarkProducePath: one Produce request (acks=all, three partitions, a
// 16 KiB batch of 16 records of 1 KiB each) through Handler.Handle into
// the logs, and its response encoded, as the network layer does.
func BenchmarkProducePath(b *testing.B) {
	n := newSpeedNode(b)
	batch := speedBatch(b, 16, 1000)
	req := speedProduce(batch)
	var out []byte
	b.SetBytes(int64(3 * len(batch)))
	b.ReportAllocs()
	cpu0 := processCPU(b)
	n0 := 0
	for b.Loop() {
		n0++
		// Append stamps offsets into the payload in place; the CRC
		// does not cover them, so the same bytes can be sent again.
		resp := n.h.Handle(context.Background(), &protocol.Request{Header: protocol.Header{Key: int16(kmsg.Produce),
			Version: 9, CorrelationID: 1}, Body: req})
		sp := resp.(*kmsg.ProduceResponse).Topics[0].Partitions[2]
		if sp.ErrorCode != 0 {
			b.Fatalf("produce: error %d", sp.ErrorCode)
		}
		out = protocol.AppendResponse(out[:0], 1, resp)
	}
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(n0), "cpu-ns/op")
}

// BenchmarkFetchPath: Fetch requests (v13, three partitions, up to 1 MiB
// each) served by the Handler behind a network.Listener on loopback and
// read whole by a raw client, from a log of 16 KiB batches in the page
// cache. Bytes per op are the response's.
func BenchmarkFetchPath(b *testing.B) {
	n := newSpeedNode(b)
	batch := speedBatch(b, 16, 1000)
	const batches = 400 // 6.4 MiB per partition
	req := speedProduce(batch)
	for range batches {
		resp := n.h.Handle(context.Background(), &protocol.Request{Header: protocol.Header{Key: int16(kmsg.Produce),
			Version: 9}, Body: req}).(*kmsg.ProduceResponse)
		if code := resp.Topics[0].Partitions[0].ErrorCode; code != 0 {
			b.Fatalf("produce: error %d", code)
		}
	}
	l, err := network.Listen(network.Config{Name: "PLAINTEXT", Addr: "127.0.0.1:0", MaxRequestBytes: 100 << 20,
		Versions: n.h.Versions(), Handler: n.h, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	l.Serve()
	b.Cleanup(func() { l.Close() })
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	r := bufio.NewReaderSize(c, 64<<10)

	// Offsets walk the log so that every fetch returns 1 MiB per partition.
	perFetch := int64(16 * ((1 << 20) / len(batch)))
	frames := make([][]byte, 0, batches)
	for off := int64(0); off+perFetch <= batches*16; off += perFetch {
		f := kmsg.NewPtrFetchRequest()
		f.SetVersion(13)
		f.ReplicaID, f.MaxBytes, f.SessionEpoch = -1, 50<<20, -1
		rt := kmsg.NewFetchRequestTopic()
		rt.TopicID = [16]byte{0xD0, 1}
		for p := range int32(3) {
			rp := kmsg.NewFetchRequestTopicPartition()
			rp.Partition, rp.FetchOffset, rp.PartitionMaxBytes, rp.CurrentLeaderEpoch = p, off, 1<<20, -1
			rt.Partitions = append(rt.Partitions, rp)
		}
		f.Topics = append(f.Topics, rt)
		frames = append(frames, kmsg.NewRequestFormatter().AppendRequest(nil, f, 1))
	}
	var size [4]byte
	readResponse := func() int {
		if _, err := io.ReadFull(r, size[:]); err != nil {
			b.Fatal(err)
		}
		n := int(binary.BigEndian.Uint32(size[:]))
		if _, err := r.Discard(n); err != nil {
			b.Fatal(err)
		}
		return n
	}
	if _, err := c.Write(frames[0]); err != nil {
		b.Fatal(err)
	}
	if got := readResponse(); got < 3<<20-3*len(batch) {
		b.Fatalf("response of %d bytes, want about 3 MiB", got)
	}
	b.SetBytes(3 << 20)
	b.ReportAllocs()
	cpu0 := processCPU(b)
	i := 0
	for b.Loop() {
		if _, err := c.Write(frames[i%len(frames)]); err != nil {
			b.Fatal(err)
		}
		readResponse()
		i++
	}
	// Wall time is mostly the loopback client's reading on a small
	// machine; the process's CPU time (server and client, the client's
	// share unchanged by server work) shows what serving costs.
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(i), "cpu-ns/op")
}

// processCPU is this process's user+system CPU time so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
