package compat

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// saramaWait bounds every wait on a sarama client: a consumer reading
// what was produced, a group reaching its target, a producer's answer.
const saramaWait = 30 * time.Second

// saramaVersions are the Kafka versions sarama is told the broker runs: a
// recent one, and 0.11 so that the oldest request versions sarama can
// still use for record batches (Produce v3, Fetch v5, JoinGroup v2,
// OffsetCommit v3, InitProducerId v0, ...) are exercised too.
var saramaVersions = []struct {
	name    string
	version sarama.KafkaVersion
}{{"3.6", sarama.V3_6_0_0}, {"0.11", sarama.V0_11_0_0}}

// saramaCodecs are sarama's codecs with their batch attribute numbers;
// zstd needs Kafka 2.1 (Produce v7).
var saramaCodecs = []struct {
	name  string
	codec sarama.CompressionCodec
	id    int
	since sarama.KafkaVersion
}{
	{"none", sarama.CompressionNone, 0, sarama.V0_11_0_0},
	{"gzip", sarama.CompressionGZIP, 1, sarama.V0_11_0_0},
	{"snappy", sarama.CompressionSnappy, 2, sarama.V0_11_0_0},
	{"lz4", sarama.CompressionLZ4, 3, sarama.V0_11_0_0},
	{"zstd", sarama.CompressionZSTD, 4, sarama.V2_1_0_0},
}

// txnProps make a single broker a group and transaction coordinator.
func txnProps() map[string]string {
	props := maps.Clone(groupProps)
	props["transaction.state.log.replication.factor"] = "1"
	props["transaction.state.log.min.isr"] = "1"
	props["transaction.state.log.num.partitions"] = "3"
	return props
}

// TestSarama runs IBM/sarama, configured for Kafka 3.6 and for Kafka
// 0.11, against one broker: a SyncProducer with acks=all and every codec,
// acks=0 and 1 to an auto-created topic, the idempotent producer, a
// consumer group that commits and a second group run that resumes, a group
// of two members, the ClusterAdmin calls, and transactions read back with
// read_committed.
func TestSarama(t *testing.T) {
	b := harness.Start(t, txnProps())
	addrs := []string{b.Addr}
	for _, v := range saramaVersions {
		t.Run(v.name, func(t *testing.T) {
			prefix := "sarama-" + strings.ReplaceAll(v.name, ".", "")
			topics := map[string]int32{prefix + "-idempotent": 3, prefix + "-group": 3, prefix + "-two": 3,
				prefix + "-txn-in": 1, prefix + "-txn-out": 1}
			for _, c := range saramaCodecs {
				if v.version.IsAtLeast(c.since) {
					topics[prefix+"-"+c.name] = 1
				}
			}
			saramaCreateTopics(t, addrs, topics)
			for _, c := range saramaCodecs {
				if !v.version.IsAtLeast(c.since) {
					continue
				}
				t.Run("produce "+c.name, func(t *testing.T) {
					topic := prefix + "-" + c.name
					testSaramaCodec(t, addrs, v.version, topic, c.codec)
					checkStoredCodec(t, filepath.Join(b.LogDir, topic+"-0"), c.id)
				})
			}
			t.Run("acks 0 and 1 to an auto-created topic", func(t *testing.T) {
				testSaramaAcks(t, addrs, v.version, prefix+"-auto")
			})
			t.Run("idempotent producer", func(t *testing.T) {
				testSaramaIdempotent(t, addrs, v.version, prefix+"-idempotent")
			})
			// Before any group: sarama's transactional producer is then
			// the first to ask for __consumer_offsets (in Metadata).
			t.Run("transactions", func(t *testing.T) {
				testSaramaTxn(t, addrs, v.version, prefix)
				saramaWantPartitions(t, newSaramaAdmin(t, addrs, saramaConfig(v.version)), "__consumer_offsets",
					3) // offsets.topic.num.partitions of groupProps
			})
			t.Run("consumer group", func(t *testing.T) {
				testSaramaGroup(t, addrs, v.version, prefix+"-group", prefix+"-group")
			})
			t.Run("standalone offset manager", func(t *testing.T) {
				testSaramaOffsetManager(t, addrs, v.version, prefix+"-idempotent", prefix+"-om")
			})
			t.Run("two group members", func(t *testing.T) {
				testSaramaTwoMembers(t, addrs, v.version, prefix+"-two", prefix+"-two")
			})
			t.Run("admin", func(t *testing.T) { testSaramaAdmin(t, b, v.version, prefix+"-admin") })
		})
	}
}

// saramaCreateTopics creates topics (name: partitions) with sarama's
// ClusterAdmin and waits until each partition has a leader. Unlike the
// harness's CreateTopic it asks Metadata directly each time: franz-go's
// kadm may serve a just-created partition's LEADER_NOT_AVAILABLE from its
// cache for 5 s.
func saramaCreateTopics(t *testing.T, addrs []string, topics map[string]int32) {
	t.Helper()
	adm := newSaramaAdmin(t, addrs, saramaConfig(sarama.V3_6_0_0))
	for topic, n := range topics {
		if err := adm.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: n, ReplicationFactor: 1}, false); err != nil {
			t.Fatalf("CreateTopic %s: %v", topic, err)
		}
	}
	for topic, n := range topics {
		saramaWantPartitions(t, adm, topic, int(n))
	}
}

// saramaConfig is a client configuration with short, bounded timeouts,
// acks=all and a SyncProducer's required Return.Successes.
func saramaConfig(version sarama.KafkaVersion) *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.Version = version
	cfg.ClientID = "samsa-compat"
	cfg.Net.DialTimeout = 5 * time.Second
	cfg.Net.ReadTimeout = 15 * time.Second
	cfg.Net.WriteTimeout = 5 * time.Second
	cfg.Metadata.Retry.Backoff = 100 * time.Millisecond
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Return.Successes = true
	cfg.Producer.Retry.Backoff = 100 * time.Millisecond
	cfg.Consumer.Return.Errors = true
	cfg.Consumer.MaxWaitTime = 250 * time.Millisecond
	return cfg
}

func newSaramaProducer(t *testing.T, addrs []string, cfg *sarama.Config) sarama.SyncProducer {
	t.Helper()
	p, err := sarama.NewSyncProducer(addrs, cfg)
	if err != nil {
		t.Fatalf("sarama.NewSyncProducer: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func newSaramaAdmin(t *testing.T, addrs []string, cfg *sarama.Config) sarama.ClusterAdmin {
	t.Helper()
	adm, err := sarama.NewClusterAdmin(addrs, cfg)
	if err != nil {
		t.Fatalf("sarama.NewClusterAdmin: %v", err)
	}
	t.Cleanup(func() { _ = adm.Close() })
	return adm
}

// saramaMessages builds n keyed messages with two headers, values prefixed
// with tag.
func saramaMessages(topic, tag string, n int) []*sarama.ProducerMessage {
	msgs := make([]*sarama.ProducerMessage, n)
	for i := range msgs {
		msgs[i] = &sarama.ProducerMessage{
			Topic: topic,
			Key:   sarama.StringEncoder(fmt.Sprintf("key-%04d", i)),
			Value: sarama.StringEncoder(fmt.Sprintf("%s-%04d-%s", tag, i, strings.Repeat("compressible ", 8))),
			Headers: []sarama.RecordHeader{
				{Key: []byte("h1"), Value: []byte("v1")},
				{Key: []byte("h2"), Value: []byte(tag)},
			},
		}
	}
	return msgs
}

// saramaRead reads n messages from topic-partition from the oldest offset
// and fails the test if they do not arrive within saramaWait.
func saramaRead(t *testing.T, addrs []string, cfg *sarama.Config, topic string, partition int32, n int) []*sarama.ConsumerMessage {
	t.Helper()
	c, err := sarama.NewConsumer(addrs, cfg)
	if err != nil {
		t.Fatalf("sarama.NewConsumer: %v", err)
	}
	defer c.Close()
	pc, err := c.ConsumePartition(topic, partition, sarama.OffsetOldest)
	if err != nil {
		t.Fatalf("ConsumePartition %s-%d: %v", topic, partition, err)
	}
	defer pc.AsyncClose()
	var out []*sarama.ConsumerMessage
	timeout := time.After(saramaWait)
	for len(out) < n {
		select {
		case m := <-pc.Messages():
			out = append(out, m)
		case err := <-pc.Errors():
			t.Fatalf("consume %s-%d: %v", topic, partition, err)
		case <-timeout:
			t.Fatalf("consume %s-%d: %d of %d messages within %v", topic, partition, len(out), n, saramaWait)
		}
	}
	return out
}

// testSaramaCodec produces kcatMessages messages with codec and reads
// them back with keys, values and headers intact.
func testSaramaCodec(t *testing.T, addrs []string, version sarama.KafkaVersion, topic string, codec sarama.CompressionCodec) {
	cfg := saramaConfig(version)
	cfg.Producer.Compression = codec
	p := newSaramaProducer(t, addrs, cfg)
	msgs := saramaMessages(topic, "value", kcatMessages)
	for chunk := range slices.Chunk(msgs, 200) {
		if err := p.SendMessages(chunk); err != nil {
			t.Fatalf("SendMessages (%s): %v", codec, err)
		}
	}
	got := saramaRead(t, addrs, cfg, topic, 0, kcatMessages)
	for i, m := range got {
		want := msgs[i]
		if m.Offset != int64(i) || string(m.Key) != string(want.Key.(sarama.StringEncoder)) ||
			string(m.Value) != string(want.Value.(sarama.StringEncoder)) || len(m.Headers) != 2 ||
			string(m.Headers[1].Value) != "value" {
			t.Fatalf("message %d: offset %d key %q value %q headers %d, want offset %d key %q",
				i, m.Offset, m.Key, m.Value, len(m.Headers), i, want.Key)
		}
	}
}

// testSaramaAcks produces to a topic that does not exist yet (Metadata
// creates it: auto.create.topics.enable defaults to true) with acks=0,
// which gets no response, then with acks=1, and reads both back.
func testSaramaAcks(t *testing.T, addrs []string, version sarama.KafkaVersion, topic string) {
	const n = 200
	var want []string
	for _, acks := range []sarama.RequiredAcks{sarama.NoResponse, sarama.WaitForLocal} {
		cfg := saramaConfig(version)
		cfg.Producer.RequiredAcks = acks
		cfg.Producer.Partitioner = sarama.NewManualPartitioner
		p := newSaramaProducer(t, addrs, cfg)
		msgs := saramaMessages(topic, fmt.Sprintf("acks%d", acks), n)
		for chunk := range slices.Chunk(msgs, 50) {
			if err := p.SendMessages(chunk); err != nil {
				t.Fatalf("SendMessages acks=%d: %v", acks, err)
			}
		}
		for _, m := range msgs {
			want = append(want, string(m.Value.(sarama.StringEncoder)))
		}
	}
	var got []string
	for _, m := range saramaRead(t, addrs, saramaConfig(version), topic, 0, 2*n) {
		got = append(got, string(m.Value))
	}
	// Two producers on two connections: the broker may interleave the
	// acks=0 producer's last batches with the acks=1 producer's first, so
	// only each producer's own order is Kafka's promise, not theirs.
	for _, acks := range []sarama.RequiredAcks{sarama.NoResponse, sarama.WaitForLocal} {
		tag := fmt.Sprintf("acks%d-", acks)
		var own []string
		for _, v := range got {
			if strings.HasPrefix(v, tag) {
				own = append(own, v)
			}
		}
		if !slices.IsSorted(own) {
			t.Errorf("the acks=%d producer's records came back out of order", acks)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("read %d records differing from the %d produced with acks=0 then acks=1", len(got), len(want))
	}
}

// testSaramaIdempotent produces with Producer.Idempotent (InitProducerId,
// sequence numbers) across three partitions and reads every record back
// exactly once.
func testSaramaIdempotent(t *testing.T, addrs []string, version sarama.KafkaVersion, topic string) {
	cfg := saramaConfig(version)
	cfg.Producer.Idempotent = true
	cfg.Net.MaxOpenRequests = 1
	cfg.Producer.Retry.Max = 5
	p := newSaramaProducer(t, addrs, cfg)
	const n = 600
	msgs := saramaMessages(topic, "idem", n)
	for chunk := range slices.Chunk(msgs, 100) {
		if err := p.SendMessages(chunk); err != nil {
			t.Fatalf("SendMessages: %v", err)
		}
	}
	perPartition := map[int32]int{}
	for _, m := range msgs {
		perPartition[m.Partition]++
	}
	seen := map[string]int{}
	for part, count := range perPartition {
		for _, m := range saramaRead(t, addrs, cfg, topic, part, count) {
			seen[string(m.Value)]++
		}
	}
	for _, m := range msgs {
		if v := string(m.Value.(sarama.StringEncoder)); seen[v] != 1 {
			t.Errorf("%s read %d times", v[:9], seen[v])
		}
	}
}

// saramaGroupHandler counts the records its claims deliver, marks each
// and, once it has seen want distinct values, commits synchronously and
// closes reached.
type saramaGroupHandler struct {
	want    int
	mu      sync.Mutex
	seen    map[string]int
	reached chan struct{}
	once    sync.Once
	errs    []error
}

func newSaramaGroupHandler(want int) *saramaGroupHandler {
	return &saramaGroupHandler{want: want, seen: map[string]int{}, reached: make(chan struct{})}
}

func (h *saramaGroupHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *saramaGroupHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h *saramaGroupHandler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		sess.MarkMessage(m, "")
		h.mu.Lock()
		h.seen[string(m.Value)]++
		done := len(h.seen) >= h.want
		h.mu.Unlock()
		if done {
			// Commit before signalling, so the test sees the offsets.
			sess.Commit()
			h.once.Do(func() { close(h.reached) })
		}
	}
	return nil
}

// counts returns a copy of how often each value was delivered.
func (h *saramaGroupHandler) counts() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.seen)
}

// saramaMember is one running member of a consumer group: a goroutine
// calling Consume again after every rebalance until close.
type saramaMember struct {
	cg      sarama.ConsumerGroup
	cancel  context.CancelFunc
	stopped chan error
}

func startSaramaMember(t *testing.T, addrs []string, cfg *sarama.Config, group, topic string, h sarama.ConsumerGroupHandler) *saramaMember {
	t.Helper()
	cg, err := sarama.NewConsumerGroup(addrs, group, cfg)
	if err != nil {
		t.Fatalf("sarama.NewConsumerGroup: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &saramaMember{cg: cg, cancel: cancel, stopped: make(chan error, 1)}
	go func() { // owned by m: ends when close cancels ctx
		for ctx.Err() == nil {
			if err := cg.Consume(ctx, []string{topic}, h); err != nil {
				if !errors.Is(err, sarama.ErrClosedConsumerGroup) {
					m.stopped <- err
				}
				break
			}
		}
		close(m.stopped)
	}()
	return m
}

// close leaves the group, closes the client and waits for the goroutine.
func (m *saramaMember) close(t *testing.T) {
	t.Helper()
	m.cancel()
	if err := m.cg.Close(); err != nil {
		t.Errorf("close consumer group: %v", err)
	}
	for range m.stopped {
	}
}

// runSaramaGroup consumes topic in group until handler h reached its
// target, calls during (while the member is still in the group), then
// leaves the group and closes the client.
func runSaramaGroup(t *testing.T, addrs []string, cfg *sarama.Config, group, topic string, h *saramaGroupHandler, during func()) {
	t.Helper()
	m := startSaramaMember(t, addrs, cfg, group, topic, h)
	defer m.close(t)
	select {
	case <-h.reached:
		during()
	case err := <-m.stopped:
		t.Fatalf("consumer group %s stopped before reaching %d records: %v", group, h.want, err)
	case <-time.After(saramaWait):
		t.Fatalf("consumer group %s: %d of %d records within %v", group, len(h.counts()), h.want, saramaWait)
	}
}

// saramaGroupConfig is a consumer group configuration: start from the
// oldest offset, commit only when told, short session and retry times.
func saramaGroupConfig(version sarama.KafkaVersion) *sarama.Config {
	cfg := saramaConfig(version)
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.AutoCommit.Enable = false
	cfg.Consumer.Group.Session.Timeout = 6 * time.Second
	cfg.Consumer.Group.Heartbeat.Interval = 500 * time.Millisecond
	// The group's first FindCoordinator may answer COORDINATOR_NOT_AVAILABLE
	// while __consumer_offsets is created (as Kafka does); sarama then
	// retries the whole join after this backoff, 2 s by default.
	cfg.Consumer.Group.Rebalance.Retry.Backoff = 200 * time.Millisecond
	return cfg
}

// testSaramaOffsetManager commits offsets without joining the group, the
// way a sarama application with its own partition consumers does
// (OffsetCommit with generation -1), and reads them back, both through a
// new OffsetManager and ClusterAdmin.
func testSaramaOffsetManager(t *testing.T, addrs []string, version sarama.KafkaVersion, topic, group string) {
	cfg := saramaConfig(version)
	cfg.Consumer.Offsets.AutoCommit.Enable = false
	client, err := sarama.NewClient(addrs, cfg)
	if err != nil {
		t.Fatalf("sarama.NewClient: %v", err)
	}
	defer client.Close()
	manage := func() (sarama.OffsetManager, sarama.PartitionOffsetManager) {
		t.Helper()
		om, err := sarama.NewOffsetManagerFromClient(group, client)
		if err != nil {
			t.Fatalf("NewOffsetManagerFromClient: %v", err)
		}
		pom, err := om.ManagePartition(topic, 1)
		if err != nil {
			t.Fatalf("ManagePartition: %v", err)
		}
		return om, pom
	}
	om, pom := manage()
	if next, _ := pom.NextOffset(); next != sarama.OffsetNewest {
		t.Errorf("NextOffset before any commit = %d, want OffsetNewest (%d)", next, sarama.OffsetNewest)
	}
	pom.MarkOffset(42, "meta")
	om.Commit()
	// PartitionOffsetManager.Close waits for the OffsetManager to release
	// it, which with auto-commit off happens only when that closes.
	pom.AsyncClose()
	if err := om.Close(); err != nil {
		t.Errorf("close offset manager: %v", err)
	}

	om, pom = manage()
	defer om.Close()
	defer pom.AsyncClose()
	if next, meta := pom.NextOffset(); next != 42 || meta != "meta" {
		t.Errorf("NextOffset after commit = %d %q, want 42 \"meta\"", next, meta)
	}
	offs, err := newSaramaAdmin(t, addrs, cfg).ListConsumerGroupOffsets(group, map[string][]int32{topic: {1}})
	if err != nil {
		t.Fatalf("ListConsumerGroupOffsets: %v", err)
	}
	if blk := offs.GetBlock(topic, 1); blk == nil || blk.Offset != 42 || blk.Metadata != "meta" {
		t.Errorf("committed offset = %+v, want 42 \"meta\"", blk)
	}
}

// saramaClaims is a group handler that also records the partitions of
// its latest session.
type saramaClaims struct {
	*saramaGroupHandler
	topic  string
	mu     sync.Mutex
	claims []int32
}

func (h *saramaClaims) Setup(sess sarama.ConsumerGroupSession) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.claims = slices.Sorted(slices.Values(sess.Claims()[h.topic]))
	return nil
}

func (h *saramaClaims) partitions() []int32 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.claims)
}

// testSaramaTwoMembers starts one member, then a second: after the
// rebalance the two hold disjoint partitions covering the topic, and
// together they consume every record produced afterwards exactly once.
func testSaramaTwoMembers(t *testing.T, addrs []string, version sarama.KafkaVersion, topic, group string) {
	const n = 300
	cfg := saramaGroupConfig(version)
	adm := newSaramaAdmin(t, addrs, cfg)
	shared := newSaramaGroupHandler(n)
	a := &saramaClaims{saramaGroupHandler: shared, topic: topic}
	b := &saramaClaims{saramaGroupHandler: shared, topic: topic}
	ma := startSaramaMember(t, addrs, cfg, group, topic, a)
	defer ma.close(t)
	saramaWaitMembers(t, adm, group, 1)
	mb := startSaramaMember(t, addrs, cfg, group, topic, b)
	defer mb.close(t)
	saramaWaitMembers(t, adm, group, 2)
	waitSarama(t, "both members hold partitions", func() error {
		pa, pb := a.partitions(), b.partitions()
		all := slices.Sorted(slices.Values(append(slices.Clone(pa), pb...)))
		if len(pa) == 0 || len(pb) == 0 || !slices.Equal(all, []int32{0, 1, 2}) {
			return fmt.Errorf("members hold %v and %v, want disjoint non-empty sets covering 0-2", pa, pb)
		}
		return nil
	})

	p := newSaramaProducer(t, addrs, cfg)
	if err := p.SendMessages(saramaMessages(topic, "two", n)); err != nil {
		t.Fatalf("SendMessages: %v", err)
	}
	select {
	case <-shared.reached:
	case err := <-ma.stopped:
		t.Fatalf("first member stopped: %v", err)
	case err := <-mb.stopped:
		t.Fatalf("second member stopped: %v", err)
	case <-time.After(saramaWait):
		t.Fatalf("two members consumed %d of %d records within %v", len(shared.counts()), n, saramaWait)
	}
	for v, c := range shared.counts() {
		if c != 1 {
			t.Errorf("%s delivered %d times", v[:8], c)
		}
	}
}

// saramaWaitMembers waits until the group is Stable with n members.
func saramaWaitMembers(t *testing.T, adm sarama.ClusterAdmin, group string, n int) {
	t.Helper()
	waitSarama(t, fmt.Sprintf("group %s Stable with %d members", group, n), func() error {
		descs, err := adm.DescribeConsumerGroups([]string{group})
		if err != nil {
			return err
		}
		if len(descs) != 1 || descs[0].State != "Stable" || len(descs[0].Members) != n {
			return fmt.Errorf("DescribeConsumerGroups = %+v", descs)
		}
		return nil
	})
}

// testSaramaGroup consumes n records with a consumer group that commits
// its offsets, checks the group through ClusterAdmin (list, describe
// while a member is active, committed offsets), then has a second run of
// the group read only the records produced after the commit.
func testSaramaGroup(t *testing.T, addrs []string, version sarama.KafkaVersion, topic, group string) {
	const n = 300
	cfg := saramaGroupConfig(version)
	p := newSaramaProducer(t, addrs, cfg)
	first := saramaMessages(topic, "first", n)
	if err := p.SendMessages(first); err != nil {
		t.Fatalf("SendMessages: %v", err)
	}
	adm := newSaramaAdmin(t, addrs, cfg)

	h := newSaramaGroupHandler(n)
	runSaramaGroup(t, addrs, cfg, group, topic, h, func() {
		descs, err := adm.DescribeConsumerGroups([]string{group})
		if err != nil || len(descs) != 1 {
			t.Fatalf("DescribeConsumerGroups: %v (%d groups)", err, len(descs))
		}
		d := descs[0]
		if d.Err != sarama.ErrNoError || d.State != "Stable" || d.ProtocolType != "consumer" || len(d.Members) != 1 {
			t.Errorf("DescribeConsumerGroups: err %v state %q protocol type %q, %d members; want Stable consumer group with 1 member",
				d.Err, d.State, d.ProtocolType, len(d.Members))
		}
		groups, err := adm.ListConsumerGroups()
		if err != nil || groups[group] != "consumer" {
			t.Errorf("ListConsumerGroups = %v, %v; want %s of type consumer", groups, err, group)
		}
	})
	for v, c := range h.counts() {
		if c != 1 {
			t.Errorf("first run: %s delivered %d times", v[:10], c)
		}
	}

	perPartition := map[int32]int64{}
	for _, m := range first {
		perPartition[m.Partition]++
	}
	offs, err := adm.ListConsumerGroupOffsets(group, map[string][]int32{topic: {0, 1, 2}})
	if err != nil {
		t.Fatalf("ListConsumerGroupOffsets: %v", err)
	}
	for part := range int32(3) {
		blk := offs.GetBlock(topic, part)
		if blk == nil || blk.Err != sarama.ErrNoError || blk.Offset != perPartition[part] {
			t.Errorf("committed offset of %s-%d = %+v, want %d", topic, part, blk, perPartition[part])
		}
	}

	second := saramaMessages(topic, "second", n/2)
	if err := p.SendMessages(second); err != nil {
		t.Fatalf("SendMessages: %v", err)
	}
	h2 := newSaramaGroupHandler(n / 2)
	runSaramaGroup(t, addrs, cfg, group, topic, h2, func() {})
	for v, c := range h2.counts() {
		if !strings.HasPrefix(v, "second-") || c != 1 {
			t.Errorf("second run: %s delivered %d times; want only records produced after the commit, once", v[:11], c)
		}
	}

	// DeleteGroups came with Kafka 1.1; the group is empty now.
	if version.IsAtLeast(sarama.V1_1_0_0) {
		if err := adm.DeleteConsumerGroup(group); err != nil {
			t.Fatalf("DeleteConsumerGroup: %v", err)
		}
		if groups, err := adm.ListConsumerGroups(); err != nil || groups[group] != "" {
			t.Errorf("ListConsumerGroups after delete = %v, %v; want no %s", groups, err, group)
		}
	}
}

// testSaramaAdmin walks ClusterAdmin's topic calls: create with a config,
// list, describe, describe and alter the config, add partitions, delete.
// (The group calls are in testSaramaGroup.)
//
// Before Kafka 1.1 sarama sends DescribeConfigs v0, which Kafka 4.0
// removed (KIP-896) and Samsa does not serve either; ListTopics uses it
// too. For such versions the topic list comes from DescribeTopics and the
// configs are checked with franz-go.
func testSaramaAdmin(t *testing.T, b *harness.Broker, version sarama.KafkaVersion, topic string) {
	addrs := []string{b.Addr}
	adm := newSaramaAdmin(t, addrs, saramaConfig(version))
	describeConfigs := version.IsAtLeast(sarama.V1_1_0_0)
	retention := "3600000"
	err := adm.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 2, ReplicationFactor: 1,
		ConfigEntries: map[string]*string{"retention.ms": &retention}}, false)
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	if err := adm.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 2, ReplicationFactor: 1}, false); !errors.Is(err, sarama.ErrTopicAlreadyExists) {
		t.Errorf("CreateTopic again = %v, want %v", err, sarama.ErrTopicAlreadyExists)
	}
	if describeConfigs {
		waitSarama(t, "ListTopics shows the topic with 2 partitions", func() error {
			topics, err := adm.ListTopics()
			if err != nil {
				return err
			}
			if d, ok := topics[topic]; !ok || d.NumPartitions != 2 || d.ReplicationFactor != 1 ||
				d.ConfigEntries["retention.ms"] == nil || *d.ConfigEntries["retention.ms"] != retention {
				return fmt.Errorf("ListTopics: %s = %+v (listed: %v)", topic, d, ok)
			}
			return nil
		})
	}
	saramaWantPartitions(t, adm, topic, 2)

	wantRetention := func() {
		t.Helper()
		if describeConfigs {
			saramaWantConfig(t, adm, sarama.ConfigResource{Type: sarama.TopicResource, Name: topic}, "retention.ms", retention)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rcs, err := b.Admin().DescribeTopicConfigs(ctx, topic)
		if err != nil {
			t.Fatalf("franz-go DescribeTopicConfigs: %v", err)
		}
		if c, err := rcs.On(topic, nil); err != nil || !slices.ContainsFunc(c.Configs, func(c kadm.Config) bool {
			return c.Key == "retention.ms" && c.Value != nil && *c.Value == retention
		}) {
			t.Errorf("retention.ms of %s is not %s: %+v %v", topic, retention, c.Configs, err)
		}
	}
	wantRetention()
	retention = "7200000"
	if err := adm.AlterConfig(sarama.TopicResource, topic, map[string]*string{"retention.ms": &retention}, false); err != nil {
		t.Fatalf("AlterConfig: %v", err)
	}
	wantRetention()

	// CreatePartitions came with Kafka 1.0; sarama refuses it for 0.11.
	if version.IsAtLeast(sarama.V1_0_0_0) {
		if err := adm.CreatePartitions(topic, 4, nil, false); err != nil {
			t.Fatalf("CreatePartitions: %v", err)
		}
		saramaWantPartitions(t, adm, topic, 4)
		if err := adm.CreatePartitions(topic, 3, nil, false); !errors.Is(err, sarama.ErrInvalidPartitions) {
			t.Errorf("CreatePartitions to fewer = %v, want %v", err, sarama.ErrInvalidPartitions)
		}
	}

	if version.IsAtLeast(sarama.V2_3_0_0) {
		err := adm.IncrementalAlterConfig(sarama.TopicResource, topic, map[string]sarama.IncrementalAlterConfigsEntry{
			"retention.ms":   {Operation: sarama.IncrementalAlterConfigsOperationDelete},
			"cleanup.policy": {Operation: sarama.IncrementalAlterConfigsOperationSet, Value: ptr("compact,delete")},
		}, false)
		if err != nil {
			t.Fatalf("IncrementalAlterConfig: %v", err)
		}
		saramaWantConfig(t, adm, sarama.ConfigResource{Type: sarama.TopicResource, Name: topic}, "cleanup.policy", "compact,delete")
	}
	testSaramaDeleteRecords(t, addrs, version, adm, topic)
	brokers, ctrl, err := adm.DescribeCluster()
	if err != nil || len(brokers) != 1 || brokers[0].ID() != 1 || brokers[0].Addr() != b.Addr || ctrl != 1 {
		t.Errorf("DescribeCluster = %d brokers, controller %d, %v; want broker 1 at %s, controller 1", len(brokers), ctrl, err, b.Addr)
	}

	if err := adm.DeleteTopic(topic); err != nil {
		t.Fatalf("DeleteTopic: %v", err)
	}
	waitSarama(t, "DescribeTopics reports the topic unknown", func() error {
		md, err := adm.DescribeTopics([]string{topic})
		if err != nil {
			return err
		}
		if len(md) != 1 || md[0].Err != sarama.ErrUnknownTopicOrPartition {
			return fmt.Errorf("DescribeTopics(%s) after delete: %+v", topic, md)
		}
		return nil
	})
}

func ptr[T any](v T) *T { return &v }

// testSaramaDeleteRecords writes 10 records to partition 0 of topic and
// deletes those below offset 6: the log start moves there.
func testSaramaDeleteRecords(t *testing.T, addrs []string, version sarama.KafkaVersion, adm sarama.ClusterAdmin, topic string) {
	t.Helper()
	cfg := saramaConfig(version)
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	p := newSaramaProducer(t, addrs, cfg)
	if err := p.SendMessages(saramaMessages(topic, "del", 10)); err != nil {
		t.Fatalf("SendMessages: %v", err)
	}
	if err := adm.DeleteRecords(topic, map[int32]int64{0: 6}); err != nil {
		t.Fatalf("DeleteRecords: %v", err)
	}
	client, err := sarama.NewClient(addrs, cfg)
	if err != nil {
		t.Fatalf("sarama.NewClient: %v", err)
	}
	defer client.Close()
	if start, err := client.GetOffset(topic, 0, sarama.OffsetOldest); err != nil || start != 6 {
		t.Errorf("log start offset after DeleteRecords = %d, %v; want 6", start, err)
	}
	if got := saramaRead(t, addrs, cfg, topic, 0, 4); got[0].Offset != 6 || string(got[0].Value[:8]) != "del-0006" {
		t.Errorf("first record after DeleteRecords: offset %d value %q, want offset 6", got[0].Offset, got[0].Value)
	}
}

func waitSarama(t *testing.T, what string, fn func() error) {
	t.Helper()
	if err := harness.Poll(saramaWait, fn); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// saramaWantPartitions waits until DescribeTopics shows n partitions
// without errors.
func saramaWantPartitions(t *testing.T, adm sarama.ClusterAdmin, topic string, n int) {
	t.Helper()
	waitSarama(t, fmt.Sprintf("DescribeTopics shows %d partitions", n), func() error {
		md, err := adm.DescribeTopics([]string{topic})
		if err != nil {
			return err
		}
		if len(md) != 1 || md[0].Err != sarama.ErrNoError || len(md[0].Partitions) != n {
			return fmt.Errorf("DescribeTopics(%s) = %+v", topic, md)
		}
		for _, p := range md[0].Partitions {
			if p.Err != sarama.ErrNoError || p.Leader < 0 {
				return fmt.Errorf("partition %d: leader %d err %v", p.ID, p.Leader, p.Err)
			}
		}
		return nil
	})
}

func saramaWantConfig(t *testing.T, adm sarama.ClusterAdmin, res sarama.ConfigResource, key, value string) {
	t.Helper()
	entries, err := adm.DescribeConfig(res)
	if err != nil {
		t.Fatalf("DescribeConfig: %v", err)
	}
	for _, e := range entries {
		if e.Name == key {
			if e.Value != value || e.Default {
				t.Errorf("DescribeConfig %s = %q (default %v), want %q", key, e.Value, e.Default, value)
			}
			return
		}
	}
	t.Errorf("DescribeConfig lacks %s among %d entries", key, len(entries))
}

// testSaramaTxn runs three transactions with a transactional
// SyncProducer: a committed one that also commits a consumed input offset
// (AddMessageToTxn), an aborted one with AddOffsetsToTxn, and another
// committed one. A read_committed consumer sees only the committed
// records, a read_uncommitted one all of them, and the group's offset is
// the committed transaction's.
func testSaramaTxn(t *testing.T, addrs []string, version sarama.KafkaVersion, prefix string) {
	in, out, group := prefix+"-txn-in", prefix+"-txn-out", prefix+"-txn-group"
	cfg := saramaConfig(version)
	plain := newSaramaProducer(t, addrs, cfg)
	if err := plain.SendMessages(saramaMessages(in, "input", 10)); err != nil {
		t.Fatalf("SendMessages to %s: %v", in, err)
	}
	inputs := saramaRead(t, addrs, cfg, in, 0, 10)

	tcfg := saramaConfig(version)
	tcfg.Producer.Idempotent = true
	tcfg.Producer.Transaction.ID = prefix + "-txn"
	tcfg.Net.MaxOpenRequests = 1
	tcfg.Producer.Retry.Max = 5
	p := newSaramaProducer(t, addrs, tcfg)
	if !p.IsTransactional() {
		t.Fatal("producer is not transactional")
	}
	txn := func(tag string, n int, extra func() error, end func() error) {
		t.Helper()
		if err := p.BeginTxn(); err != nil {
			t.Fatalf("%s: BeginTxn: %v", tag, err)
		}
		if err := p.SendMessages(saramaMessages(out, tag, n)); err != nil {
			t.Fatalf("%s: SendMessages: %v", tag, err)
		}
		if err := extra(); err != nil {
			t.Fatalf("%s: offsets: %v", tag, err)
		}
		if err := end(); err != nil {
			t.Fatalf("%s: end transaction: %v (status %v)", tag, err, p.TxnStatus())
		}
	}
	txn("commit1", 5, func() error { return p.AddMessageToTxn(inputs[4], group, nil) }, p.CommitTxn)
	txn("abort", 5, func() error {
		return p.AddOffsetsToTxn(map[string][]*sarama.PartitionOffsetMetadata{in: {{Partition: 0, Offset: 8}}}, group)
	}, p.AbortTxn)
	txn("commit2", 5, func() error { return nil }, p.CommitTxn)

	rc := saramaConfig(version)
	rc.Consumer.IsolationLevel = sarama.ReadCommitted
	var got []string
	for _, m := range saramaRead(t, addrs, rc, out, 0, 10) {
		got = append(got, string(m.Value)[:12])
	}
	want := []string{"commit1-0000", "commit1-0001", "commit1-0002", "commit1-0003", "commit1-0004",
		"commit2-0000", "commit2-0001", "commit2-0002", "commit2-0003", "commit2-0004"}
	if !slices.Equal(got, want) {
		t.Errorf("read_committed consumer got %q, want %q", got, want)
	}
	if all := saramaRead(t, addrs, cfg, out, 0, 15); string(all[5].Value[:5]) != "abort" {
		t.Errorf("read_uncommitted record 5 = %q, want an aborted one", all[5].Value)
	}

	adm := newSaramaAdmin(t, addrs, cfg)
	offs, err := adm.ListConsumerGroupOffsets(group, map[string][]int32{in: {0}})
	if err != nil {
		t.Fatalf("ListConsumerGroupOffsets: %v", err)
	}
	if blk := offs.GetBlock(in, 0); blk == nil || blk.Offset != 5 {
		t.Errorf("group %s offset on %s-0 = %+v, want 5 (from the committed transaction, not 8 from the aborted one)", group, in, blk)
	}
}

// clusterRecords is how many records the cluster tests produce, in
// clusterChunk-sized synchronous sends; the leader is killed after a
// quarter of them were acknowledged.
const (
	clusterRecords = 2000
	clusterChunk   = 20
)

// TestSaramaCluster produces with sarama's idempotent producer (acks=all)
// to an RF=3 partition of a three-node cluster and kill -9s the
// partition's leader mid-stream: sarama retries on the new leader, and
// every acknowledged record is read back exactly once.
func TestSaramaCluster(t *testing.T) {
	c := harness.StartCluster(t, 3, nil)
	const topic = "sarama-cluster"
	c.CreateTopic(topic, 1, 3, nil)
	leader := c.Leader(topic, 0)

	cfg := saramaConfig(sarama.V3_6_0_0)
	cfg.Producer.Idempotent = true
	cfg.Net.MaxOpenRequests = 1
	cfg.Net.DialTimeout = 2 * time.Second
	cfg.Net.ReadTimeout = 10 * time.Second
	cfg.Producer.Retry.Max = 50
	cfg.Producer.Retry.Backoff = 200 * time.Millisecond
	cfg.Metadata.Retry.Max = 20
	cfg.Metadata.Retry.Backoff = 250 * time.Millisecond
	addrs := strings.Split(c.Bootstrap(), ",")
	p := newSaramaProducer(t, addrs, cfg)
	done, stop := make(chan struct{}), make(chan struct{})
	// Runs before the producer's Close (cleanups run last-in first-out):
	// sending to a closed sarama producer panics.
	t.Cleanup(func() {
		close(stop)
		<-done
	})

	var mu sync.Mutex
	acked := map[string]bool{}
	var failed []error
	progress := make(chan int, clusterRecords/clusterChunk)
	go func() { // owned by the test: ends when every chunk was sent or stop closes
		defer close(done)
		for i := 0; i < clusterRecords; i += clusterChunk {
			select {
			case <-stop:
				return
			default:
			}
			msgs := saramaMessages(topic, fmt.Sprintf("c%04d", i), clusterChunk)
			failedMsgs := map[*sarama.ProducerMessage]bool{}
			if err := p.SendMessages(msgs); err != nil {
				var perrs sarama.ProducerErrors
				if !errors.As(err, &perrs) {
					perrs = nil
				}
				mu.Lock()
				failed = append(failed, err)
				mu.Unlock()
				for _, pe := range perrs {
					failedMsgs[pe.Msg] = true
				}
				if perrs == nil {
					continue // nothing known to be acknowledged
				}
			}
			mu.Lock()
			for _, m := range msgs {
				if !failedMsgs[m] {
					acked[string(m.Value.(sarama.StringEncoder))] = true
				}
			}
			mu.Unlock()
			progress <- i + clusterChunk
		}
	}()
	killLeaderMidway(t, c, topic, leader, progress, done)
	t.Logf("%d failed sends: %v", len(failed), failed)

	addrs = strings.Split(c.Bootstrap(), ",")
	client, err := sarama.NewClient(addrs, cfg)
	if err != nil {
		t.Fatalf("sarama.NewClient: %v", err)
	}
	defer client.Close()
	hwm, err := client.GetOffset(topic, 0, sarama.OffsetNewest)
	if err != nil {
		t.Fatalf("GetOffset: %v", err)
	}
	seen := map[string]int{}
	for _, m := range saramaRead(t, addrs, cfg, topic, 0, int(hwm)) {
		seen[string(m.Value)]++
	}
	missing, dups := countAcked(acked, seen)
	t.Logf("%d records acknowledged, %d in the log (high watermark %d), %d distinct", len(acked), hwm, hwm, len(seen))
	if missing > 0 || dups > 0 {
		t.Errorf("%d acknowledged records missing, %d duplicated (idempotent producer: want none)", missing, dups)
	}
	if len(acked) < clusterRecords/2 {
		t.Errorf("only %d of %d records acknowledged", len(acked), clusterRecords)
	}
}

// countAcked counts the acknowledged values missing from seen (value ->
// times read) and those read more than once.
func countAcked(acked map[string]bool, seen map[string]int) (missing, dups int) {
	for v := range acked {
		switch {
		case seen[v] == 0:
			missing++
		case seen[v] > 1:
			dups++
		}
	}
	return missing, dups
}

// killLeaderMidway kill -9s partition 0's leader once the producer
// goroutine has done a quarter of clusterRecords, waits (bounded) for it
// to finish the rest and checks that leadership moved off the killed node.
func killLeaderMidway(t *testing.T, c *harness.Cluster, topic string, leader int32, progress <-chan int, done <-chan struct{}) {
	t.Helper()
	waitProgress(t, progress, done, clusterRecords/4)
	start := time.Now()
	c.Node(leader).Kill()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("producer did not finish within 2 minutes of the leader's kill")
	}
	t.Logf("killed leader %d after %d records; the rest took %v",
		leader, clusterRecords/4, time.Since(start).Round(time.Millisecond))
	if now := c.Leader(topic, 0); now == leader {
		t.Fatalf("leader is still node %d after its kill", now)
	}
}

// waitProgress waits until a producer goroutine reports at least n
// records done, failing the test if it stops or stalls first.
func waitProgress(t *testing.T, progress <-chan int, done <-chan struct{}, n int) {
	t.Helper()
	timeout := time.After(saramaWait)
	for {
		select {
		case got := <-progress:
			if got >= n {
				return
			}
		case <-done:
			t.Fatalf("producer stopped before %d records", n)
		case <-timeout:
			t.Fatalf("producer did not reach %d records within %v", n, saramaWait)
		}
	}
}

// TestSaramaClusterTransactions commits a transaction with a transactional
// sarama producer on a three-node cluster, kill -9s the node coordinating
// its transactional id, and has a new producer with the same id commit a
// second transaction through the new coordinator (which loads the id's
// state from its __transaction_state replica and bumps the epoch): a
// read_committed consumer sees both, and the old producer is fenced.
func TestSaramaClusterTransactions(t *testing.T) {
	c := harness.StartCluster(t, 3, map[string]string{"offsets.topic.num.partitions": "3",
		"transaction.state.log.num.partitions": "3"})
	const topic, txnID = "sarama-cluster-txn", "sarama-cluster-txn-id"
	c.CreateTopic(topic, 1, 3, nil)
	addrs := strings.Split(c.Bootstrap(), ",")
	cfg := saramaConfig(sarama.V3_6_0_0)
	cfg.Producer.Idempotent = true
	cfg.Producer.Transaction.ID = txnID
	cfg.Net.MaxOpenRequests = 1
	cfg.Net.DialTimeout = 2 * time.Second
	cfg.Producer.Retry.Max = 50
	cfg.Producer.Retry.Backoff = 200 * time.Millisecond
	cfg.Producer.Transaction.Retry.Max = 100
	cfg.Producer.Transaction.Retry.Backoff = 200 * time.Millisecond
	cfg.Metadata.Retry.Max = 20
	cfg.Metadata.Retry.Backoff = 250 * time.Millisecond

	commit := func(p sarama.SyncProducer, tag string) {
		t.Helper()
		if err := p.BeginTxn(); err != nil {
			t.Fatalf("%s: BeginTxn: %v", tag, err)
		}
		if err := p.SendMessages(saramaMessages(topic, tag, 10)); err != nil {
			t.Fatalf("%s: SendMessages: %v", tag, err)
		}
		if err := p.CommitTxn(); err != nil {
			t.Fatalf("%s: CommitTxn: %v (status %v)", tag, err, p.TxnStatus())
		}
	}
	// The first producer needs no failover retries: it only writes before
	// the kill, and its fencing afterwards (PRODUCER_FENCED from
	// AddPartitionsToTxn, fatal for sarama) is retried Retry.Max times.
	oldCfg := *cfg
	oldCfg.Producer.Retry.Max = 2
	old := newSaramaProducer(t, addrs, &oldCfg)
	commit(old, "before")

	client, err := sarama.NewClient(addrs, cfg)
	if err != nil {
		t.Fatalf("sarama.NewClient: %v", err)
	}
	coord, err := client.TransactionCoordinator(txnID)
	client.Close()
	if err != nil {
		t.Fatalf("TransactionCoordinator: %v", err)
	}
	c.Node(coord.ID()).Kill()

	addrs = strings.Split(c.Bootstrap(), ",")
	fresh := newSaramaProducer(t, addrs, cfg)
	commit(fresh, "after")
	err = old.BeginTxn()
	if err == nil {
		if err = old.SendMessages(saramaMessages(topic, "zombie", 1)); err == nil {
			err = old.CommitTxn()
		}
	}
	var perrs sarama.ProducerErrors
	if errors.As(err, &perrs) && len(perrs) > 0 {
		err = perrs[0].Err
	}
	if !errors.Is(err, sarama.ErrProducerFenced) {
		t.Errorf("first producer after a new one with its transactional id started: %v, want %v", err, sarama.ErrProducerFenced)
	}

	rc := saramaConfig(sarama.V3_6_0_0)
	rc.Consumer.IsolationLevel = sarama.ReadCommitted
	var got []string
	for _, m := range saramaRead(t, addrs, rc, topic, 0, 20) {
		got = append(got, string(m.Value)[:11])
	}
	if got[0] != "before-0000" || got[10] != "after-0000-" {
		t.Errorf("read_committed records %q, want 10 'before' then 10 'after'", got)
	}
	t.Logf("killed transaction coordinator %d; committed again through the new one", coord.ID())
}
