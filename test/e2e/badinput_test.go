package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/samsa-io/samsa/test/internal/harness"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// badInputMaxRequest is the broker's socket.request.max.bytes in this test.
const badInputMaxRequest = 1 << 20

// TestBadInput throws malformed and hostile requests at the broker over raw
// TCP while a well-behaved franz-go producer keeps producing. The producer
// must see no error and all its records must be readable afterwards; the
// broker must close or answer each bad request and stay up.
func TestBadInput(t *testing.T) {
	b := harness.Start(t, map[string]string{
		"auto.create.topics.enable": "false",
		"socket.request.max.bytes":  fmt.Sprint(badInputMaxRequest),
	})
	b.CreateTopic("healthy", 1, nil)
	b.CreateTopic("crc", 1, nil)
	bg := startSteadyProducer(t, b, "healthy")
	harness.Eventually(t, 30*time.Second, bg.ackedAtLeast(100))

	t.Run("oversized frames", func(t *testing.T) { testOversizedFrames(t, b) })
	t.Run("garbage", func(t *testing.T) { testGarbage(t, b) })
	t.Run("unknown key and versions", func(t *testing.T) { testBadVersions(t, b) })
	t.Run("corrupt batch crc", func(t *testing.T) { testCorruptCRC(t, b) })
	t.Run("invalid create topics", func(t *testing.T) { testInvalidCreateTopics(t, b) })
	t.Run("produce to unknown topic", func(t *testing.T) { testUnknownTopic(t, b) })

	// The producer must keep going after the abuse, not just survive it.
	harness.Eventually(t, 30*time.Second, bg.ackedAtLeast(bg.acked.Load()+100))
	bg.stopAndCheck(t, b)
}

// steadyProducer produces sequenced records one at a time until stopped.
type steadyProducer struct {
	topic string
	stop  context.CancelFunc
	done  chan struct{}
	acked atomic.Int64
	errs  []error // written by the producer goroutine, read after done
}

func (sp *steadyProducer) ackedAtLeast(n int64) func() error {
	return func() error {
		if got := sp.acked.Load(); got < n {
			return fmt.Errorf("well-behaved producer: %d records acknowledged, waiting for %d", got, n)
		}
		return nil
	}
}

func startSteadyProducer(t *testing.T, b *harness.Broker, topic string) *steadyProducer {
	cl := b.Client(kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(0))
	ctx, stop := context.WithTimeout(context.Background(), 3*time.Minute)
	sp := &steadyProducer{topic: topic, stop: stop, done: make(chan struct{})}
	go func() { // owned by sp: ends on stop or after the timeout
		defer close(sp.done)
		for ctx.Err() == nil {
			rec := &kgo.Record{Value: seqValue(0, sp.acked.Load())}
			if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
				if ctx.Err() == nil {
					sp.errs = append(sp.errs, err)
				}
				return
			}
			sp.acked.Add(1)
		}
	}()
	t.Cleanup(func() { stop(); <-sp.done })
	return sp
}

// stopAndCheck stops the producer and reads back everything it wrote.
func (sp *steadyProducer) stopAndCheck(t *testing.T, b *harness.Broker) {
	sp.stop()
	<-sp.done
	if len(sp.errs) > 0 {
		t.Fatalf("well-behaved producer failed while bad input was sent: %v", sp.errs)
	}
	acked := sp.acked.Load()
	ends := endOffsets(t, b.Admin(), sp.topic)
	if ends[0] < acked {
		t.Fatalf("end offset %d < %d acknowledged records", ends[0], acked)
	}
	got := consumeAll(t, b, sp.topic, ends, time.Minute)
	if int64(len(got[0])) < acked {
		t.Fatalf("read back %d records, %d were acknowledged", len(got[0]), acked)
	}
	checkExactSequence(t, map[int32][]*kgo.Record{0: got[0][:acked]}, map[int32]int64{0: acked})
	t.Logf("well-behaved producer: %d records acknowledged and read back", acked)
}

// requireAlive fails the test unless a fresh connection gets ApiVersions.
func requireAlive(t *testing.T, b *harness.Broker) {
	t.Helper()
	if !b.Running() {
		t.Fatal("broker process exited")
	}
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = 3
	req.ClientSoftwareName = "samsa-e2e"
	req.ClientSoftwareVersion = "1"
	resp, err := dialRaw(t, b.Addr).roundTrip(req)
	if err != nil {
		t.Fatalf("broker not answering after bad input: %v", err)
	}
	if code := resp.(*kmsg.ApiVersionsResponse).ErrorCode; code != 0 {
		t.Fatalf("ApiVersions v3 after bad input: error code %d", code)
	}
}

func testOversizedFrames(t *testing.T, b *harness.Broker) {
	for _, size := range []uint32{0x7ffffff0, badInputMaxRequest + 1, 0xffffffff} {
		c := dialRaw(t, b.Addr)
		msg := binary.BigEndian.AppendUint32(nil, size)
		msg = append(msg, header(18, 3, 1, true)...)
		if err := c.writeRaw(msg); err != nil {
			t.Fatalf("write size %#x: %v", size, err)
		}
		c.expectClosed(fmt.Sprintf("frame size %#x (socket.request.max.bytes=%d)", size, badInputMaxRequest))
	}
	requireAlive(t, b)
}

func testGarbage(t *testing.T, b *harness.Broker) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 128)
	for i := range random {
		random[i] = byte(rng.UintN(256))
	}
	copy(random, []byte{0, 3, 0, 12}) // Metadata v12, then noise
	cases := map[string][]byte{
		"all 0xff":                 bytes.Repeat([]byte{0xff}, 64),
		"metadata v12 noise":       random,
		"metadata v9 bad body":     append(header(3, 9, 1, true), bytes.Repeat([]byte{0xff}, 40)...),
		"produce v9 short body":    append(header(0, 9, 1, true), 1, 2, 3),
		"header cut in the middle": {0, 18, 0},
	}
	for name, payload := range cases {
		c := dialRaw(t, b.Addr)
		if err := c.writeFrame(payload); err != nil {
			t.Fatalf("%s: write: %v", name, err)
		}
		if how, err := c.closedOrAnswered(); err != nil {
			t.Errorf("%s: %v", name, err)
		} else {
			t.Logf("%s: %s", name, how)
		}
		requireAlive(t, b)
	}
}

func testBadVersions(t *testing.T, b *harness.Broker) {
	for _, kv := range []struct {
		name         string
		key, version int16
		flexible     bool
	}{{"unknown key 9999", 9999, 0, false}, {"Produce v99", 0, 99, true}, {"Metadata v99", 3, 99, true}} {
		c := dialRaw(t, b.Addr)
		if _, err := c.send(kv.key, kv.version, kv.flexible, nil); err != nil {
			t.Fatalf("%s: write: %v", kv.name, err)
		}
		if how, err := c.closedOrAnswered(); err != nil {
			t.Errorf("%s: %v", kv.name, err)
		} else {
			t.Logf("%s: %s", kv.name, how)
		}
	}
	checkApiVersionsTooNew(t, b)
	requireAlive(t, b)
}

// checkApiVersionsTooNew sends ApiVersions v99 and wants Kafka's answer: a
// v0 response with UNSUPPORTED_VERSION (35) and the supported ranges.
func checkApiVersionsTooNew(t *testing.T, b *harness.Broker) {
	c := dialRaw(t, b.Addr)
	body := kmsg.NewPtrApiVersionsRequest()
	body.Version = 3
	body.ClientSoftwareName = "samsa-e2e"
	body.ClientSoftwareVersion = "1"
	corr, err := c.send(18, 99, true, body.AppendTo(nil))
	if err != nil {
		t.Fatalf("ApiVersions v99: write: %v", err)
	}
	frame, err := c.readFrame()
	if err != nil {
		t.Fatalf("ApiVersions v99: no response: %v", err)
	}
	raw, err := responseBody(frame, corr, false)
	if err != nil {
		t.Fatalf("ApiVersions v99: %v", err)
	}
	resp := kmsg.NewPtrApiVersionsResponse() // version 0
	if err := resp.ReadFrom(raw); err != nil {
		t.Fatalf("ApiVersions v99: response is not a v0 ApiVersions body: %v", err)
	}
	if resp.ErrorCode != 35 {
		t.Errorf("ApiVersions v99: error code %d, want 35 UNSUPPORTED_VERSION", resp.ErrorCode)
	}
	keys := make(map[int16]kmsg.ApiVersionsResponseApiKey)
	for _, k := range resp.ApiKeys {
		keys[k.ApiKey] = k
	}
	if k, ok := keys[18]; !ok || k.MaxVersion < 3 {
		t.Errorf("ApiVersions v99: response lists ApiVersions as %+v (present %v), want max >= 3", k, ok)
	}
	if _, ok := keys[0]; !ok {
		t.Errorf("ApiVersions v99: response does not list Produce; keys %v", resp.ApiKeys)
	}
}

func produceRequest(topic string, batch []byte) *kmsg.ProduceRequest {
	req := kmsg.NewPtrProduceRequest()
	req.Version = 9
	req.Acks = 1
	req.TimeoutMillis = 5000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Partition = 0
	rp.Records = batch
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	return req
}

// produceCode sends one batch to partition 0 of topic and returns the
// partition's error code.
func produceCode(t *testing.T, b *harness.Broker, topic string, batch []byte) int16 {
	t.Helper()
	resp, err := dialRaw(t, b.Addr).roundTrip(produceRequest(topic, batch))
	if err != nil {
		t.Fatalf("produce to %s: %v", topic, err)
	}
	pr := resp.(*kmsg.ProduceResponse)
	if len(pr.Topics) != 1 || len(pr.Topics[0].Partitions) != 1 {
		t.Fatalf("produce to %s: malformed response %+v", topic, pr)
	}
	return pr.Topics[0].Partitions[0].ErrorCode
}

func testCorruptCRC(t *testing.T, b *harness.Broker) {
	ts := time.Now().UnixMilli()
	if code := produceCode(t, b, "crc", buildBatch(ts, []byte("good"))); code != 0 {
		t.Fatalf("valid batch (control): error code %d, want 0", code)
	}
	badCRC := buildBatch(ts, []byte("bad crc"))
	badCRC[batchCRCOff] ^= 0xff
	if code := produceCode(t, b, "crc", badCRC); code != 2 {
		t.Errorf("batch with a wrong CRC field: error code %d, want 2 CORRUPT_MESSAGE", code)
	}
	badBody := buildBatch(ts, []byte("flipped payload"))
	badBody[len(badBody)-3] ^= 0x01
	if code := produceCode(t, b, "crc", badBody); code != 2 {
		t.Errorf("batch with a flipped payload byte: error code %d, want 2 CORRUPT_MESSAGE", code)
	}
	if end := endOffsets(t, b.Admin(), "crc")[0]; end != 1 {
		t.Errorf("end offset of crc topic %d, want 1 (only the valid batch stored)", end)
	}
	requireAlive(t, b)
}

func testInvalidCreateTopics(t *testing.T, b *harness.Broker) {
	cases := []struct {
		name       string
		partitions int32
		want       int16
	}{
		{"bad/name", 1, 17}, {"..", 1, 17}, {".", 1, 17}, {strings.Repeat("a", 250), 1, 17},
		{"has space", 1, 17}, {"zero-partitions", 0, 37}, {"negative-partitions", -5, 37},
		{"valid-control", 1, 0},
	}
	req := kmsg.NewPtrCreateTopicsRequest()
	req.Version = 5
	req.TimeoutMillis = 10_000
	for _, c := range cases {
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic = c.name
		rt.NumPartitions = c.partitions
		rt.ReplicationFactor = 1
		req.Topics = append(req.Topics, rt)
	}
	resp, err := dialRaw(t, b.Addr).roundTrip(req)
	if err != nil {
		t.Fatalf("CreateTopics: %v", err)
	}
	got := make(map[string]kmsg.CreateTopicsResponseTopic)
	for _, rt := range resp.(*kmsg.CreateTopicsResponse).Topics {
		got[rt.Topic] = rt
	}
	for _, c := range cases {
		rt, ok := got[c.name]
		short := c.name[:min(len(c.name), 20)]
		if !ok {
			t.Errorf("CreateTopics %q: no result in response", short)
			continue
		}
		if rt.ErrorCode != c.want {
			t.Errorf("CreateTopics %q (%d partitions): error code %d (%v), want %d",
				short, c.partitions, rt.ErrorCode, rt.ErrorMessage, c.want)
		}
	}
}

func testUnknownTopic(t *testing.T, b *harness.Broker) {
	const topic = "no-such-topic"
	if code := produceCode(t, b, topic, buildBatch(time.Now().UnixMilli(), []byte("x"))); code != 3 {
		t.Errorf("produce to %s with auto.create.topics.enable=false: error code %d, want 3 UNKNOWN_TOPIC_OR_PARTITION", topic, code)
	}
	req := kmsg.NewPtrMetadataRequest()
	req.Version = 9
	req.AllowAutoTopicCreation = true
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	resp, err := dialRaw(t, b.Addr).roundTrip(req)
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	md := resp.(*kmsg.MetadataResponse)
	if len(md.Topics) != 1 || md.Topics[0].ErrorCode != 3 {
		t.Errorf("metadata for %s with auto-create disabled: %+v, want one topic with error 3", topic, md.Topics)
	}
}
