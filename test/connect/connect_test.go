package connect

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/test/internal/harness"
)

const (
	fileSource    = "org.apache.kafka.connect.file.FileStreamSourceConnector"
	fileSink      = "org.apache.kafka.connect.file.FileStreamSinkConnector"
	jsonConverter = "org.apache.kafka.connect.json.JsonConverter"

	// arriveTimeout bounds how long appended lines may take to go from the
	// source file through the topic into the sink file.
	arriveTimeout = 90 * time.Second
	// failoverTimeout bounds how long a distributed cluster may take to
	// notice a killed worker (session.timeout.ms), wait out
	// scheduled.rebalance.max.delay.ms and start the lost connectors and
	// tasks on the survivor, or to hand some back to a restarted worker.
	failoverTimeout = 2 * time.Minute
	// groupTimeout bounds how long the workers' group may take to settle.
	groupTimeout = 90 * time.Second

	connectGroup = "connect-cluster"
)

// TestConnect runs Kafka Connect against the reference Kafka node and then
// against Samsa: connect-standalone (the quickstart's FileStream round
// trip) and, side by side on the same node, connect-distributed with two
// workers, which are killed and restarted. They share no topic, group or
// file; side by side, the JVMs of one start while the other's wait.
func TestConnect(t *testing.T) {
	harness.ForEachTarget(t, nil, nil, func(t *testing.T, tg harness.Target) {
		t.Run("standalone", func(t *testing.T) {
			t.Parallel()
			standalone(t, tg)
		})
		t.Run("distributed", func(t *testing.T) {
			t.Parallel()
			distributed(t, tg)
		})
	})
}

// workerProps are the worker settings of Kafka's config/connect-*.properties
// (JSON with schemas), with offsets flushed every second instead of every
// minute: FileStreamSink flushes its file only when offsets are committed.
func workerProps(tg harness.Target) map[string]string {
	return map[string]string{
		"bootstrap.servers":              tg.Bootstrap,
		"key.converter":                  jsonConverter,
		"value.converter":                jsonConverter,
		"key.converter.schemas.enable":   "true",
		"value.converter.schemas.enable": "true",
		"offset.flush.interval.ms":       "1000",
		"plugin.discovery":               "service_load",
	}
}

// standalone is the quickstart's Connect step: a FileStreamSource reads a
// file into topic connect-test (auto-created on first produce) and a
// FileStreamSink writes that topic into another file. Nothing fails here,
// so every line must arrive exactly once and in order.
func standalone(t *testing.T, tg harness.Target) {
	step := stepLogger(t)
	dir := t.TempDir()
	src, sink := filepath.Join(dir, "test.txt"), filepath.Join(dir, "test.sink.txt")
	want := numbered("standalone", 1, 5)
	appendLines(t, src, want) // as in the quickstart, the file has lines before the worker starts

	worker := workerProps(tg)
	worker["offset.storage.file.filename"] = filepath.Join(dir, "connect.offsets")
	w := harness.StartConnectStandalone(t, worker,
		map[string]string{
			"name": "local-file-source", "connector.class": fileSource, "tasks.max": "1",
			"file": src, "topic": "connect-test",
		},
		map[string]string{
			"name": "local-file-sink", "connector.class": fileSink, "tasks.max": "1",
			"file": sink, "topics": "connect-test",
		})
	step("worker ready")
	waitRunning(t, w, "local-file-source")
	waitRunning(t, w, "local-file-sink")
	expectExactly(t, sink, want)
	step("first lines arrived")

	more := numbered("standalone", 6, 20)
	appendLines(t, src, more)
	want = append(want, more...)
	expectExactly(t, sink, want)
	expectTopic(t, tg, "connect-test", want)
	step("all lines arrived")
}

// distributed runs two workers of one Connect cluster: their internal
// topics must be compacted and their group a classic one of protocol type
// "connect". The worker running the source task is killed (SIGKILL: no
// offset commit, no leaving the group) while lines keep coming, the
// survivor must take over every connector and task, and the killed worker,
// restarted, must get work back.
//
// The kill comes only once both tasks have committed their offsets (the
// source's file position in connect-offsets, the sink's in its consumer
// group), so the survivor must resume exactly: the sink file holds every
// line once, in order. FileStreamSink is at-least-once, though: a task
// handed back to the restarted worker in a rebalance may have written lines
// it had not yet committed, which its successor writes again. So after the
// restart the file must hold every line in order of first appearance,
// nothing that was not appended, and its lines from before the restart
// exactly; repeats are logged.
func distributed(t *testing.T, tg harness.Target) {
	step := stepLogger(t)
	dir := t.TempDir()
	src, sink := filepath.Join(dir, "source.txt"), filepath.Join(dir, "sink.txt")
	appendLines(t, src, nil)

	rf := strconv.Itoa(tg.Nodes)
	worker := workerProps(tg)
	maps.Copy(worker, map[string]string{
		"group.id":                          connectGroup,
		"config.storage.topic":              "connect-configs",
		"offset.storage.topic":              "connect-offsets",
		"status.storage.topic":              "connect-status",
		"config.storage.replication.factor": rf,
		"offset.storage.replication.factor": rf,
		"status.storage.replication.factor": rf,
		// Hand a dead worker's connectors and tasks to the survivor after
		// 5 s instead of the default 5 min.
		"scheduled.rebalance.max.delay.ms": "5000",
		"session.timeout.ms":               "6000",
		"heartbeat.interval.ms":            "1000",
		// The sink task's consumer: a killed worker's sink consumer holds
		// up its successor's join until its session expires (45 s by
		// default).
		"consumer.session.timeout.ms":    "10000",
		"consumer.heartbeat.interval.ms": "1000",
	})
	workers := []*harness.ConnectWorker{harness.NewConnectDistributed(t, worker), harness.NewConnectDistributed(t, worker)}
	for _, w := range workers { // side by side: each JVM takes a while to start
		w.Spawn()
	}
	for _, w := range workers {
		w.WaitReady()
	}
	step("workers ready")
	cl := newClient(t, tg)
	expectInternalTopics(t, kadm.NewClient(cl))
	expectConnectGroup(t, cl, 2)

	createConnector(t, workers[0], "dist-source", map[string]string{
		"connector.class": fileSource, "tasks.max": "1", "file": src, "topic": "connect-distributed",
		// Connect creates the topic itself (KIP-158) rather than the
		// producer's metadata request.
		"topic.creation.default.replication.factor": rf,
		"topic.creation.default.partitions":         "1",
	})
	createConnector(t, workers[1], "dist-sink", map[string]string{
		"connector.class": fileSink, "tasks.max": "1", "file": sink, "topics": "connect-distributed",
	})
	for _, w := range workers {
		waitRunning(t, w, "dist-source")
		waitRunning(t, w, "dist-sink")
	}
	step("connectors running")
	want := numbered("distributed", 1, 10)
	appendLines(t, src, want)
	expectExactly(t, sink, want)
	step("first lines arrived")
	// Both tasks commit every second: once the source's file position is in
	// connect-offsets and the sink's group has committed the topic's end,
	// whichever worker takes a task over resumes exactly where it stopped,
	// so the kill must cost no line and repeat none.
	expectSourceOffset(t, tg, "dist-source", fileSize(t, src))
	expectSinkCommitted(t, kadm.NewClient(cl), "dist-sink", "connect-distributed")
	step("offsets committed")

	st, err := workers[0].Status("dist-source")
	if err != nil {
		t.Fatal(err)
	}
	sinkSt, err := workers[0].Status("dist-sink")
	if err != nil {
		t.Fatal(err)
	}
	victim, survivor := workers[0], workers[1]
	if st.Tasks[0].WorkerID == survivor.RESTAddr {
		victim, survivor = survivor, victim
	}
	if st.Tasks[0].WorkerID != victim.RESTAddr {
		t.Fatalf("dist-source task runs on %q, neither worker (%s, %s)", st.Tasks[0].WorkerID, victim.RESTAddr, survivor.RESTAddr)
	}
	step(fmt.Sprintf("killing worker %s, which runs the source task (source connector on %s, sink connector on %s, sink task on %s)",
		victim.RESTAddr, st.Connector.WorkerID, sinkSt.Connector.WorkerID, sinkSt.Tasks[0].WorkerID))
	victim.Kill()

	more := numbered("distributed", 11, 20)
	appendLines(t, src, more)
	want = append(want, more...)
	expectAllOn(t, survivor)
	step("all on the survivor")
	expectExactly(t, sink, want)
	expectConnectGroup(t, cl, 1)
	step("lines written while a worker was down arrived")

	victim.Launch()
	step("worker restarted")
	expectConnectGroup(t, cl, 2)
	harness.Eventually(t, failoverTimeout, func() error {
		var on []string
		for _, name := range []string{"dist-source", "dist-sink"} {
			st, err := survivor.Status(name)
			if err != nil {
				return err
			}
			if err := st.Running(1); err != nil {
				return err
			}
			on = append(on, workerIDs(st)...)
		}
		if !slices.Contains(on, victim.RESTAddr) {
			return fmt.Errorf("connectors and tasks run on %v, none on the restarted worker %s", on, victim.RESTAddr)
		}
		return nil
	})
	step("restarted worker has work again")
	exact := len(want)
	more = numbered("distributed", 21, 30)
	appendLines(t, src, more)
	want = append(want, more...)
	expectAtLeastOnce(t, sink, want, exact)

	var names []string
	if err := victim.REST(http.MethodGet, "/connectors", nil, &names); err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"dist-sink", "dist-source"}) {
		t.Errorf("restarted worker lists connectors %v, want [dist-sink dist-source]", names)
	}
	step("all lines arrived")

	// Connect's assignor gives each worker one connector and its task, so
	// the first kill moved the source task only. Now the worker running the
	// sink task goes, once offsets are committed again: its successor's
	// consumer must resume from the sink group's committed offset, writing
	// the new lines after what the file holds, once each.
	expectSourceOffset(t, tg, "dist-source", fileSize(t, src))
	expectSinkCommitted(t, kadm.NewClient(cl), "dist-sink", "connect-distributed")
	sinkSt, err = survivor.Status("dist-sink")
	if err != nil {
		t.Fatal(err)
	}
	victim, survivor = workers[0], workers[1]
	if sinkSt.Tasks[0].WorkerID == survivor.RESTAddr {
		victim, survivor = survivor, victim
	}
	step("offsets committed; killing worker " + victim.RESTAddr + ", which runs the sink task")
	victim.Kill()
	held, err := readLines(sink)
	if err != nil {
		t.Fatal(err)
	}
	more = numbered("distributed", 31, 40)
	appendLines(t, src, more)
	expectAllOn(t, survivor)
	expectExactly(t, sink, append(held, more...))
	step("lines written after the sink task's worker died arrived")
}

// expectAllOn waits until both connectors and their tasks run on w alone.
func expectAllOn(t *testing.T, w *harness.ConnectWorker) {
	t.Helper()
	harness.Eventually(t, failoverTimeout, func() error {
		for _, name := range []string{"dist-source", "dist-sink"} {
			st, err := w.Status(name)
			if err != nil {
				return err
			}
			if err := st.Running(1); err != nil {
				return err
			}
			if on := workerIDs(st); !slices.Equal(on, []string{w.RESTAddr}) {
				return fmt.Errorf("%s runs on %v, want only on %s", name, on, w.RESTAddr)
			}
		}
		return nil
	})
}

// stepLogger logs each step with the time since the check began, so that
// a slow run shows where its time went.
func stepLogger(t *testing.T) func(string) {
	start := time.Now()
	return func(step string) {
		t.Helper()
		t.Logf("+%4.1fs %s", time.Since(start).Seconds(), step)
	}
}

// createConnector creates a connector through POST /connectors.
func createConnector(t *testing.T, w *harness.ConnectWorker, name string, config map[string]string) {
	t.Helper()
	body := map[string]any{"name": name, "config": config}
	// A worker that just joined may still answer 409 (rebalance in
	// progress): ask again, within bounds.
	harness.Eventually(t, groupTimeout, func() error {
		return w.REST(http.MethodPost, "/connectors", body, nil)
	})
}

// waitRunning waits until the worker reports the connector and its one
// task RUNNING.
func waitRunning(t *testing.T, w *harness.ConnectWorker, name string) {
	t.Helper()
	harness.Eventually(t, arriveTimeout, func() error {
		st, err := w.Status(name)
		if err != nil {
			return err
		}
		return st.Running(1)
	})
}

// workerIDs lists the distinct workers the connector and its tasks run on.
func workerIDs(st harness.ConnectorStatus) []string {
	on := []string{st.Connector.WorkerID}
	for _, task := range st.Tasks {
		on = append(on, task.WorkerID)
	}
	slices.Sort(on)
	return slices.Compact(on)
}

func newClient(t *testing.T, tg harness.Target) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(tg.Bootstrap, ",")...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// expectInternalTopics checks the topics the workers created for their
// configs, offsets and statuses: compacted, with Connect's default
// partition counts (the config topic must have exactly one).
func expectInternalTopics(t *testing.T, admin *kadm.Client) {
	t.Helper()
	wantPartitions := map[string]int{"connect-configs": 1, "connect-offsets": 25, "connect-status": 5}
	topics := slices.Sorted(maps.Keys(wantPartitions))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	details, err := admin.ListTopics(ctx, topics...)
	if err != nil {
		t.Fatalf("metadata of the internal topics: %v", err)
	}
	for _, topic := range topics {
		td, ok := details[topic]
		if !ok || td.Err != nil {
			t.Errorf("internal topic %s: missing (%v)", topic, td.Err)
			continue
		}
		if got := len(td.Partitions); got != wantPartitions[topic] {
			t.Errorf("internal topic %s has %d partitions, want %d", topic, got, wantPartitions[topic])
		}
	}
	configs, err := admin.DescribeTopicConfigs(ctx, topics...)
	if err != nil {
		t.Fatalf("describe configs of the internal topics: %v", err)
	}
	for _, rc := range configs {
		if rc.Err != nil {
			t.Errorf("describe configs %s: %v (%s)", rc.Name, rc.Err, rc.ErrMessage)
			continue
		}
		policy := "<unset>"
		for _, c := range rc.Configs {
			if c.Key == "cleanup.policy" && c.Value != nil {
				policy = *c.Value
			}
		}
		if policy != "compact" {
			t.Errorf("internal topic %s: cleanup.policy=%s, want compact", rc.Name, policy)
		}
	}
}

// expectConnectGroup waits until the workers' group is Stable with members
// members, a classic group (ListGroups with a types filter) whose protocol
// type is "connect" and whose protocol is Connect's default, "sessioned".
func expectConnectGroup(t *testing.T, cl *kgo.Client, members int) {
	t.Helper()
	admin := kadm.NewClient(cl)
	harness.Eventually(t, groupTimeout, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		groups, err := admin.DescribeGroups(ctx, connectGroup)
		if err != nil {
			return fmt.Errorf("describe group: %w", err)
		}
		g := groups[connectGroup]
		if g.Err != nil {
			return fmt.Errorf("describe group: %w", g.Err)
		}
		if g.State != "Stable" || g.ProtocolType != "connect" || g.Protocol != "sessioned" || len(g.Members) != members {
			return fmt.Errorf("group %s: state %q protocol type %q protocol %q, %d members; want Stable, connect, sessioned, %d",
				connectGroup, g.State, g.ProtocolType, g.Protocol, len(g.Members), members)
		}
		for _, typ := range []string{"classic", "consumer"} {
			req := kmsg.NewPtrListGroupsRequest()
			req.TypesFilter = []string{typ}
			resp, err := req.RequestWith(ctx, cl)
			if err != nil {
				return fmt.Errorf("list %s groups: %w", typ, err)
			}
			listed := false
			for _, lg := range resp.Groups {
				if lg.Group != connectGroup {
					continue
				}
				listed = true
				if lg.GroupType != "classic" || lg.ProtocolType != "connect" {
					return fmt.Errorf("list groups lists %s as type %q protocol type %q, want classic, connect", connectGroup, lg.GroupType, lg.ProtocolType)
				}
			}
			if listed != (typ == "classic") {
				return fmt.Errorf("ListGroups with types filter [%s]: listed %s = %v", typ, connectGroup, listed)
			}
		}
		return nil
	})
}

// expectTopic reads the whole topic and checks that it holds one record per
// line, in order, each value the JsonConverter's envelope of the line: a
// string schema and the line as payload.
func expectTopic(t *testing.T, tg harness.Target, topic string, lines []string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(tg.Bootstrap, ",")...),
		kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatalf("end offsets of %s: %v", topic, err)
	}
	var total int64
	ends.Each(func(o kadm.ListedOffset) { total += o.Offset })
	if total != int64(len(lines)) {
		t.Fatalf("topic %s holds %d records, want %d", topic, total, len(lines))
	}
	var got []string
	for int64(len(got)) < total && ctx.Err() == nil {
		fetches := cl.PollFetches(ctx)
		fetches.EachError(func(_ string, _ int32, err error) { t.Logf("fetch %s: %v", topic, err) })
		fetches.EachRecord(func(r *kgo.Record) {
			var envelope struct {
				Schema  struct{ Type string } `json:"schema"`
				Payload string                `json:"payload"`
			}
			if err := json.Unmarshal(r.Value, &envelope); err != nil || envelope.Schema.Type != "string" {
				t.Errorf("record %d of %s: value %q is no JSON string envelope (%v)", r.Offset, topic, r.Value, err)
			}
			got = append(got, envelope.Payload)
		})
	}
	if !slices.Equal(got, lines) {
		t.Errorf("topic %s payloads:\n%s\nwant:\n%s", topic, strings.Join(got, "\n"), strings.Join(lines, "\n"))
	}
}

// expectSourceOffset waits until the latest record of the connector in
// connect-offsets holds FileStreamSource's file position (its offset
// {"position": N}, keyed [connector, {"filename": ...}]) at position.
func expectSourceOffset(t *testing.T, tg harness.Target, connector string, position int64) {
	t.Helper()
	harness.Eventually(t, arriveTimeout, func() error {
		records, err := readTopic(tg, "connect-offsets")
		if err != nil {
			return err
		}
		got := int64(-1)
		for _, r := range records {
			var key []json.RawMessage
			var name string
			if json.Unmarshal(r.Key, &key) != nil || len(key) != 2 || json.Unmarshal(key[0], &name) != nil || name != connector {
				continue
			}
			var value struct {
				Position int64 `json:"position"`
			}
			if err := json.Unmarshal(r.Value, &value); err != nil {
				return fmt.Errorf("connect-offsets record %s: value %q: %w", r.Key, r.Value, err)
			}
			got = value.Position
		}
		if got != position {
			return fmt.Errorf("connect-offsets holds position %d for %s, want %d", got, connector, position)
		}
		return nil
	})
}

// expectSinkCommitted waits until the sink connector's consumer group
// (connect-<name>) has committed the end of every partition of topic.
func expectSinkCommitted(t *testing.T, admin *kadm.Client, connector, topic string) {
	t.Helper()
	group := "connect-" + connector
	harness.Eventually(t, arriveTimeout, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ends, err := admin.ListEndOffsets(ctx, topic)
		if err != nil {
			return fmt.Errorf("end offsets of %s: %w", topic, err)
		}
		committed, err := admin.FetchOffsets(ctx, group)
		if err != nil {
			return fmt.Errorf("offsets of group %s: %w", group, err)
		}
		var behind []string
		ends.Each(func(end kadm.ListedOffset) {
			if c, ok := committed.Lookup(topic, end.Partition); !ok || c.Err != nil || c.At != end.Offset {
				behind = append(behind, fmt.Sprintf("%s-%d: committed %+v, end %d", topic, end.Partition, c, end.Offset))
			}
		})
		if len(behind) > 0 {
			return fmt.Errorf("group %s: %v", group, behind)
		}
		return nil
	})
}

// readTopic reads every partition of topic from its start to its end
// offset as they were when it began, with a fresh client.
func readTopic(tg harness.Target, topic string) ([]*kgo.Record, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(tg.Bootstrap, ",")...),
		kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	admin := kadm.NewClient(cl)
	starts, err := admin.ListStartOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("start offsets of %s: %w", topic, err)
	}
	ends, err := admin.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("end offsets of %s: %w", topic, err)
	}
	// The last offset each non-empty partition must be read up to.
	last := map[int32]int64{}
	ends.Each(func(end kadm.ListedOffset) {
		if start, ok := starts.Lookup(topic, end.Partition); ok && start.Offset < end.Offset {
			last[end.Partition] = end.Offset - 1
		}
	})
	var records []*kgo.Record
	for len(last) > 0 {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("read %s: %d partitions not read to their end: %w", topic, len(last), ctx.Err())
		}
		fetches.EachRecord(func(r *kgo.Record) {
			records = append(records, r)
			if want, ok := last[r.Partition]; ok && r.Offset >= want {
				delete(last, r.Partition)
			}
		})
	}
	return records, nil
}
