package compat

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// kafkaGoWait bounds every wait on a kafka-go client.
const kafkaGoWait = 30 * time.Second

// kafkaGoCodecs are the Writer's codecs with their batch attribute
// numbers; 0 is no compression.
var kafkaGoCodecs = []struct {
	name  string
	codec kafka.Compression
	id    int
}{{"none", 0, 0}, {"gzip", kafka.Gzip, 1}, {"snappy", kafka.Snappy, 2}, {"lz4", kafka.Lz4, 3}, {"zstd", kafka.Zstd, 4}}

// TestKafkaGo runs segmentio/kafka-go against one broker: the Writer with
// acks=all and every codec, a Reader in a consumer group that commits and
// a second Reader of the group that resumes, and the Client and Conn
// admin calls.
func TestKafkaGo(t *testing.T) {
	b := harness.Start(t, groupProps)
	topics := []kafka.TopicConfig{{Topic: "kafkago-group", NumPartitions: 3}, {Topic: "kafkago-two", NumPartitions: 3}}
	for _, c := range kafkaGoCodecs {
		topics = append(topics, kafka.TopicConfig{Topic: "kafkago-" + c.name, NumPartitions: 1})
	}
	kafkaGoCreateTopics(t, b.Addr, topics)
	for _, c := range kafkaGoCodecs {
		t.Run("write "+c.name, func(t *testing.T) {
			topic := "kafkago-" + c.name
			testKafkaGoCodec(t, b.Addr, topic, c.codec)
			checkStoredCodec(t, filepath.Join(b.LogDir, topic+"-0"), c.id)
		})
	}
	t.Run("acks 0 and 1 to an auto-created topic", func(t *testing.T) { testKafkaGoAcks(t, b.Addr, "kafkago-auto") })
	t.Run("consumer group", func(t *testing.T) { testKafkaGoGroup(t, b.Addr, "kafkago-group", "kafkago-group") })
	t.Run("two group readers", func(t *testing.T) { testKafkaGoTwoReaders(t, b.Addr, "kafkago-two", "kafkago-two") })
	t.Run("client admin", func(t *testing.T) { testKafkaGoClient(t, b.Addr, "kafkago-admin") })
	t.Run("conn admin", func(t *testing.T) { testKafkaGoConn(t, b.Addr, "kafkago-conn") })
}

// kafkaGoCreateTopics creates topics (replication factor 1) with one
// CreateTopics request and waits until Metadata shows each partition led.
func kafkaGoCreateTopics(t *testing.T, addr string, topics []kafka.TopicConfig) {
	t.Helper()
	cl := newKafkaGoClient(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), kafkaGoWait)
	defer cancel()
	for i := range topics {
		topics[i].ReplicationFactor = 1
	}
	resp, err := cl.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: topics})
	if err != nil {
		t.Fatalf("CreateTopics: %v", err)
	}
	for _, tc := range topics {
		if err := resp.Errors[tc.Topic]; err != nil {
			t.Fatalf("CreateTopics %s: %v", tc.Topic, err)
		}
		kafkaGoWaitMetadata(t, cl, tc.Topic, func(tp kafka.Topic) error {
			if tp.Error != nil || len(tp.Partitions) != tc.NumPartitions {
				return fmt.Errorf("topic %s: %d partitions, error %v", tc.Topic, len(tp.Partitions), tp.Error)
			}
			for _, p := range tp.Partitions {
				if p.Error != nil || p.Leader.ID != 1 {
					return fmt.Errorf("%s-%d: leader %d, error %v", tc.Topic, p.ID, p.Leader.ID, p.Error)
				}
			}
			return nil
		})
	}
}

// newKafkaGoTransport is a Transport of the test's own, closed when the
// test ends. kafka-go's DefaultTransport is shared by every Writer and
// Client of the process and answers from a metadata cache refreshed every
// 6 s, so a topic created after it filled stays unknown to them that long
// (as with any broker); a fresh Transport per test fetches metadata anew.
func newKafkaGoTransport(t *testing.T) *kafka.Transport {
	t.Helper()
	tr := &kafka.Transport{DialTimeout: 5 * time.Second, IdleTimeout: 10 * time.Second, MetadataTTL: time.Second}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// newKafkaGoClient is a Client with its own Transport.
func newKafkaGoClient(t *testing.T, addr string) *kafka.Client {
	t.Helper()
	return &kafka.Client{Addr: kafka.TCP(addr), Timeout: 10 * time.Second, Transport: newKafkaGoTransport(t)}
}

// newKafkaGoWriter is a Writer with acks=all, closed when the test ends.
func newKafkaGoWriter(t *testing.T, addrs []string, topic string, codec kafka.Compression) *kafka.Writer {
	t.Helper()
	w := &kafka.Writer{
		Transport:       newKafkaGoTransport(t),
		Addr:            kafka.TCP(addrs...),
		Topic:           topic,
		Balancer:        &kafka.Hash{},
		RequiredAcks:    kafka.RequireAll,
		Compression:     codec,
		BatchSize:       200,
		BatchTimeout:    10 * time.Millisecond,
		ReadTimeout:     15 * time.Second,
		WriteTimeout:    15 * time.Second,
		WriteBackoffMin: 100 * time.Millisecond,
		WriteBackoffMax: time.Second,
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Errorf("close writer: %v", err)
		}
	})
	return w
}

func kafkaGoMessages(tag string, n int) []kafka.Message {
	msgs := make([]kafka.Message, n)
	for i := range msgs {
		msgs[i] = kafka.Message{
			Key:     fmt.Appendf(nil, "key-%04d", i),
			Value:   fmt.Appendf(nil, "%s-%04d-%s", tag, i, strings.Repeat("compressible ", 8)),
			Headers: []kafka.Header{{Key: "h1", Value: []byte("v1")}, {Key: "h2", Value: []byte(tag)}},
		}
	}
	return msgs
}

// kafkaGoRead reads n messages of topic-partition from offset 0 with a
// Reader outside any group.
func kafkaGoRead(t *testing.T, addrs []string, topic string, partition, n int) []kafka.Message {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: addrs, Topic: topic, Partition: partition,
		MaxWait: 250 * time.Millisecond, MaxAttempts: 20})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), kafkaGoWait)
	defer cancel()
	var out []kafka.Message
	for len(out) < n {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("read %s-%d: %d of %d messages: %v", topic, partition, len(out), n, err)
		}
		out = append(out, m)
	}
	return out
}

// testKafkaGoCodec writes kcatMessages messages with codec and reads them
// back with keys, values and headers intact.
func testKafkaGoCodec(t *testing.T, addr, topic string, codec kafka.Compression) {
	w := newKafkaGoWriter(t, []string{addr}, topic, codec)
	msgs := kafkaGoMessages("value", kcatMessages)
	ctx, cancel := context.WithTimeout(context.Background(), kafkaGoWait)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatalf("WriteMessages: %v", err)
	}
	for i, m := range kafkaGoRead(t, []string{addr}, topic, 0, kcatMessages) {
		if m.Offset != int64(i) || string(m.Key) != string(msgs[i].Key) || string(m.Value) != string(msgs[i].Value) ||
			len(m.Headers) != 2 || string(m.Headers[1].Value) != "value" {
			t.Fatalf("message %d: offset %d key %q value %q headers %v, want key %q", i, m.Offset, m.Key, m.Value,
				m.Headers, msgs[i].Key)
		}
	}
}

// testKafkaGoAcks writes to a topic that does not exist yet with
// AllowAutoTopicCreation (Metadata creates it), first with acks=0, which
// gets no response, then acks=1, and reads both back.
func testKafkaGoAcks(t *testing.T, addr, topic string) {
	const n = 200
	ctx, cancel := context.WithTimeout(context.Background(), kafkaGoWait)
	defer cancel()
	var want []string
	for _, acks := range []kafka.RequiredAcks{kafka.RequireNone, kafka.RequireOne} {
		w := newKafkaGoWriter(t, []string{addr}, topic, 0)
		w.RequiredAcks = acks
		w.AllowAutoTopicCreation = true
		msgs := kafkaGoMessages(fmt.Sprintf("acks%d", acks), n)
		// Like Kafka, the Metadata request that creates the topic answers
		// LEADER_NOT_AVAILABLE for it, and the Writer returns that without
		// retrying (kafka-go issue #1208); applications retry, as here.
		if err := harness.Poll(kafkaGoWait, func() error {
			err := w.WriteMessages(ctx, msgs...)
			if err != nil && !errors.Is(err, kafka.LeaderNotAvailable) {
				t.Fatalf("WriteMessages acks=%d: %v", acks, err)
			}
			return err
		}); err != nil {
			t.Fatalf("WriteMessages acks=%d: %v", acks, err)
		}
		for _, m := range msgs {
			want = append(want, string(m.Value))
		}
	}
	var got []string
	for _, m := range kafkaGoRead(t, []string{addr}, topic, 0, 2*n) {
		got = append(got, string(m.Value))
	}
	if !slices.Equal(got, want) {
		t.Errorf("read %d records differing from the %d written with acks=0 then acks=1", len(got), len(want))
	}
}

// kafkaGoGroupRead reads with a group Reader until it has n distinct
// values, committing every message synchronously (CommitInterval 0), then
// closes the Reader, which leaves the group.
func kafkaGoGroupRead(t *testing.T, addr, topic, group string, n int) map[string]int {
	t.Helper()
	r := newKafkaGoGroupReader(addr, topic, group)
	defer func() {
		if err := r.Close(); err != nil {
			t.Errorf("close group reader: %v", err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), kafkaGoWait)
	defer cancel()
	seen := map[string]int{}
	for len(seen) < n {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("group %s: %d of %d records: %v", group, len(seen), n, err)
		}
		seen[string(m.Value)]++
		if err := r.CommitMessages(ctx, m); err != nil {
			t.Fatalf("CommitMessages: %v", err)
		}
	}
	return seen
}

// testKafkaGoGroup reads n records with a group Reader that commits,
// checks the committed offsets with Client.OffsetFetch, then has a second
// Reader of the group read only the records written after the commit;
// finally the group is listed, described and deleted.
func testKafkaGoGroup(t *testing.T, addr, topic, group string) {
	const n = 300
	w := newKafkaGoWriter(t, []string{addr}, topic, 0)
	ctx, cancel := context.WithTimeout(context.Background(), kafkaGoWait)
	defer cancel()
	first := kafkaGoMessages("first", n)
	if err := w.WriteMessages(ctx, first...); err != nil {
		t.Fatalf("WriteMessages: %v", err)
	}
	for v, c := range kafkaGoGroupRead(t, addr, topic, group, n) {
		if c != 1 {
			t.Errorf("first reader: %s delivered %d times", v[:10], c)
		}
	}

	cl := newKafkaGoClient(t, addr)
	lo, err := cl.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{
		topic: {kafka.LastOffsetOf(0), kafka.LastOffsetOf(1), kafka.LastOffsetOf(2)}}})
	if err != nil {
		t.Fatalf("ListOffsets: %v", err)
	}
	ends := map[int]int64{}
	for _, p := range lo.Topics[topic] {
		ends[p.Partition] = p.LastOffset
	}
	of, err := cl.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: {0, 1, 2}}})
	if err != nil || of.Error != nil {
		t.Fatalf("OffsetFetch: %v %v", err, of)
	}
	var total int64
	for _, p := range of.Topics[topic] {
		if p.Error != nil || p.CommittedOffset != ends[p.Partition] {
			t.Errorf("committed offset of %s-%d = %d (%v), want the end offset %d", topic, p.Partition,
				p.CommittedOffset, p.Error, ends[p.Partition])
		}
		total += p.CommittedOffset
	}
	if total != n || len(of.Topics[topic]) != 3 {
		t.Errorf("committed offsets of %d partitions sum to %d, want 3 partitions and %d", len(of.Topics[topic]), total, n)
	}

	if err := w.WriteMessages(ctx, kafkaGoMessages("second", n/2)...); err != nil {
		t.Fatalf("WriteMessages: %v", err)
	}
	for v, c := range kafkaGoGroupRead(t, addr, topic, group, n/2) {
		if !strings.HasPrefix(v, "second-") || c != 1 {
			t.Errorf("second reader: %s delivered %d times; want only records written after the commit, once", v[:11], c)
		}
	}
	testKafkaGoGroupAdmin(t, cl, group)
}

// newKafkaGoGroupReader is a Reader in group with short session and
// rebalance times, committing synchronously (CommitInterval 0).
func newKafkaGoGroupReader(addr, topic, group string) *kafka.Reader {
	return kafka.NewReader(kafka.ReaderConfig{
		Brokers:           []string{addr},
		GroupID:           group,
		Topic:             topic,
		StartOffset:       kafka.FirstOffset,
		MaxWait:           250 * time.Millisecond,
		HeartbeatInterval: 500 * time.Millisecond,
		SessionTimeout:    6 * time.Second,
		RebalanceTimeout:  5 * time.Second,
		JoinGroupBackoff:  200 * time.Millisecond,
		MaxAttempts:       10,
	})
}

// testKafkaGoTwoReaders runs two Readers of one group: once the group is
// Stable with both, records written are read once in all, each Reader
// from partitions of its own.
func testKafkaGoTwoReaders(t *testing.T, addr, topic, group string) {
	const n = 300
	ctx, cancel := context.WithTimeout(context.Background(), kafkaGoWait)
	defer cancel()
	var mu sync.Mutex
	seen := map[string]int{}
	parts := [2]map[int]bool{{}, {}}
	reached, closed := make(chan struct{}), false
	var wg sync.WaitGroup
	for i := range 2 {
		r := newKafkaGoGroupReader(addr, topic, group)
		wg.Add(1)
		go func() { // owned by the test: ends when ctx is cancelled below
			defer wg.Done()
			for {
				m, err := r.FetchMessage(ctx)
				if err != nil {
					return
				}
				mu.Lock()
				seen[string(m.Value)]++
				parts[i][m.Partition] = true
				if len(seen) == n && !closed {
					closed = true
					close(reached)
				}
				mu.Unlock()
				if err := r.CommitMessages(ctx, m); err != nil {
					return
				}
			}
		}()
		defer func() {
			if err := r.Close(); err != nil {
				t.Errorf("close reader %d: %v", i, err)
			}
		}()
	}
	defer wg.Wait()
	defer cancel()

	cl := newKafkaGoClient(t, addr)
	if err := harness.Poll(kafkaGoWait, func() error {
		dg, err := cl.DescribeGroups(ctx, &kafka.DescribeGroupsRequest{GroupIDs: []string{group}})
		if err != nil {
			return err
		}
		if len(dg.Groups) != 1 || dg.Groups[0].GroupState != "Stable" || len(dg.Groups[0].Members) != 2 {
			return fmt.Errorf("DescribeGroups = %+v", dg.Groups)
		}
		var assigned []int
		for _, m := range dg.Groups[0].Members {
			for _, tp := range m.MemberAssignments.Topics {
				assigned = append(assigned, tp.Partitions...)
			}
		}
		if slices.Sort(assigned); !slices.Equal(assigned, []int{0, 1, 2}) {
			return fmt.Errorf("members are assigned partitions %v, want 0-2 once each", assigned)
		}
		return nil
	}); err != nil {
		t.Fatalf("group %s not Stable with 2 members: %v", group, err)
	}

	w := newKafkaGoWriter(t, []string{addr}, topic, 0)
	if err := w.WriteMessages(ctx, kafkaGoMessages("two", n)...); err != nil {
		t.Fatalf("WriteMessages: %v", err)
	}
	select {
	case <-reached:
	case <-ctx.Done():
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("two readers read %d of %d records within %v", len(seen), n, kafkaGoWait)
	}
	mu.Lock()
	defer mu.Unlock()
	for v, c := range seen {
		if c != 1 {
			t.Errorf("%s read %d times", v[:8], c)
		}
	}
	for p := range parts[0] {
		if parts[1][p] {
			t.Errorf("both readers read partition %d", p)
		}
	}
	if len(parts[0]) == 0 || len(parts[1]) == 0 {
		t.Errorf("readers read partitions %v and %v, want both some", parts[0], parts[1])
	}
}

// testKafkaGoGroupAdmin lists, describes and deletes the (now empty)
// group with kafka.Client.
func testKafkaGoGroupAdmin(t *testing.T, cl *kafka.Client, group string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), kafkaGoWait)
	defer cancel()
	listed := func() bool {
		lg, err := cl.ListGroups(ctx, &kafka.ListGroupsRequest{})
		if err != nil || lg.Error != nil {
			t.Fatalf("ListGroups: %v %v", err, lg)
		}
		return slices.ContainsFunc(lg.Groups, func(g kafka.ListGroupsResponseGroup) bool {
			return g.GroupID == group && g.ProtocolType == "consumer" && g.Coordinator == 1
		})
	}
	if !listed() {
		t.Errorf("ListGroups lacks consumer group %s coordinated by broker 1", group)
	}
	dg, err := cl.DescribeGroups(ctx, &kafka.DescribeGroupsRequest{GroupIDs: []string{group}})
	if err != nil || len(dg.Groups) != 1 || dg.Groups[0].Error != nil || dg.Groups[0].GroupState != "Empty" ||
		len(dg.Groups[0].Members) != 0 {
		t.Errorf("DescribeGroups = %+v, %v; want %s Empty without members", dg, err, group)
	}
	del, err := cl.DeleteGroups(ctx, &kafka.DeleteGroupsRequest{GroupIDs: []string{group}})
	if err != nil || del.Errors[group] != nil {
		t.Fatalf("DeleteGroups: %v %v", err, del)
	}
	if listed() {
		t.Errorf("ListGroups still lists %s after DeleteGroups", group)
	}
}

// testKafkaGoClient walks kafka.Client's admin calls: CreateTopics (and
// again, for TOPIC_ALREADY_EXISTS), Metadata, DescribeConfigs,
// AlterConfigs, CreatePartitions, ListOffsets of a written partition,
// DeleteTopics.
func testKafkaGoClient(t *testing.T, addr, topic string) {
	cl := newKafkaGoClient(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), kafkaGoWait)
	defer cancel()
	create := &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: 2, ReplicationFactor: 1,
		ConfigEntries: []kafka.ConfigEntry{{ConfigName: "retention.ms", ConfigValue: "3600000"}}}}}
	resp, err := cl.CreateTopics(ctx, create)
	if err != nil || resp.Errors[topic] != nil {
		t.Fatalf("CreateTopics: %v %v", err, resp)
	}
	if resp, err := cl.CreateTopics(ctx, create); err != nil || !errors.Is(resp.Errors[topic], kafka.TopicAlreadyExists) {
		t.Errorf("CreateTopics again: %v %v, want %v", err, resp, kafka.TopicAlreadyExists)
	}
	kafkaGoWaitMetadata(t, cl, topic, func(tp kafka.Topic) error {
		if tp.Error != nil || len(tp.Partitions) != 2 {
			return fmt.Errorf("topic %s: %d partitions, error %v", topic, len(tp.Partitions), tp.Error)
		}
		for _, p := range tp.Partitions {
			if p.Error != nil || p.Leader.ID != 1 || len(p.Replicas) != 1 || len(p.Isr) != 1 {
				return fmt.Errorf("partition %d: leader %d replicas %v isr %v error %v", p.ID, p.Leader.ID, p.Replicas, p.Isr, p.Error)
			}
		}
		return nil
	})

	testKafkaGoConfigs(t, cl, topic)
	cp, err := cl.CreatePartitions(ctx, &kafka.CreatePartitionsRequest{Topics: []kafka.TopicPartitionsConfig{{Name: topic, Count: 3}}})
	if err != nil || cp.Errors[topic] != nil {
		t.Fatalf("CreatePartitions: %v %v", err, cp)
	}
	kafkaGoWaitMetadata(t, cl, topic, func(tp kafka.Topic) error {
		if tp.Error != nil || len(tp.Partitions) != 3 {
			return fmt.Errorf("topic %s: %d partitions, error %v", topic, len(tp.Partitions), tp.Error)
		}
		return nil
	})

	w := newKafkaGoWriter(t, []string{addr}, topic, kafka.Snappy)
	w.Balancer = kafka.BalancerFunc(func(kafka.Message, ...int) int { return 1 })
	if err := w.WriteMessages(ctx, kafkaGoMessages("offsets", 25)...); err != nil {
		t.Fatalf("WriteMessages: %v", err)
	}
	lo, err := cl.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{
		topic: {kafka.FirstOffsetOf(1), kafka.LastOffsetOf(1), kafka.LastOffsetOf(0)}}})
	if err != nil {
		t.Fatalf("ListOffsets: %v", err)
	}
	got := map[int]kafka.PartitionOffsets{}
	for _, p := range lo.Topics[topic] {
		got[p.Partition] = p
	}
	if p := got[1]; p.Error != nil || p.FirstOffset != 0 || p.LastOffset != 25 {
		t.Errorf("ListOffsets %s-1 = %+v, want first 0 last 25", topic, p)
	}
	if p := got[0]; p.Error != nil || p.LastOffset != 0 {
		t.Errorf("ListOffsets %s-0 = %+v, want last 0", topic, p)
	}

	del, err := cl.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: []string{topic}})
	if err != nil || del.Errors[topic] != nil {
		t.Fatalf("DeleteTopics: %v %v", err, del)
	}
	kafkaGoWaitMetadata(t, cl, topic, func(tp kafka.Topic) error {
		if !errors.Is(tp.Error, kafka.UnknownTopicOrPartition) {
			return fmt.Errorf("topic %s after delete: %d partitions, error %v", topic, len(tp.Partitions), tp.Error)
		}
		return nil
	})
}

// testKafkaGoConfigs describes topic's retention.ms (set at creation),
// replaces it with AlterConfigs and describes it again.
func testKafkaGoConfigs(t *testing.T, cl *kafka.Client, topic string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), kafkaGoWait)
	defer cancel()
	retention := func() string {
		dc, err := cl.DescribeConfigs(ctx, &kafka.DescribeConfigsRequest{Resources: []kafka.DescribeConfigRequestResource{{
			ResourceType: kafka.ResourceTypeTopic, ResourceName: topic, ConfigNames: []string{"retention.ms"}}}})
		if err != nil || len(dc.Resources) != 1 || dc.Resources[0].Error != nil || len(dc.Resources[0].ConfigEntries) != 1 {
			t.Fatalf("DescribeConfigs: %v %+v", err, dc)
		}
		return dc.Resources[0].ConfigEntries[0].ConfigValue
	}
	if got := retention(); got != "3600000" {
		t.Errorf("retention.ms = %q, want 3600000", got)
	}
	ac, err := cl.AlterConfigs(ctx, &kafka.AlterConfigsRequest{Resources: []kafka.AlterConfigRequestResource{{
		ResourceType: kafka.ResourceTypeTopic, ResourceName: topic,
		Configs: []kafka.AlterConfigRequestConfig{{Name: "retention.ms", Value: "7200000"}}}}})
	if err != nil {
		t.Fatalf("AlterConfigs: %v", err)
	}
	for r, err := range ac.Errors {
		if err != nil {
			t.Fatalf("AlterConfigs %v: %v", r, err)
		}
	}
	if got := retention(); got != "7200000" {
		t.Errorf("retention.ms after AlterConfigs = %q, want 7200000", got)
	}
}

// kafkaGoWaitMetadata polls Client.Metadata until check accepts topic.
func kafkaGoWaitMetadata(t *testing.T, cl *kafka.Client, topic string, check func(kafka.Topic) error) {
	t.Helper()
	err := harness.Poll(kafkaGoWait, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		md, err := cl.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
		if err != nil {
			return err
		}
		if len(md.Brokers) != 1 || md.Controller.ID != 1 || len(md.Topics) != 1 || md.Topics[0].Name != topic {
			return fmt.Errorf("metadata: brokers %v controller %d topics %v", md.Brokers, md.Controller.ID, md.Topics)
		}
		return check(md.Topics[0])
	})
	if err != nil {
		t.Fatalf("Metadata: %v", err)
	}
}

// testKafkaGoConn uses the low-level kafka.Conn: Controller, CreateTopics,
// ReadPartitions, a leader connection's WriteMessages and offsets, and
// DeleteTopics.
func testKafkaGoConn(t *testing.T, addr, topic string) {
	conn, err := kafka.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("kafka.Dial: %v", err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(kafkaGoWait)); err != nil {
		t.Fatal(err)
	}
	ctrl, err := conn.Controller()
	if err != nil || net.JoinHostPort(ctrl.Host, strconv.Itoa(ctrl.Port)) != addr || ctrl.ID != 1 {
		t.Fatalf("Controller = %+v, %v; want broker 1 at %s", ctrl, err, addr)
	}
	if err := conn.CreateTopics(kafka.TopicConfig{Topic: topic, NumPartitions: 3, ReplicationFactor: 1}); err != nil {
		t.Fatalf("Conn.CreateTopics: %v", err)
	}
	if err := harness.Poll(kafkaGoWait, func() error {
		ps, err := conn.ReadPartitions(topic)
		if err != nil {
			return err
		}
		if len(ps) != 3 || slices.ContainsFunc(ps, func(p kafka.Partition) bool { return p.Leader.ID != 1 }) {
			return fmt.Errorf("ReadPartitions(%s) = %+v", topic, ps)
		}
		return nil
	}); err != nil {
		t.Fatalf("ReadPartitions: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), kafkaGoWait)
	defer cancel()
	lc, err := kafka.DialLeader(ctx, "tcp", addr, topic, 2)
	if err != nil {
		t.Fatalf("DialLeader: %v", err)
	}
	defer lc.Close()
	if err := lc.SetDeadline(time.Now().Add(kafkaGoWait)); err != nil {
		t.Fatal(err)
	}
	if _, err := lc.WriteMessages(kafkaGoMessages("conn", 10)...); err != nil {
		t.Fatalf("Conn.WriteMessages: %v", err)
	}
	first, last, err := lc.ReadOffsets()
	if err != nil || first != 0 || last != 10 {
		t.Errorf("ReadOffsets = %d, %d, %v; want 0, 10", first, last, err)
	}
	batch := lc.ReadBatch(1, 1<<20)
	var n int
	for {
		if _, err := batch.ReadMessage(); err != nil {
			break
		}
		n++
	}
	if err := batch.Close(); err != nil || n != 10 {
		t.Errorf("ReadBatch read %d messages (close: %v), want 10", n, err)
	}

	if err := conn.DeleteTopics(topic); err != nil {
		t.Fatalf("Conn.DeleteTopics: %v", err)
	}
}

// TestKafkaGoCluster writes with kafka-go's Writer (acks=all) to an RF=3
// partition of a three-node cluster and kill -9s the partition's leader
// mid-stream: the Writer retries on the new leader, and every
// acknowledged record is read back. kafka-go has no idempotent producer,
// so a retried batch may be stored twice; duplicates are counted and
// logged, not failed. The killed node also coordinated a consumer group,
// which a group Reader then uses through the new coordinator.
func TestKafkaGoCluster(t *testing.T) {
	c := harness.StartCluster(t, 3, map[string]string{"offsets.topic.num.partitions": "3"})
	const topic = "kafkago-cluster"
	c.CreateTopic(topic, 1, 3, nil)
	leader := c.Leader(topic, 0)
	group := kafkaGoGroupCoordinatedBy(t, strings.Split(c.Bootstrap(), ","), int(leader))

	done := make(chan struct{})
	t.Cleanup(func() { <-done }) // after cancel and the Writer's Close
	w := newKafkaGoWriter(t, strings.Split(c.Bootstrap(), ","), topic, kafka.Snappy)
	w.MaxAttempts = 50
	w.BatchSize = clusterChunk
	var mu sync.Mutex
	acked := map[string]bool{}
	var failed []error
	progress := make(chan int, clusterRecords/clusterChunk)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	go func() { // owned by the test: ends when every chunk was sent or ctx ends
		defer close(done)
		for i := 0; i < clusterRecords; i += clusterChunk {
			msgs := kafkaGoMessages(fmt.Sprintf("c%04d", i), clusterChunk)
			err := w.WriteMessages(ctx, msgs...)
			var werrs kafka.WriteErrors
			if err != nil {
				mu.Lock()
				failed = append(failed, err)
				mu.Unlock()
				if !errors.As(err, &werrs) {
					continue // nothing known to be acknowledged
				}
			}
			mu.Lock()
			for j, m := range msgs {
				if werrs == nil || werrs[j] == nil {
					acked[string(m.Value)] = true
				}
			}
			mu.Unlock()
			progress <- i + clusterChunk
		}
	}()
	killLeaderMidway(t, c, topic, leader, progress, done)
	t.Logf("%d failed writes: %v", len(failed), failed)

	addrs := strings.Split(c.Bootstrap(), ",")
	cl := &kafka.Client{Addr: kafka.TCP(addrs...), Timeout: 10 * time.Second, Transport: newKafkaGoTransport(t)}
	lo, err := cl.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: {kafka.LastOffsetOf(0)}}})
	if err != nil || len(lo.Topics[topic]) != 1 || lo.Topics[topic][0].Error != nil {
		t.Fatalf("ListOffsets: %v %+v", err, lo)
	}
	hwm := lo.Topics[topic][0].LastOffset
	seen := map[string]int{}
	for _, m := range kafkaGoRead(t, addrs, topic, 0, int(hwm)) {
		seen[string(m.Value)]++
	}
	missing, dups := countAcked(acked, seen)
	t.Logf("%d records acknowledged, %d in the log, %d distinct, %d acknowledged records stored more than once (retries without idempotence)",
		len(acked), hwm, len(seen), dups)
	if missing > 0 {
		t.Errorf("%d acknowledged records missing from the log", missing)
	}
	if len(acked) < clusterRecords/2 {
		t.Errorf("only %d of %d records acknowledged", len(acked), clusterRecords)
	}

	// The group's coordinator was the killed node: a group Reader must find
	// the new leader of its __consumer_offsets partition (RF=3), join, read
	// everything and commit there.
	if got := kafkaGoGroupRead(t, addrs[0], topic, group, len(seen)); len(got) != len(seen) {
		t.Errorf("group reader read %d distinct records, want %d", len(got), len(seen))
	}
	of, err := cl.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: {0}}})
	if err != nil || of.Error != nil || len(of.Topics[topic]) != 1 || of.Topics[topic][0].CommittedOffset != hwm {
		t.Errorf("OffsetFetch of group %s = %+v, %v; want committed offset %d", group, of, err, hwm)
	}
}

// kafkaGoGroupCoordinatedBy returns a group id whose coordinator is node,
// trying a few ids; the first FindCoordinator creates __consumer_offsets.
func kafkaGoGroupCoordinatedBy(t *testing.T, addrs []string, node int) string {
	t.Helper()
	cl := &kafka.Client{Addr: kafka.TCP(addrs...), Timeout: 10 * time.Second, Transport: newKafkaGoTransport(t)}
	for i := range 30 {
		group := fmt.Sprintf("kafkago-cluster-%d", i)
		var coord int
		err := harness.Poll(kafkaGoWait, func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			fc, err := cl.FindCoordinator(ctx, &kafka.FindCoordinatorRequest{Key: group})
			if err != nil {
				return err
			}
			if fc.Error != nil {
				return fc.Error
			}
			coord = fc.Coordinator.NodeID
			return nil
		})
		if err != nil {
			t.Fatalf("FindCoordinator(%s): %v", group, err)
		}
		if coord == node {
			return group
		}
	}
	t.Fatalf("none of 30 group ids is coordinated by node %d", node)
	return ""
}
