package handler

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/partition"
	"github.com/samsa-io/samsa/protocol/records"
)

// The fixture below is shared by the data-path API tests (00, 01, 02, 03,
// 18, 22): a real partition.Manager on a temporary directory, a hand-built
// metadata image and the admin tests' fake controller.

// dataPath is a Handler for node 1 over real partitions.
type dataPath struct {
	t   *testing.T
	h   *Handler
	ctl *adminController
	m   *partition.Manager
	ids *fakeProducerIDs
	im  atomic.Pointer[metadata.Image]
}

// fakeProducerIDs hands out 1000, 1001, ... or err when set.
type fakeProducerIDs struct {
	mu   sync.Mutex
	next int64
	err  error
}

func (f *fakeProducerIDs) Next() (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return 0, f.err
	}
	f.next++
	return 999 + f.next, nil
}

var errPIDExhausted = errors.New("test: producer ids exhausted")

// dpTopic is a topic whose partitions are all led by node 1 alone (replicas
// and ISR {1}), leader epoch 0.
func dpTopic(name string, id byte, parts int, configs map[string]string) *metadata.Topic {
	t := &metadata.Topic{Name: name, ID: [16]byte{0xD0, id}, Configs: configs}
	for i := 0; i < parts; i++ {
		t.Partitions = append(t.Partitions, metadata.Partition{
			Index: int32(i), Leader: 1, Replicas: []int32{1}, ISR: []int32{1}})
	}
	return t
}

// dpImage holds live brokers 1 and 2 and fenced broker 3, and topics.
func dpImage(topics ...*metadata.Topic) *metadata.Image {
	im := metadata.Empty()
	im.ClusterID = "dp-cluster"
	im.ControllerID = 1
	im.Brokers[1] = metadata.Broker{ID: 1, Host: "h1", Port: 9092}
	im.Brokers[2] = metadata.Broker{ID: 2, Host: "h2", Port: 9093, Rack: "r2"}
	im.Brokers[3] = metadata.Broker{ID: 3, Host: "h3", Port: 9094, Fenced: true}
	for _, t := range topics {
		im.Topics[t.Name] = t
		im.TopicsByID[t.ID] = t
	}
	return im
}

// newDataPath starts a handler for node 1 hosting the given topics.
func newDataPath(t *testing.T, topics ...*metadata.Topic) *dataPath {
	t.Helper()
	cfg := config.Default()
	cfg.NodeID = 1
	cfg.LogDirs = []string{t.TempDir()}
	cfg.NumPartitions = 3
	cfg.DefaultReplicationFactor = 1
	logger := slog.New(slog.DiscardHandler)
	dp := &dataPath{t: t, m: partition.NewManager(cfg, logger), ids: &fakeProducerIDs{},
		ctl: &adminController{errs: map[string]error{}, ids: map[string][16]byte{}}}
	t.Cleanup(func() {
		if err := dp.m.Close(); err != nil {
			t.Errorf("close manager: %v", err)
		}
	})
	dp.h = New(Deps{NodeID: 1, Config: cfg, Image: dp.im.Load, Controller: dp.ctl,
		Partitions: dp.m, ProducerIDs: dp.ids, Logger: logger})
	dp.setImage(dpImage(topics...))
	return dp
}

// setImage publishes im to the handler and applies it to the manager.
func (dp *dataPath) setImage(im *metadata.Image) {
	dp.t.Helper()
	if err := dp.m.ApplyImage(im); err != nil {
		dp.t.Fatalf("apply image: %v", err)
	}
	dp.im.Store(im)
}

// recordsAt builds one batch of plain records, one per timestamp.
func recordsAt(t testing.TB, h records.Header, timestamps ...int64) []byte {
	t.Helper()
	h.BaseTimestamp = timestamps[0]
	recs := make([]records.Record, len(timestamps))
	for i, ts := range timestamps {
		recs[i] = records.Record{OffsetDelta: int32(i), TimestampDelta: ts - timestamps[0],
			Key: []byte{'k', byte('0' + i%10)}, Value: []byte("value")}
	}
	b, err := records.AppendBatch(nil, h, recs, records.None)
	if err != nil {
		t.Fatalf("build batch: %v", err)
	}
	return b
}

// plainBatch is a non-idempotent batch of n records all at timestamp ts.
func plainBatch(t testing.TB, n int, ts int64) []byte {
	t.Helper()
	return recordsAt(t, records.Header{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1}, repeatTS(n, ts)...)
}

// idemBatch is an idempotent producer's batch of n records.
func idemBatch(t testing.TB, pid int64, epoch int16, seq int32, n int) []byte {
	t.Helper()
	return recordsAt(t, records.Header{ProducerID: pid, ProducerEpoch: epoch, BaseSequence: seq}, repeatTS(n, 1000)...)
}

func repeatTS(n int, ts int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = ts
	}
	return out
}

// produceReq is a Produce request for one partition.
func produceReq(version, acks int16, topic string, part int32, batch []byte) *kmsg.ProduceRequest {
	req := kmsg.NewPtrProduceRequest()
	req.SetVersion(version)
	req.Acks, req.TimeoutMillis = acks, 5000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Partition, rp.Records = part, batch
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	return req
}

// produce sends one batch (a copy: the broker stamps payloads in place)
// with acks=-1 at v9 and returns the partition's answer.
func (dp *dataPath) produce(topic string, part int32, batch []byte) kmsg.ProduceResponseTopicPartition {
	dp.t.Helper()
	return dp.produceWith(9, -1, topic, part, batch)
}

func (dp *dataPath) produceWith(version, acks int16, topic string, part int32, batch []byte) kmsg.ProduceResponseTopicPartition {
	dp.t.Helper()
	req := produceReq(version, acks, topic, part, append([]byte(nil), batch...))
	resp, ok := dp.h.produce(context.Background(), req).(*kmsg.ProduceResponse)
	if !ok || len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		dp.t.Fatalf("produce %s-%d: malformed response %+v", topic, part, resp)
	}
	return resp.Topics[0].Partitions[0]
}

// mustProduce produces and fails the test unless it succeeded.
func (dp *dataPath) mustProduce(topic string, part int32, batch []byte) int64 {
	dp.t.Helper()
	sp := dp.produce(topic, part, batch)
	if sp.ErrorCode != 0 {
		dp.t.Fatalf("produce %s-%d: error %d %s", topic, part, sp.ErrorCode, msgOf(sp.ErrorMessage))
	}
	return sp.BaseOffset
}

// fetchPart names one partition of a Fetch request.
type fetchPart struct {
	topic    string
	id       [16]byte
	part     int32
	offset   int64
	maxBytes int32
	epoch    int32 // CurrentLeaderEpoch; -1 to skip the check
}

func fetchReq(version int16, maxWait, minBytes, maxBytes int32, parts ...fetchPart) *kmsg.FetchRequest {
	req := kmsg.NewPtrFetchRequest()
	req.SetVersion(version)
	req.ReplicaID = -1
	req.MaxWaitMillis, req.MinBytes, req.MaxBytes = maxWait, minBytes, maxBytes
	req.SessionEpoch = -1
	for _, fp := range parts {
		n := len(req.Topics)
		if n == 0 || req.Topics[n-1].Topic != fp.topic || req.Topics[n-1].TopicID != fp.id {
			rt := kmsg.NewFetchRequestTopic()
			rt.Topic, rt.TopicID = fp.topic, fp.id
			req.Topics = append(req.Topics, rt)
			n++
		}
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition, rp.FetchOffset, rp.PartitionMaxBytes = fp.part, fp.offset, fp.maxBytes
		rp.CurrentLeaderEpoch, rp.LogStartOffset = fp.epoch, -1
		req.Topics[n-1].Partitions = append(req.Topics[n-1].Partitions, rp)
	}
	return req
}

// fetch serves req and returns the response.
func (dp *dataPath) fetch(ctx context.Context, req *kmsg.FetchRequest) *kmsg.FetchResponse {
	dp.t.Helper()
	resp, ok := dp.h.fetch(ctx, req).(*kmsg.FetchResponse)
	if !ok {
		dp.t.Fatalf("fetch: response is not a FetchResponse")
	}
	return resp
}

// onlyPartition returns the single partition of a response with one topic.
func onlyPartition(t *testing.T, resp *kmsg.FetchResponse) kmsg.FetchResponseTopicPartition {
	t.Helper()
	if resp.ErrorCode != 0 || len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		t.Fatalf("fetch response: error %d, topics %+v", resp.ErrorCode, resp.Topics)
	}
	return resp.Topics[0].Partitions[0]
}

// batchHeaders parses every batch of data, checking each CRC.
func batchHeaders(t *testing.T, data []byte) []records.Header {
	t.Helper()
	var out []records.Header
	for rest := data; len(rest) > 0; {
		b, next, err := records.Next(rest)
		if err != nil {
			t.Fatalf("split batches: %v", err)
		}
		h, err := records.Check(b)
		if err != nil {
			t.Fatalf("stored batch fails its check: %v", err)
		}
		out = append(out, h)
		rest = next
	}
	return out
}
