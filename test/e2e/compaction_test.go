package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// compactTopicConfigs make a topic's cleaner eager: small segments, clean
// at 1% dirty, tombstones removable one second after cleaning.
var compactTopicConfigs = map[string]string{
	"cleanup.policy":            "compact",
	"segment.bytes":             "16384",
	"min.cleanable.dirty.ratio": "0.01",
	"delete.retention.ms":       "1000",
}

// written is what a produce acknowledged at one offset; value nil is a
// tombstone.
type written struct {
	key, value string
	tombstone  bool
}

// compactModel remembers every acknowledged record of a one-partition
// topic by offset, and the latest offset of every key.
type compactModel struct {
	mu     sync.Mutex
	at     map[int64]written
	latest map[string]int64
}

func newCompactModel() *compactModel {
	return &compactModel{at: make(map[int64]written), latest: make(map[string]int64)}
}

func (m *compactModel) ack(r *kgo.Record) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.at[r.Offset] = written{key: string(r.Key), value: string(r.Value), tombstone: r.Value == nil}
	if old, ok := m.latest[string(r.Key)]; !ok || r.Offset > old {
		m.latest[string(r.Key)] = r.Offset
	}
}

// produceKeyed produces recs to partition 0 in small batches (so that
// 16 KiB segments roll often) and records each acknowledged offset.
func produceKeyed(t *testing.T, cl *kgo.Client, m *compactModel, recs []*kgo.Record) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var mu sync.Mutex
	var first error
	for _, r := range recs {
		cl.Produce(ctx, r, func(r *kgo.Record, err error) {
			if err != nil {
				mu.Lock()
				first = cmpErr(first, err)
				mu.Unlock()
				return
			}
			m.ack(r)
		})
	}
	if err := cl.Flush(ctx); err != nil {
		t.Fatalf("flush: %v", err)
	}
	if first != nil {
		t.Fatalf("produce: %v", first)
	}
}

func keyedRecords(topic string, from, n, keys int, tag string) []*kgo.Record {
	recs := make([]*kgo.Record, n)
	for i := range recs {
		k := (from + i) % keys
		recs[i] = &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, "k-%04d", k), Value: fmt.Appendf(nil, "%s-%d", tag, from+i)}
	}
	return recs
}

func tombstones(topic string, keys int) []*kgo.Record {
	recs := make([]*kgo.Record, keys)
	for k := range recs {
		recs[k] = &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, "k-%04d", k)}
	}
	return recs
}

func keyedProducer(b *harness.Broker) *kgo.Client {
	return b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchMaxBytes(4096),
		kgo.ProducerLinger(0))
}

// readAll reads partition 0 of topic from the start up to its high
// watermark and returns the records in offset order.
func readAll(t *testing.T, b *harness.Broker, topic string) ([]*kgo.Record, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ends, err := b.Admin().ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("list end offsets: %w", err)
	}
	end, _ := ends.Lookup(topic, 0)
	if end.Err != nil {
		return nil, fmt.Errorf("end offset: %w", end.Err)
	}
	cl := b.Client(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}))
	defer cl.Close()
	var out []*kgo.Record
	for len(out) == 0 || out[len(out)-1].Offset < end.Offset-1 {
		fs := cl.PollFetches(ctx)
		if err := fs.Err(); err != nil {
			return out, fmt.Errorf("fetch after %d records: %w", len(out), err)
		}
		out = append(out, fs.Records()...)
	}
	return out, nil
}

// activeBase returns the base offset of the newest segment file of
// topic-0, the segment the cleaner never touches.
func activeBase(t *testing.T, b *harness.Broker, topic string) int64 {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(b.LogDir, topic+"-0", "*.log"))
	if err != nil || len(files) == 0 {
		t.Fatalf("segments of %s-0: %v (%d files)", topic, err, len(files))
	}
	slices.Sort(files)
	var base int64
	if _, err := fmt.Sscanf(filepath.Base(files[len(files)-1]), "%020d.log", &base); err != nil {
		t.Fatalf("segment name %s: %v", files[len(files)-1], err)
	}
	return base
}

// checkCompacted compares a full read with the model. Always: every record
// is the one acknowledged at its offset (offsets preserved), and folding
// the read by key gives the latest value of every live key. When strict:
// below the active segment no key appears twice, and no tombstone or
// record of a deleted key remains anywhere (delete.retention.ms passed).
func checkCompacted(m *compactModel, recs []*kgo.Record, active int64, strict bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	fold := make(map[string]int64)
	below := make(map[string]int64)
	for _, r := range recs {
		w, ok := m.at[r.Offset]
		if !ok || w.key != string(r.Key) || w.value != string(r.Value) || w.tombstone != (r.Value == nil) {
			return fmt.Errorf("offset %d holds key %q value %q; produced there: %+v (found %v)", r.Offset, r.Key, r.Value, w, ok)
		}
		fold[w.key] = r.Offset
		if strict && r.Offset < active {
			if prev, dup := below[w.key]; dup {
				return fmt.Errorf("key %s kept at offsets %d and %d below the active segment %d", w.key, prev, r.Offset, active)
			}
			below[w.key] = r.Offset
		}
		if strict && m.at[m.latest[w.key]].tombstone {
			return fmt.Errorf("deleted key %s still present at offset %d", w.key, r.Offset)
		}
	}
	for k, off := range m.latest {
		if m.at[off].tombstone {
			continue
		}
		if fold[k] != off {
			return fmt.Errorf("live key %s reads as offset %d, latest produced at %d (%d records read)", k, fold[k], off, len(recs))
		}
	}
	return nil
}

// TestCompaction: 100,000 updates over 1,000 keys and tombstones for 100
// of them compact down to the latest value of the 900 live keys at their
// original offsets; kill -9 while the cleaner runs loses no live key.
func TestCompaction(t *testing.T) {
	b := startGroupBroker(t, map[string]string{"log.cleaner.backoff.ms": "200"})

	t.Run("latest value per key", func(t *testing.T) {
		const topic = "compacted"
		b.CreateTopic(topic, 1, compactTopicConfigs)
		cl, m := keyedProducer(b), newCompactModel()
		produceKeyed(t, cl, m, keyedRecords(topic, 0, 100000, 1000, "v"))
		produceKeyed(t, cl, m, tombstones(topic, 100))
		// The active segment is never cleaned and tombstones go only
		// after delete.retention.ms from the clean that kept them, so
		// keep rolling segments with fresh rounds of the live keys
		// until the cleaner has caught up.
		round, last := 0, time.Now()
		var err error
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			recs, rerr := readAll(t, b, topic)
			if rerr != nil {
				t.Fatalf("full read: %v", rerr)
			}
			if err = checkCompacted(m, recs, activeBase(t, b, topic), true); err == nil {
				t.Logf("compacted to %d records after %d extra rounds", len(recs), round)
				break
			}
			if time.Since(last) > 1500*time.Millisecond {
				round++
				live := keyedRecords(topic, 100, 900, 1000, fmt.Sprintf("round%d", round))
				produceKeyed(t, cl, m, live)
				last = time.Now()
			}
			time.Sleep(300 * time.Millisecond) // give the cleaner (200 ms backoff) a turn
		}
		if err != nil {
			t.Fatalf("log not compacted within 60s: %v", err)
		}
	})

	t.Run("kill -9 while cleaning", func(t *testing.T) {
		const topic = "compacted-crash"
		b.CreateTopic(topic, 1, compactTopicConfigs)
		m := newCompactModel()
		cl := keyedProducer(b)
		produceKeyed(t, cl, m, keyedRecords(topic, 0, 20000, 1000, "v"))
		produceKeyed(t, cl, m, tombstones(topic, 100))
		for i := range 4 {
			cl = keyedProducer(b)
			produceKeyed(t, cl, m, keyedRecords(topic, 100, 5000, 1000, fmt.Sprintf("crash%d", i)))
			cl.Close()
			// The cleaner wakes every 200 ms; kill somewhere in or near
			// its pass over the 5,000 fresh updates.
			time.Sleep(time.Duration(50+i*60) * time.Millisecond)
			b.Kill()
			b.Launch()
			recs, err := readAll(t, b, topic)
			if err != nil {
				t.Fatalf("after kill -9 #%d: full read: %v", i+1, err)
			}
			if err := checkCompacted(m, recs, 0, false); err != nil {
				t.Fatalf("after kill -9 #%d: %v", i+1, err)
			}
		}
		// Whether a kill landed inside a pass is up to timing; the log
		// says how often the broker completed a pass or, on start-up,
		// finished a swap the kill interrupted.
		t.Logf("broker log: %d completed compactions, %d interrupted swaps completed at start-up",
			strings.Count(b.Log(), "compacted log"), strings.Count(b.Log(), "interrupted compaction"))
	})
}

// TestOffsetsTopicCompacted: 20,000 commits of one group and partition
// must not leave 20,000 records in __consumer_offsets. The broker creates
// that topic with 100 MiB segments and has no offsets.topic.segment.bytes,
// so the test lowers segment.bytes of the topic with
// IncrementalAlterConfigs (as an operator would) before the commit loop.
func TestOffsetsTopicCompacted(t *testing.T) {
	b := startGroupBroker(t, map[string]string{"log.cleaner.backoff.ms": "200", "offsets.topic.num.partitions": "1"})
	const topic, group, commits = "offsets-loop", "offsets-loop-group", 20000
	b.CreateTopic(topic, 1, nil)
	adm := b.Admin()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	commitOnce(ctx, t, adm, group, topic, 0) // creates __consumer_offsets
	alter, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{
		{Name: "segment.bytes", Value: kadm.StringPtr("16384")},
		{Name: "min.cleanable.dirty.ratio", Value: kadm.StringPtr("0.01")},
	}, "__consumer_offsets")
	if err == nil {
		_, err = alter.On("__consumer_offsets", nil)
	}
	if err != nil {
		t.Fatalf("alter __consumer_offsets configs: %v", err)
	}
	dir := filepath.Join(b.LogDir, "__consumer_offsets-0")
	start := time.Now()
	for i := 1; i <= commits; i++ {
		commitOnce(ctx, t, adm, group, topic, int64(i))
	}
	t.Logf("%d commits in %v; __consumer_offsets-0 holds %d bytes of .log", commits, time.Since(start), logBytes(t, dir))
	// Each commit appends a batch of at least 61 (header) + 30 bytes, so
	// without compaction the partition would hold over 1.8 MB.
	const limit = 180_000
	harness.Eventually(t, 30*time.Second, func() error {
		if n := logBytes(t, dir); n > limit {
			return fmt.Errorf("__consumer_offsets-0 holds %d bytes of .log files, want under %d", n, limit)
		}
		return nil
	})
	if got := committedOffsets(t, b, group, topic); got[0] != commits {
		t.Errorf("committed offset after compaction %d, want %d", got[0], commits)
	}
}

func commitOnce(ctx context.Context, t *testing.T, adm *kadm.Client, group, topic string, at int64) {
	t.Helper()
	var offs kadm.Offsets
	offs.Add(kadm.Offset{Topic: topic, Partition: 0, At: at, LeaderEpoch: -1})
	resp, err := adm.CommitOffsets(ctx, group, offs)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		t.Fatalf("commit %d: %v", at, err)
	}
}

// logBytes sums the sizes of the .log files in dir.
func logBytes(t *testing.T, dir string) int64 {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	var n int64
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".log") {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, os.ErrNotExist) {
			continue // swapped away by the cleaner meanwhile
		}
		if err != nil {
			t.Fatalf("stat %s: %v", e.Name(), err)
		}
		n += info.Size()
	}
	return n
}
