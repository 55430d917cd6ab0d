package mirror

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/samsa-io/samsa/test/internal/harness"
)

const (
	partitions = 3
	// beforeMove records go to each partition before the group stops on
	// the source; afterMove more arrive once it is gone, and the group,
	// moved to the target, must read exactly those.
	beforeMove = 10
	afterMove  = 5
	// firstMirrorTimeout bounds the wait for the first records, which
	// includes MirrorMaker's JVM start and its herders joining their
	// groups (about a minute on a shared 2-core machine); mirrorTimeout
	// bounds each later wait for something MirrorMaker does (its
	// intervals here are 1 s).
	firstMirrorTimeout = 3 * time.Minute
	mirrorTimeout      = 90 * time.Second
	// clientTimeout bounds one step's client calls.
	clientTimeout = 2 * time.Minute
	// retentionBefore is set on the source topic at creation,
	// retentionAfter by an alter once it is mirrored: MirrorMaker must
	// carry both to the remote topic.
	retentionBefore = "3600000"
	retentionAfter  = "7200000"
	// consumeTimeout bounds the target group's consumption of records
	// already there.
	consumeTimeout = time.Minute
)

// cluster is one cluster as MirrorMaker knows it.
type cluster struct {
	// alias is its name in mm2.properties, and the prefix of the topics
	// mirrored from it (DefaultReplicationPolicy: alias + "." + topic).
	alias     string
	bootstrap string
}

// flow is one replication flow (source->target) with its own topic and
// group, so that flows sharing a cluster check only their own data.
type flow struct {
	name     string
	src, dst cluster
	topic    string
	group    string
}

func (f flow) remoteTopic() string { return f.src.alias + "." + f.topic }

// flowsEnv, when set, names the flows TestMirrorMaker runs
// (comma-separated, e.g. "kafka->samsa"), for debugging one of them.
const flowsEnv = "SAMSA_MIRROR_FLOWS"

// TestMirrorMaker runs one dedicated MirrorMaker 2 with three flows:
// Apache Kafka into Apache Kafka (the reference: a failure there is a wrong
// check), Apache Kafka into Samsa, and Samsa into Samsa. The flows are
// checked step by step, each step on every flow at once, since MirrorMaker
// works on all of them in the background.
func TestMirrorMaker(t *testing.T) {
	start := time.Now()
	all := []struct {
		name     string
		src, dst string
	}{
		{"kafka->kafka", "kafkaA", "kafkaB"},
		{"kafka->samsa", "kafkaA", "samsaB"},
		{"samsa->samsa", "samsaA", "samsaB"},
	}
	var want []string
	if v := os.Getenv(flowsEnv); v != "" {
		want = strings.Split(v, ",")
	}
	clusters := map[string]*cluster{}
	var order []*cluster
	node := func(alias string) cluster {
		if c, ok := clusters[alias]; ok {
			return *c
		}
		c := &cluster{alias: alias}
		if strings.HasPrefix(alias, "kafka") {
			c.bootstrap = harness.StartKafka(t, nil).Addr
		} else {
			c.bootstrap = harness.Start(t, harness.SingleNodeProps()).Addr
		}
		clusters[alias] = c
		order = append(order, c)
		return *c
	}
	var flows []*flowState
	for i, f := range all {
		if want != nil && !slices.Contains(want, f.name) {
			continue
		}
		suffix := fmt.Sprint(i)
		flows = append(flows, &flowState{flow: flow{name: f.name, src: node(f.src), dst: node(f.dst),
			topic: "orders-" + suffix, group: "billing-" + suffix}})
	}
	if len(flows) == 0 {
		t.Fatalf("%s=%s names no flow", flowsEnv, os.Getenv(flowsEnv))
	}
	var cs []cluster
	var fs []flow
	for _, c := range order {
		cs = append(cs, *c)
	}
	for _, f := range flows {
		fs = append(fs, f.flow)
	}
	t.Logf("%d nodes up in %v", len(cs), time.Since(start).Round(time.Millisecond))
	mm := harness.StartMirrorMaker(t, mm2Props(cs, fs))
	for _, f := range flows {
		f.mm = mm
	}
	for _, st := range steps {
		stepStart := time.Now()
		var wg sync.WaitGroup
		for _, f := range flows {
			if f.failed {
				continue // an earlier step it needs failed, and says so
			}
			wg.Add(1)
			go func() { // t.Run may be called from several goroutines; wg bounds them
				defer wg.Done()
				ok := t.Run(f.name+"/"+st.name, func(t *testing.T) { st.fn(t, f) })
				if !ok && st.needed {
					f.failed = true
				}
			}()
		}
		wg.Wait()
		t.Logf("step %s: %v", st.name, time.Since(stepStart).Round(time.Millisecond))
	}
	t.Logf("all flows took %v from the first node's start", time.Since(start).Round(time.Millisecond))
}

// flowState is what one flow's steps share.
type flowState struct {
	flow
	mm *harness.MirrorMaker
	// failed is set when a step the later ones need failed.
	failed bool
	// first and second are the records produced to the source before and
	// after the group stopped there, by partition.
	first, second [][]*kgo.Record
	// committed is the group's committed offset on the source, by partition.
	committed map[int32]int64
}

// steps run in order; a step marked needed stops its flow when it fails,
// since the later steps build on it.
var steps = []struct {
	name   string
	needed bool
	fn     func(t *testing.T, f *flowState)
}{
	{"source", true, stepSource},
	{"records", true, stepRecords},
	{"config", false, stepConfig},
	{"group offsets translated", false, stepTranslated},
	{"heartbeats", false, stepHeartbeats},
	{"source moves on", true, stepSourceMovesOn},
	{"config altered", false, stepConfigAltered},
	{"group resumes on target", false, stepResume},
}

// mm2Props is the dedicated MirrorMaker's configuration: the clusters, one
// enabled flow per entry of flows limited to its topic and group, and
// intervals short enough for a test (defaults are 10 s to 10 min).
func mm2Props(clusters []cluster, flows []flow) map[string]string {
	var aliases []string
	props := map[string]string{
		// Heartbeats only for the enabled flows, not a herder for every
		// ordered pair of the four clusters.
		"emit.heartbeats.enabled":               "false",
		"replication.factor":                    "1",
		"checkpoints.topic.replication.factor":  "1",
		"heartbeats.topic.replication.factor":   "1",
		"offset-syncs.topic.replication.factor": "1",
		"offset.storage.replication.factor":     "1",
		"status.storage.replication.factor":     "1",
		"config.storage.replication.factor":     "1",
		"refresh.topics.interval.seconds":       "1",
		"refresh.groups.interval.seconds":       "1",
		"emit.checkpoints.interval.seconds":     "1",
		"emit.heartbeats.interval.seconds":      "1",
		"sync.group.offsets.enabled":            "true",
		"sync.group.offsets.interval.seconds":   "1",
		"sync.topic.configs.interval.seconds":   "1",
	}
	for _, c := range clusters {
		aliases = append(aliases, c.alias)
		props[c.alias+".bootstrap.servers"] = c.bootstrap
	}
	props["clusters"] = strings.Join(aliases, ", ")
	for _, f := range flows {
		prefix := f.src.alias + "->" + f.dst.alias + "."
		props[prefix+"enabled"] = "true"
		props[prefix+"topics"] = f.topic
		props[prefix+"groups"] = f.group
		props[prefix+"emit.heartbeats.enabled"] = "true"
		// The source task sends the offset sync of a partition's latest
		// record when its offsets are flushed (default every 60 s); the
		// translation of a group at the end of the topic waits for it.
		// A worker setting: MirrorMaker takes those from the target
		// cluster's prefix, not the flow's.
		props[f.dst.alias+".offset.flush.interval.ms"] = "1000"
	}
	return props
}

// stepSource creates the flow's topic on the source with a config
// MirrorMaker must carry over, fills each partition, and lets the group
// consume everything and commit, then leave.
func stepSource(t *testing.T, f *flowState) {
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	src := newClient(t, f.src.bootstrap)
	resp, err := kadm.NewClient(src).CreateTopic(ctx, partitions, 1,
		map[string]*string{"retention.ms": kadm.StringPtr(retentionBefore)}, f.topic)
	if err != nil {
		t.Fatalf("create %s on %s: %v (%s)", f.topic, f.src.alias, err, resp.ErrMessage)
	}
	f.first = produce(ctx, t, src, f.topic, 0, beforeMove)
	f.committed = consumeAndCommit(ctx, t, f.src.bootstrap, f.group, f.topic)
}

// stepRecords checks the remote topic: the source's partition count, and
// every record with its offset, key, value, headers and timestamp.
func stepRecords(t *testing.T, f *flowState) {
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	// The first wait also covers MirrorMaker's start.
	waitEndOffsets(ctx, t, f.mm, f.dst.bootstrap, f.remoteTopic(), beforeMove, firstMirrorTimeout)
	sameRecords(t, f.first, readAll(ctx, t, f.dst.bootstrap, f.remoteTopic()))
}

// stepConfig checks that the config set on the source topic arrived with
// the remote topic.
func stepConfig(t *testing.T, f *flowState) {
	waitConfig(t, f.mm, f.dst.bootstrap, f.remoteTopic(), "retention.ms", retentionBefore)
}

// stepTranslated checks the group's offsets on the target.
func stepTranslated(t *testing.T, f *flowState) {
	waitTranslated(t, f.mm, f.dst.bootstrap, f.group, f.remoteTopic(), f.committed)
}

func stepHeartbeats(t *testing.T, f *flowState) {
	waitHeartbeat(t, f.mm, f.flow)
}

// stepSourceMovesOn alters the source topic's config and adds records
// after those the group consumed.
func stepSourceMovesOn(t *testing.T, f *flowState) {
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	src := newClient(t, f.src.bootstrap)
	resps, err := kadm.NewClient(src).AlterTopicConfigs(ctx, []kadm.AlterConfig{
		{Op: kadm.SetConfig, Name: "retention.ms", Value: kadm.StringPtr(retentionAfter)},
	}, f.topic)
	if err == nil {
		_, err = resps.On(f.topic, nil)
	}
	if err != nil {
		t.Fatalf("alter retention.ms of %s on %s: %v", f.topic, f.src.alias, err)
	}
	f.second = produce(ctx, t, src, f.topic, beforeMove, afterMove)
}

func stepConfigAltered(t *testing.T, f *flowState) {
	waitConfig(t, f.mm, f.dst.bootstrap, f.remoteTopic(), "retention.ms", retentionAfter)
}

// stepResume moves the group to the target: once the new records are
// there, a consumer in the group must read exactly them, nothing before.
func stepResume(t *testing.T, f *flowState) {
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	waitEndOffsets(ctx, t, f.mm, f.dst.bootstrap, f.remoteTopic(), beforeMove+afterMove, mirrorTimeout)
	// MirrorMaker writes a group's offsets on the target only while the
	// group has no members there, and never lowers them; the source group
	// has not moved, so the translation stays where it was.
	waitTranslated(t, f.mm, f.dst.bootstrap, f.group, f.remoteTopic(), f.committed)
	sameRecords(t, f.second, consumeGroup(ctx, t, f.dst.bootstrap, f.group, f.remoteTopic(), partitions*afterMove))
}

// newClient returns a franz-go client for one cluster whose records go to
// the partition they name, closed when the test ends.
func newClient(t *testing.T, bootstrap string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	all := append([]kgo.Opt{kgo.SeedBrokers(bootstrap), kgo.RecordPartitioner(kgo.ManualPartitioner())}, opts...)
	cl, err := kgo.NewClient(all...)
	if err != nil {
		t.Fatalf("new client for %s: %v", bootstrap, err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// produce writes n records to every partition, numbered from first, each
// with a key (null for record 3), a value, two headers and a set
// timestamp, and returns them by partition with the offsets they got.
func produce(ctx context.Context, t *testing.T, cl *kgo.Client, topic string, first, n int) [][]*kgo.Record {
	t.Helper()
	// Timestamps of the producer's choosing, so that a copy stamped
	// when MirrorMaker wrote it shows; recent ones, since both brokers
	// delete records older than the topic's retention.ms (an hour).
	base := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	var recs []*kgo.Record
	for p := range int32(partitions) {
		for i := first; i < first+n; i++ {
			r := &kgo.Record{
				Topic:     topic,
				Partition: p,
				Value:     fmt.Appendf(nil, "value %d/%d", p, i),
				Headers: []kgo.RecordHeader{
					{Key: "seq", Value: []byte(strconv.Itoa(i))},
					{Key: "origin", Value: []byte(topic)},
				},
				Timestamp: base.Add(time.Duration(p*100+int32(i)) * time.Millisecond),
			}
			if i != 3 {
				r.Key = fmt.Appendf(nil, "key-%d-%d", p, i)
			}
			recs = append(recs, r)
		}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce to %s: %v", topic, err)
	}
	byPartition := make([][]*kgo.Record, partitions)
	for _, r := range recs {
		byPartition[r.Partition] = append(byPartition[r.Partition], r)
	}
	return byPartition
}

// consumeAndCommit joins group on the source, consumes every partition of
// topic to its end (beforeMove records each), commits and leaves; it
// returns the committed offsets, which must be beforeMove each.
func consumeAndCommit(ctx context.Context, t *testing.T, bootstrap, group, topic string) map[int32]int64 {
	t.Helper()
	cl := newClient(t, bootstrap, kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())
	got := 0
	for got < partitions*beforeMove {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("group %s consumed %d of %d records: %v", group, got, partitions*beforeMove, err)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("group %s: fetch %s-%d: %v", group, topic, p, err) })
		got += fs.NumRecords()
	}
	if err := cl.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatalf("group %s: commit: %v", group, err)
	}
	cl.Close() // leaves the group: MirrorMaker syncs offsets only of groups with no members on the target
	offsets, err := kadm.NewClient(newClient(t, bootstrap)).FetchOffsets(ctx, group)
	if err != nil {
		t.Fatalf("group %s: fetch offsets: %v", group, err)
	}
	committed := map[int32]int64{}
	for p := range int32(partitions) {
		o, ok := offsets.Lookup(topic, p)
		if !ok || o.Err != nil || o.At != beforeMove {
			t.Fatalf("group %s on the source: committed %s-%d = %+v, want %d", group, topic, p, o, beforeMove)
		}
		committed[p] = o.At
	}
	return committed
}

// mirrorAlive fails the test when MirrorMaker has exited.
func mirrorAlive(t *testing.T, mm *harness.MirrorMaker) {
	t.Helper()
	if !mm.Running() {
		t.Fatalf("mirror maker exited:\n%s", mm.Tail(60))
	}
}

// waitEndOffsets waits until topic exists on the target with partitions
// partitions, each with end offset n: the source's offsets, since the
// source partitions hold n records each from offset 0 and MirrorMaker
// writes them in order to an empty remote topic.
func waitEndOffsets(ctx context.Context, t *testing.T, mm *harness.MirrorMaker, bootstrap, topic string, n int64, timeout time.Duration) {
	t.Helper()
	adm := kadm.NewClient(newClient(t, bootstrap))
	harness.Eventually(t, timeout, func() error {
		mirrorAlive(t, mm)
		ends, err := adm.ListEndOffsets(ctx, topic)
		if err != nil {
			return err
		}
		offsets, ok := ends[topic]
		if !ok {
			return fmt.Errorf("no topic %s on the target", topic)
		}
		if len(offsets) != partitions {
			return fmt.Errorf("%s has %d partitions on the target, want %d", topic, len(offsets), partitions)
		}
		for p, o := range offsets {
			if o.Err != nil {
				return fmt.Errorf("%s-%d: %w", topic, p, o.Err)
			}
			if o.Offset > n {
				t.Fatalf("%s-%d: end offset %d on the target, more than the %d records of the source", topic, p, o.Offset, n)
			}
			if o.Offset != n {
				return fmt.Errorf("%s-%d: end offset %d, want %d", topic, p, o.Offset, n)
			}
		}
		return nil
	})
}

// readAll reads every partition of topic from offset 0 to its end offset
// (at the time of the call), without a group, and returns the records by
// partition.
func readAll(ctx context.Context, t *testing.T, bootstrap, topic string) [][]*kgo.Record {
	t.Helper()
	adm := kadm.NewClient(newClient(t, bootstrap))
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatalf("end offsets of %s: %v", topic, err)
	}
	start := map[int32]kgo.Offset{}
	want := map[int32]int64{}
	total := int64(0)
	ends.Each(func(o kadm.ListedOffset) {
		start[o.Partition] = kgo.NewOffset().At(0)
		want[o.Partition] = o.Offset
		total += o.Offset
	})
	out := make([][]*kgo.Record, len(start))
	if total == 0 {
		return out
	}
	cl := newClient(t, bootstrap, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: start}))
	defer cl.Close()
	for got := int64(0); got < total; {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("read %s: %d of %d records: %v", topic, got, total, err)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s-%d: %v", topic, p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset < want[r.Partition] {
				out[r.Partition] = append(out[r.Partition], r)
				got++
			}
		})
	}
	return out
}

// sameRecords compares records by partition: same offsets, keys (a null
// key stays null), values, headers in order and timestamps.
func sameRecords(t *testing.T, want, got [][]*kgo.Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("records in %d partitions, want %d", len(got), len(want))
	}
	for p := range want {
		if len(got[p]) != len(want[p]) {
			t.Errorf("partition %d: %d records, want %d: %s", p, len(got[p]), len(want[p]), describe(got[p]))
			continue
		}
		for i, w := range want[p] {
			if d := recordDiff(w, got[p][i]); d != "" {
				t.Errorf("partition %d, record %d: %s", p, i, d)
			}
		}
	}
}

func recordDiff(want, got *kgo.Record) string {
	var diffs []string
	if got.Offset != want.Offset {
		diffs = append(diffs, fmt.Sprintf("offset %d, want %d", got.Offset, want.Offset))
	}
	if (got.Key == nil) != (want.Key == nil) || !bytes.Equal(got.Key, want.Key) {
		diffs = append(diffs, fmt.Sprintf("key %s, want %s", quote(got.Key), quote(want.Key)))
	}
	if !bytes.Equal(got.Value, want.Value) {
		diffs = append(diffs, fmt.Sprintf("value %q, want %q", got.Value, want.Value))
	}
	if fmt.Sprint(headers(got)) != fmt.Sprint(headers(want)) {
		diffs = append(diffs, fmt.Sprintf("headers %v, want %v", headers(got), headers(want)))
	}
	if got.Timestamp.UnixMilli() != want.Timestamp.UnixMilli() {
		diffs = append(diffs, fmt.Sprintf("timestamp %d, want %d", got.Timestamp.UnixMilli(), want.Timestamp.UnixMilli()))
	}
	return strings.Join(diffs, "; ")
}

func quote(b []byte) string {
	if b == nil {
		return "null"
	}
	return strconv.Quote(string(b))
}

func headers(r *kgo.Record) []string {
	var out []string
	for _, h := range r.Headers {
		out = append(out, h.Key+"="+string(h.Value))
	}
	return out
}

func describe(recs []*kgo.Record) string {
	var out []string
	for _, r := range recs {
		out = append(out, fmt.Sprintf("%d:%q", r.Offset, r.Value))
	}
	return "[" + strings.Join(out, " ") + "]"
}

// waitConfig waits until topic's config name on the target is value.
func waitConfig(t *testing.T, mm *harness.MirrorMaker, bootstrap, topic, name, value string) {
	t.Helper()
	adm := kadm.NewClient(newClient(t, bootstrap))
	harness.Eventually(t, mirrorTimeout, func() error {
		mirrorAlive(t, mm)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rcs, err := adm.DescribeTopicConfigs(ctx, topic)
		if err != nil {
			return err
		}
		rc, err := rcs.On(topic, nil)
		if err != nil {
			return err
		}
		if rc.Err != nil {
			return rc.Err
		}
		for _, c := range rc.Configs {
			if c.Key == name {
				if c.MaybeValue() != value {
					return fmt.Errorf("%s of %s on the target is %q (%s), want %q", name, topic, c.MaybeValue(), c.Source, value)
				}
				return nil
			}
		}
		return fmt.Errorf("%s of %s not described on the target", name, topic)
	})
}

// waitTranslated waits until the target holds offsets for group on the
// remote topic equal to the ones it committed on the source.
//
// MirrorMaker 2 translates a group's upstream offset u with the latest
// offset sync (upstream s, downstream d) at or before u: to d when u == s,
// else to d+1, never further, since it cannot know how many of the records
// after s reached the target; so a group may re-read, and must never skip.
// Here the group stopped at the end of the records then on the source, the
// offset sync of each partition's last record (s = u-1, d = s: offsets match
// on an empty remote topic) gives exactly u, and every translation seen on
// the way must be at most u.
func waitTranslated(t *testing.T, mm *harness.MirrorMaker, bootstrap, group, topic string, committed map[int32]int64) {
	t.Helper()
	adm := kadm.NewClient(newClient(t, bootstrap))
	harness.Eventually(t, mirrorTimeout, func() error {
		mirrorAlive(t, mm)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		offsets, err := adm.FetchOffsets(ctx, group)
		if err != nil {
			return err
		}
		var missing []string
		for p, u := range committed {
			o, ok := offsets.Lookup(topic, p)
			switch {
			case !ok:
				missing = append(missing, fmt.Sprintf("%s-%d: none", topic, p))
			case o.Err != nil:
				return fmt.Errorf("%s-%d: %w", topic, p, o.Err)
			case o.At > u:
				t.Fatalf("group %s on the target: %s-%d at %d, past the %d it committed on the source: records would be skipped", group, topic, p, o.At, u)
			case o.At != u:
				missing = append(missing, fmt.Sprintf("%s-%d: %d, want %d", topic, p, o.At, u))
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("group %s on the target: %s", group, strings.Join(missing, ", "))
		}
		return nil
	})
}

// waitHeartbeat waits until the target's heartbeats topic holds a heartbeat
// of this flow: its key carries both cluster aliases.
func waitHeartbeat(t *testing.T, mm *harness.MirrorMaker, f flow) {
	t.Helper()
	adm := kadm.NewClient(newClient(t, f.dst.bootstrap))
	harness.Eventually(t, mirrorTimeout, func() error {
		mirrorAlive(t, mm)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ends, err := adm.ListEndOffsets(ctx, "heartbeats")
		if err != nil {
			return err
		}
		if _, ok := ends["heartbeats"]; !ok {
			return errors.New("no heartbeats topic on the target")
		}
		for _, recs := range readAll(ctx, t, f.dst.bootstrap, "heartbeats") {
			for _, r := range recs {
				if bytes.Contains(r.Key, []byte(f.src.alias)) && bytes.Contains(r.Key, []byte(f.dst.alias)) {
					return nil
				}
			}
		}
		return fmt.Errorf("no heartbeat %s->%s on the target yet", f.src.alias, f.dst.alias)
	})
}

// consumeGroup joins group on the target and consumes topic until n
// records arrived, without committing; it returns them by partition.
// The group has offsets only from MirrorMaker; had it none, it would start
// at the beginning and the records compared would show it.
func consumeGroup(ctx context.Context, t *testing.T, bootstrap, group, topic string, n int) [][]*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, consumeTimeout)
	defer cancel()
	cl := newClient(t, bootstrap, kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())
	defer cl.Close()
	out := make([][]*kgo.Record, partitions)
	for got := 0; got < n; {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("group %s on the target consumed %d of %d records: %v\n%s", group, got, n, err, groupState(t, bootstrap, group))
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("group %s: fetch %s-%d: %v", group, topic, p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			out[r.Partition] = append(out[r.Partition], r)
			got++
		})
	}
	return out
}

// groupState describes group on a cluster (state, members, committed
// offsets) for a failure message.
func groupState(t *testing.T, bootstrap, group string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	adm := kadm.NewClient(newClient(t, bootstrap))
	described, err := adm.DescribeGroups(ctx, group)
	if err != nil {
		return fmt.Sprintf("describe group %s: %v", group, err)
	}
	offsets, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		return fmt.Sprintf("fetch offsets of group %s: %v", group, err)
	}
	var sb strings.Builder
	for _, g := range described {
		fmt.Fprintf(&sb, "group %s: state %s, protocol %s/%s, %d members, err %v\n", g.Group, g.State, g.ProtocolType, g.Protocol, len(g.Members), g.Err)
	}
	offsets.Each(func(o kadm.OffsetResponse) {
		fmt.Fprintf(&sb, "  committed %s-%d = %d (err %v)\n", o.Topic, o.Partition, o.At, o.Err)
	})
	return sb.String()
}
