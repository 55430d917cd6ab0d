package streams

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/samsa-io/samsa/test/internal/harness"
)

const (
	appID       = "wordcount"
	inputTopic  = "lines"
	outputTopic = "word-counts"
	// repartitionTopic and changelogTopic are the internal topics Kafka
	// Streams names after the application id, the Grouped name and the
	// store name WordCountApp gives.
	repartitionTopic = appID + "-words-repartition"
	changelogTopic   = appID + "-counts-changelog"
	partitions       = 3

	// batches of batchLines input lines each are produced at four points
	// of the run.
	batches    = 4
	batchLines = 150
	// sentinelKey marks the record the test appends to every output
	// partition after the application stopped, to know it read all of it.
	sentinelKey = "\x00end"

	// startTimeout bounds an application start (a JVM start, a rebalance
	// and, the second time, a restore).
	startTimeout = 2 * time.Minute
	// catchUpTimeout bounds how long the application may take to count
	// every input line.
	catchUpTimeout = 3 * time.Minute
	opTimeout      = time.Minute

	// firstCommitInterval keeps the first instance's transactions open
	// long enough for the test to see one open and kill the instance;
	// the second instance commits often.
	firstCommitInterval  = 2 * time.Second
	secondCommitInterval = 100 * time.Millisecond
	// openWait bounds the wait for an open transaction after a piece of
	// input (more than firstCommitInterval).
	openWait = 5 * time.Second
)

// vocabulary is the words the input lines are made of.
var vocabulary = strings.Fields(`alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima
mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu
amber basalt cobalt dune ember fjord garnet harbor iris jade`)

// TestStreamsWordCountEOS is "Streams EOS word count exact after a broker
// kill -9": a word count with processing.guarantee=exactly_once_v2 on a
// 3-node cluster, Apache Kafka 4.4 first and samsa second. While it runs,
// the leader of its repartition topic's partition 0 is killed with SIGKILL
// (input keeps coming while it is down) and launched again, and the
// application is killed with SIGKILL while a transaction of its is open and
// started again with an empty state directory, so that its store is
// restored from the changelog topic. Read read_committed to its end, the
// output holds every word's counts in strictly increasing order (no
// duplicate, no aborted update) ending at the exact count, and no other
// word; the repartition and changelog topics exist, the changelog
// compacted, and the group committed the whole input.
func TestStreamsWordCountEOS(t *testing.T) {
	// The reference cluster notices a dead broker and a lagging replica as
	// soon as the samsa cluster does (harness.ClusterProps).
	kafkaProps := map[string]string{
		"broker.heartbeat.interval.ms": "500",
		"broker.session.timeout.ms":    "3000",
		"replica.lag.time.max.ms":      "5000",
	}
	// Both abort a timed-out transaction (the killed instance's) within a
	// second of its timeout rather than ten, and have 5 partitions in each
	// internal topic rather than 50 (as harness.SingleNodeProps), which a
	// killed Kafka node recovers one by one when it starts again.
	samsaProps := map[string]string{
		"transaction.abort.timed.out.transaction.cleanup.interval.ms": "1000",
		"offsets.topic.num.partitions":                                "5",
		"transaction.state.log.num.partitions":                        "5",
	}
	maps.Copy(kafkaProps, samsaProps)
	harness.ForEachClusterNodes(t, 3, kafkaProps, samsaProps, checkWordCount)
}

func checkWordCount(t *testing.T, tg harness.ClusterTarget) {
	started := time.Now()
	// step logs what the check did, and when, for reading a failure and
	// the run time.
	step := func(format string, args ...any) {
		t.Helper()
		t.Logf("%s +%v: %s", tg.Name, time.Since(started).Round(100*time.Millisecond), fmt.Sprintf(format, args...))
	}
	seeds := strings.Split(tg.Bootstrap, ",")
	adm := kadm.NewClient(newClient(t, seeds))
	for _, topic := range []string{inputTopic, outputTopic} {
		createTopic(t, adm, topic)
	}
	input, want := inputLines()
	producer := newClient(t, seeds, kgo.RequiredAcks(kgo.AllISRAcks()))
	out := newOutputReader(t, seeds)
	stateDir := t.TempDir()

	first := startApp(t, "app-1", tg.Bootstrap, appID, inputTopic, outputTopic,
		filepath.Join(stateDir, "first"), firstCommitInterval)
	first.waitRunning(startTimeout)
	step("app-1 running")
	produce(t, producer, input[0])

	// SIGKILL a broker the application reads from and writes to in its
	// transactions, and keep producing while it is down.
	victim := leaderOf(t, adm, repartitionTopic, 0)
	step("kill -9 node %d, the leader of %s-0", victim, repartitionTopic)
	tg.Node(int(victim)).Kill()
	produce(t, producer, input[1])
	tg.Node(int(victim)).Launch()
	step("node %d serves again", victim)

	// Once the application has committed some counts, give it more input
	// and SIGKILL it while a transaction of its is open: that
	// transaction's writes must never be read, and its input must be
	// counted once, by the next instance.
	out.readUntil(t, first, startTimeout, func(last map[string]int64) error {
		if len(last) == 0 {
			return fmt.Errorf("no committed counts yet")
		}
		return nil
	})
	// A piece of the input at a time, until one shows a transaction open:
	// the rest is for the next instance.
	rest, open := input[2], ""
	for len(rest) > 0 && open == "" {
		piece := min(len(rest), batchLines/10)
		produce(t, producer, rest[:piece])
		rest = rest[piece:]
		open = waitOpenTransaction(t, adm, first, openWait)
	}
	if open == "" {
		t.Fatalf("%s: no open transaction on %s or %s while app-1 counted %d lines", tg.Name, changelogTopic, outputTopic, batchLines)
	}
	step("open transaction: %s", open)
	first.kill()
	step("app-1 killed")

	// A new instance with an empty state directory (so a new process id and
	// transactional id: the killed one's transaction ends by its timeout)
	// restores the store from the changelog before it counts on.
	second := startApp(t, "app-2", tg.Bootstrap, appID, inputTopic, outputTopic,
		filepath.Join(stateDir, "second"), secondCommitInterval)
	second.waitRunning(startTimeout)
	if n := second.restored(); n == 0 {
		t.Errorf("%s: app-2 with an empty state directory restored no record from %s", tg.Name, changelogTopic)
	} else {
		step("app-2 running, restored %d records from %s", n, changelogTopic)
	}
	produce(t, producer, slices.Concat(rest, input[3]))
	out.readUntil(t, second, catchUpTimeout, func(last map[string]int64) error {
		if err := overcounted(last, want); err != nil {
			t.Fatalf("%s: %v", tg.Name, err) // counts never go down: no use waiting
		}
		return diffCounts(last, want, false)
	})
	step("every word counted")
	second.stop()

	// Everything committed to the output, read to its end by a fresh
	// read_committed consumer, ends at the exact counts.
	appendSentinels(t, seeds)
	final := newOutputReader(t, seeds)
	final.readToSentinels(t)
	if err := diffCounts(final.last, want, true); err != nil {
		t.Errorf("%s: output read to its end: %v", tg.Name, err)
	}
	checkInternalTopics(t, adm)
	checkInputCommitted(t, adm)
	step("checked")
}

// inputLines returns the deterministic input, batches of lines, and how
// many times each word occurs in it. Words are capitalised and separated by
// punctuation now and then, which the application's split drops.
func inputLines() ([][]string, map[string]int64) {
	want := map[string]int64{}
	seps := []string{" ", ", ", " ", "; ", " -- ", "! "}
	var out [][]string
	n := 0
	for range batches {
		var batch []string
		for range batchLines {
			var sb strings.Builder
			for j := range 1 + n%6 {
				w := vocabulary[(n*7+j*13)%len(vocabulary)]
				want[w]++
				if j > 0 {
					sb.WriteString(seps[(n+j)%len(seps)])
				}
				if (n+j)%5 == 0 {
					w = strings.ToUpper(w[:1]) + w[1:]
				}
				sb.WriteString(w)
			}
			if n%4 == 0 {
				sb.WriteString(".")
			}
			batch = append(batch, sb.String())
			n++
		}
		out = append(out, batch)
	}
	return out, want
}

// diffCounts compares the last count of each word with want. Unless final,
// a word still below its count is not a difference (the application has
// not counted it yet); a count above it or a word not in want always is.
func diffCounts(last, want map[string]int64, final bool) error {
	var diffs []string
	for _, w := range slices.Sorted(maps.Keys(want)) {
		got, ok := last[w]
		switch {
		case !ok && final:
			diffs = append(diffs, fmt.Sprintf("%s missing (want %d)", w, want[w]))
		case got > want[w] || (final && got != want[w]):
			diffs = append(diffs, fmt.Sprintf("%s=%d (want %d)", w, got, want[w]))
		case !final && got < want[w]:
			diffs = append(diffs, fmt.Sprintf("%s=%d (want %d, still counting)", w, got, want[w]))
		}
	}
	for _, w := range slices.Sorted(maps.Keys(last)) {
		if _, ok := want[w]; !ok {
			diffs = append(diffs, fmt.Sprintf("unexpected word %q=%d", w, last[w]))
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("%d differences: %s", len(diffs), strings.Join(diffs, ", "))
	}
	return nil
}

// overcounted reports the words whose last count is above want and the
// words not in want.
func overcounted(last, want map[string]int64) error {
	var over []string
	for _, w := range slices.Sorted(maps.Keys(last)) {
		if last[w] > want[w] {
			over = append(over, fmt.Sprintf("%s=%d (want %d)", w, last[w], want[w]))
		}
	}
	if len(over) > 0 {
		return fmt.Errorf("counted more than the input holds: %s", strings.Join(over, ", "))
	}
	return nil
}

// outputReader consumes the output topic read_committed from its start,
// keeping each word's last count and failing the test when a word's counts
// do not strictly increase (a duplicate, or a reprocessed update).
type outputReader struct {
	cl        *kgo.Client
	last      map[string]int64
	sentinels map[int32]bool
}

func newOutputReader(t *testing.T, seeds []string) *outputReader {
	return &outputReader{
		cl: newClient(t, seeds, kgo.ConsumeTopics(outputTopic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
			kgo.FetchIsolationLevel(kgo.ReadCommitted())),
		last:      map[string]int64{},
		sentinels: map[int32]bool{},
	}
}

// poll reads what one fetch returns (waiting at most a second).
func (r *outputReader) poll(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	fs := r.cl.PollFetches(ctx)
	fs.EachError(func(topic string, p int32, err error) {
		if ctx.Err() == nil {
			t.Logf("fetch %s-%d: %v", topic, p, err)
		}
	})
	fs.EachRecord(func(rec *kgo.Record) {
		word := string(rec.Key)
		if word == sentinelKey {
			r.sentinels[rec.Partition] = true
			return
		}
		if len(rec.Value) != 8 {
			t.Fatalf("%s-%d@%d: value %x is not a long", rec.Topic, rec.Partition, rec.Offset, rec.Value)
		}
		count := int64(binary.BigEndian.Uint64(rec.Value))
		if prev, ok := r.last[word]; ok && count <= prev {
			t.Errorf("%s-%d@%d: count of %q went from %d to %d", rec.Topic, rec.Partition, rec.Offset, word, prev, count)
		}
		r.last[word] = count
	})
}

// readUntil reads the output until done accepts the last counts, failing
// the test if app becomes unhealthy or timeout passes.
func (r *outputReader) readUntil(t *testing.T, app *wordCountApp, timeout time.Duration, done func(map[string]int64) error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r.poll(t)
		err := done(r.last)
		if err == nil {
			return
		}
		if herr := app.healthy(); herr != nil {
			t.Fatalf("%v (output so far: %v)\n%s", herr, err, app.out.tail(80))
		}
		if time.Now().After(deadline) {
			t.Fatalf("output after %v: %v", timeout, err)
		}
	}
}

// readToSentinels reads until it has seen every partition's sentinel.
func (r *outputReader) readToSentinels(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(opTimeout)
	for len(r.sentinels) < partitions {
		if time.Now().After(deadline) {
			t.Fatalf("read_committed: only the sentinels of partitions %v within %v", slices.Sorted(maps.Keys(r.sentinels)), opTimeout)
		}
		r.poll(t)
	}
}

// appendSentinels writes a sentinel record to every output partition.
func appendSentinels(t *testing.T, seeds []string) {
	t.Helper()
	cl := newClient(t, seeds, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.RequiredAcks(kgo.AllISRAcks()))
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	var recs []*kgo.Record
	for p := range int32(partitions) {
		recs = append(recs, &kgo.Record{Topic: outputTopic, Partition: p, Key: []byte(sentinelKey)})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce sentinels: %v", err)
	}
}

// waitOpenTransaction waits at most timeout until the changelog or the
// output topic has an open transaction (a partition whose last stable
// offset is below its high watermark) and names the partition, or returns
// "". It fails the test if app becomes unhealthy.
func waitOpenTransaction(t *testing.T, adm *kadm.Client, app *wordCountApp, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		open, err := openTransaction(adm, changelogTopic, outputTopic)
		if err == nil && open != "" {
			return open
		}
		if herr := app.healthy(); herr != nil {
			t.Fatalf("waiting for an open transaction: %v\n%s", herr, app.out.tail(80))
		}
		if time.Now().After(deadline) {
			if err != nil {
				t.Logf("no open transaction within %v; last error: %v", timeout, err)
			}
			return ""
		}
		time.Sleep(50 * time.Millisecond) // poll interval, not synchronisation
	}
}

// openTransaction names a partition of topics whose last stable offset is
// below its high watermark, or returns "".
func openTransaction(adm *kadm.Client, topics ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hwm, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return "", err
	}
	lso, err := adm.ListCommittedOffsets(ctx, topics...)
	if err != nil {
		return "", err
	}
	if err := errors.Join(hwm.Error(), lso.Error()); err != nil {
		return "", err
	}
	open := ""
	hwm.Each(func(h kadm.ListedOffset) {
		if l, ok := lso.Lookup(h.Topic, h.Partition); ok && l.Offset < h.Offset && open == "" {
			open = fmt.Sprintf("%s-%d last stable offset %d, high watermark %d", h.Topic, h.Partition, l.Offset, h.Offset)
		}
	})
	return open, nil
}

// produce writes lines to the input topic, each keyed by its number.
func produce(t *testing.T, cl *kgo.Client, lines []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	recs := make([]*kgo.Record, len(lines))
	for i, l := range lines {
		recs[i] = &kgo.Record{Topic: inputTopic, Key: []byte(strconv.Itoa(i)), Value: []byte(l)}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce %d lines: %v", len(lines), err)
	}
}

// checkInternalTopics checks the repartition and changelog topics the
// application created: three partitions (as many as its input), three
// replicas, and the changelog compacted.
func checkInternalTopics(t *testing.T, adm *kadm.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	md, err := adm.Metadata(ctx, repartitionTopic, changelogTopic)
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	for _, topic := range []string{repartitionTopic, changelogTopic} {
		td, ok := md.Topics[topic]
		if !ok || td.Err != nil {
			t.Errorf("topic %s: %v (exists: %v)", topic, td.Err, ok)
			continue
		}
		if len(td.Partitions) != partitions {
			t.Errorf("topic %s has %d partitions, want %d", topic, len(td.Partitions), partitions)
		}
		for _, p := range td.Partitions {
			if len(p.Replicas) != 3 {
				t.Errorf("%s-%d has replicas %v, want 3", topic, p.Partition, p.Replicas)
			}
		}
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, repartitionTopic, changelogTopic)
	if err != nil {
		t.Fatalf("describe configs: %v", err)
	}
	want := map[string]string{repartitionTopic: "delete", changelogTopic: "compact"}
	for _, rc := range rcs {
		if rc.Err != nil {
			t.Errorf("describe configs %s: %v", rc.Name, rc.Err)
			continue
		}
		got := ""
		for _, c := range rc.Configs {
			if c.Key == "cleanup.policy" {
				got = c.MaybeValue()
			}
		}
		if got != want[rc.Name] {
			t.Errorf("%s cleanup.policy=%q, want %q", rc.Name, got, want[rc.Name])
		}
	}
}

// checkInputCommitted checks that the application's group committed (in
// its transactions) every input partition's end offset: it read all the
// input, and a restarted instance would not read any of it again.
func checkInputCommitted(t *testing.T, adm *kadm.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	ends, err := adm.ListEndOffsets(ctx, inputTopic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		t.Fatalf("list end offsets of %s: %v", inputTopic, err)
	}
	committed, err := adm.FetchOffsets(ctx, appID)
	if err == nil {
		err = committed.Error()
	}
	if err != nil {
		t.Fatalf("fetch offsets of group %s: %v", appID, err)
	}
	ends.Each(func(end kadm.ListedOffset) {
		c, ok := committed.Lookup(end.Topic, end.Partition)
		if !ok || c.At != end.Offset {
			t.Errorf("group %s committed %s-%d at %d (found: %v), want its end offset %d",
				appID, end.Topic, end.Partition, c.At, ok, end.Offset)
		}
	})
}

// createTopic creates a topic with three partitions and three replicas
// and waits until every partition has a leader.
func createTopic(t *testing.T, adm *kadm.Client, topic string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if _, err := adm.CreateTopic(ctx, partitions, 3, nil, topic); err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
	harness.Eventually(t, opTimeout, func() error {
		md, err := adm.Metadata(ctx, topic)
		if err != nil {
			return err
		}
		td := md.Topics[topic]
		if td.Err != nil || len(td.Partitions) != partitions {
			return fmt.Errorf("topic %s: %v, %d partitions", topic, td.Err, len(td.Partitions))
		}
		for _, p := range td.Partitions {
			if p.Leader < 0 || len(p.ISR) != 3 {
				return fmt.Errorf("%s-%d: leader %d ISR %v", topic, p.Partition, p.Leader, p.ISR)
			}
		}
		return nil
	})
}

// leaderOf returns the leader of topic-partition.
func leaderOf(t *testing.T, adm *kadm.Client, topic string, partition int32) int32 {
	t.Helper()
	var leader int32
	harness.Eventually(t, opTimeout, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		md, err := adm.Metadata(ctx, topic)
		if err != nil {
			return err
		}
		p, ok := md.Topics[topic].Partitions[partition]
		if !ok || p.Leader < 1 {
			return fmt.Errorf("%s-%d has no leader", topic, partition)
		}
		leader = p.Leader
		return nil
	})
	return leader
}

// newClient returns a franz-go client seeded with seeds, closed when the
// test ends.
func newClient(t *testing.T, seeds []string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(seeds...)}, opts...)...)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}
