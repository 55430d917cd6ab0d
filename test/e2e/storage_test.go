package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// TestFailedOpenKeepsAcknowledgedData is a defect an outside attack found: a
// partition whose log cannot be opened at start-up (here a directory where
// a segment file should be; EMFILE and EIO take the same path) must go
// offline, answering KAFKA_STORAGE_ERROR, while every other partition
// serves; its directory must not be removed as an orphan; and once the
// obstacle is gone a restart serves every acknowledged record again.
func TestFailedOpenKeepsAcknowledgedData(t *testing.T) {
	const (
		topic   = "failed-open"
		parts   = 10
		records = 20_000
		broken  = int32(parts - 1)
	)
	b := harness.Start(t, nil)
	b.CreateTopic(topic, parts, nil)
	counts := produceRoundRobin(t, b, topic, parts, records)

	b.Stop()
	brokenDir := filepath.Join(b.LogDir, fmt.Sprintf("%s-%d", topic, broken))
	obstacle := filepath.Join(brokenDir, "00000000000000099999.log")
	if err := os.Mkdir(obstacle, 0o755); err != nil {
		t.Fatal(err)
	}
	b.Launch()

	if _, err := os.Stat(filepath.Join(brokenDir, "00000000000000000000.log")); err != nil {
		t.Fatalf("the partition that failed to open lost its first segment: %v", err)
	}
	cl := b.Client()
	// Straight to the broker: the client's routing would first look up a
	// leader, and Metadata rightly reports none for the offline partition.
	br := cl.Broker(1)
	for p := range int32(parts) {
		want := int16(0)
		if p == broken {
			want = kerr.KafkaStorageError.Code
		}
		if got := rawProduceCode(t, br, topic, p); got != want {
			t.Errorf("produce to partition %d: error %d (%v), want %d", p, got, kerr.ErrorForCode(got), want)
		} else if want == 0 {
			counts[p]++
		}
	}
	if got := rawFetchCode(t, br, topicID(t, b, topic), broken); got != kerr.KafkaStorageError.Code {
		t.Errorf("fetch from the offline partition: error %d (%v), want KAFKA_STORAGE_ERROR", got, kerr.ErrorForCode(got))
	}
	if got := rawListOffsetsCode(t, br, topic, broken); got != kerr.KafkaStorageError.Code {
		t.Errorf("list offsets of the offline partition: error %d (%v), want KAFKA_STORAGE_ERROR", got, kerr.ErrorForCode(got))
	}
	if strings.Contains(b.Log(), "removed partition") || strings.Contains(b.Log(), "removed orphan") {
		t.Errorf("start-up removed a partition directory although the topic exists")
	}

	b.Stop()
	if err := os.Remove(obstacle); err != nil {
		t.Fatal(err)
	}
	b.Launch()
	if got := endOffsets(t, b.Admin(), topic); fmt.Sprint(got) != fmt.Sprint(counts) {
		t.Fatalf("after removing the obstacle: end offsets %v, want %v", got, counts)
	}
	got := consumeAll(t, b, topic, counts, 2*time.Minute)
	for p := range int32(parts) {
		if int64(len(got[p])) != counts[p] {
			t.Errorf("partition %d: consumed %d records, acknowledged %d", p, len(got[p]), counts[p])
		}
	}
}

// produceRoundRobin writes n small records over parts partitions with
// acks=all and returns how many each partition acknowledged.
func produceRoundRobin(t *testing.T, b *harness.Broker, topic string, parts, n int) map[int32]int64 {
	t.Helper()
	cl := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.RecordDeliveryTimeout(time.Minute))
	defer cl.Close()
	ctx := mustCtx(t, 2*time.Minute)
	counts := make(map[int32]int64)
	const chunk = 1000
	for start := 0; start < n; start += chunk {
		var recs []*kgo.Record
		for i := start; i < min(start+chunk, n); i++ {
			p := int32(i % parts)
			recs = append(recs, &kgo.Record{Topic: topic, Partition: p, Value: fmt.Appendf(nil, "%d", i)})
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
		for _, r := range recs {
			counts[r.Partition]++
		}
	}
	return counts
}

func rawCtx(t *testing.T) context.Context { return mustCtx(t, 15*time.Second) }

// rawProduceCode sends one record to partition p with acks=all and returns
// the partition's error code, without the client's retries.
func rawProduceCode(t *testing.T, br *kgo.Broker, topic string, p int32) int16 {
	t.Helper()
	req := kmsg.NewPtrProduceRequest()
	req.Acks, req.TimeoutMillis = -1, 5000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Partition, rp.Records = p, buildBatch(time.Now().UnixMilli(), []byte("after restart"))
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(rawCtx(t), br)
	if err != nil {
		t.Fatalf("produce to %s-%d: %v", topic, p, err)
	}
	return resp.Topics[0].Partitions[0].ErrorCode
}

// rawFetchCode fetches partition p of the topic with id from offset 0
// (Fetch v13+, by topic ID) and returns its error code.
func rawFetchCode(t *testing.T, br *kgo.Broker, id [16]byte, p int32) int16 {
	t.Helper()
	req := kmsg.NewPtrFetchRequest()
	req.Version, req.ReplicaID, req.MaxWaitMillis, req.MaxBytes = 13, -1, 100, 1<<20
	rt := kmsg.NewFetchRequestTopic()
	rt.TopicID = id
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.Partition, rp.PartitionMaxBytes, rp.CurrentLeaderEpoch = p, 1<<20, -1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(rawCtx(t), br)
	if err != nil {
		t.Fatalf("fetch partition %d: %v", p, err)
	}
	return resp.Topics[0].Partitions[0].ErrorCode
}

func topicID(t *testing.T, b *harness.Broker, topic string) [16]byte {
	t.Helper()
	td, err := b.Admin().ListTopics(rawCtx(t), topic)
	if err != nil || td[topic].Err != nil {
		t.Fatalf("describe %s: %v %v", topic, err, td[topic].Err)
	}
	return td[topic].ID
}

// rawListOffsetsCode asks for partition p's end offset and returns its
// error code.
func rawListOffsetsCode(t *testing.T, br *kgo.Broker, topic string, p int32) int16 {
	t.Helper()
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewListOffsetsRequestTopicPartition()
	rp.Partition, rp.Timestamp, rp.CurrentLeaderEpoch = p, -1, -1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(rawCtx(t), br)
	if err != nil {
		t.Fatalf("list offsets %s-%d: %v", topic, p, err)
	}
	return resp.Topics[0].Partitions[0].ErrorCode
}

// TestSecondServerOnSameDirsFails: a second server started on the log.dirs
// of a running one (on another port, so only the directories are shared)
// must exit non-zero at once, naming the locked file, as Kafka does
// ("Failed to acquire lock on file .lock"), rather than block on the
// metadata store's lock; the first server must go on serving.
func TestSecondServerOnSameDirsFails(t *testing.T) {
	b := harness.Start(t, nil)
	props, err := os.ReadFile(b.PropsFile)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(props), "\n") {
		if strings.HasPrefix(l, "listeners=") {
			l = fmt.Sprintf("listeners=PLAINTEXT://127.0.0.1:%d", harness.FreePort(t))
		}
		lines = append(lines, l)
	}
	second := filepath.Join(t.TempDir(), "second.properties")
	if err := os.WriteFile(second, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}

	// The bound only keeps a hung second server from hanging the test.
	res := harness.Run(30*time.Second, "", harness.Binary(t), "server", second)
	if res.Err == nil || strings.Contains(res.Err.Error(), "timed out") {
		t.Fatalf("second server on the same log.dirs: want a prompt non-zero exit, got %s", res)
	}
	lock := filepath.Join(b.LogDir, ".lock")
	if !strings.Contains(res.Stderr, "failed to acquire lock on file "+lock) {
		t.Errorf("second server's error does not name %s:\n%s", lock, res)
	}
	b.CreateTopic("still-serving", 1, nil)
	produceRoundRobin(t, b, "still-serving", 1, 10)
}

// TestTooFewFileDescriptorsDeleteNothing is the EMFILE form of that
// first defect: a start with `ulimit -n` below what the partitions need
// must leave the partitions that could not open offline, not try to remove
// them as orphans; a normal restart then serves every acknowledged record.
func TestTooFewFileDescriptorsDeleteNothing(t *testing.T) {
	const (
		topic   = "few-fds"
		parts   = 200
		records = 2000
	)
	b := harness.Start(t, nil)
	b.CreateTopic(topic, parts, nil)
	counts := produceRoundRobin(t, b, topic, parts, records)
	b.Stop()

	logFile := filepath.Join(t.TempDir(), "few-fds.log")
	out, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command("sh", "-c", `ulimit -n 64 && exec "$0" server "$1"`, harness.Binary(t), b.PropsFile)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // ends when the process does; the test kills it below
	var log string
	err = harness.Poll(time.Minute, func() error {
		b, _ := os.ReadFile(logFile)
		log = string(b)
		select {
		case err := <-exited:
			exited <- err
			return nil // exited on its own: judge what it did
		default:
		}
		if !strings.Contains(log, "samsa node started") {
			return fmt.Errorf("not started yet")
		}
		return nil
	})
	_ = cmd.Process.Kill()
	<-exited
	if err != nil {
		t.Fatalf("start with 64 file descriptors: %v\n%s", err, lastLines(log, 20))
	}
	b2, _ := os.ReadFile(logFile)
	log = string(b2)
	if !strings.Contains(log, "too many open files") {
		t.Fatalf("64 file descriptors did not run out; the test did not exercise EMFILE:\n%s", lastLines(log, 20))
	}
	if strings.Contains(log, "orphan partition") || strings.Contains(log, "removed partition") {
		t.Errorf("start-up with too few file descriptors tried to remove partition directories of a live topic")
	}
	ents, err := os.ReadDir(b.LogDir)
	if err != nil {
		t.Fatal(err)
	}
	dirs := 0
	for _, e := range ents {
		if e.IsDir() && strings.HasPrefix(e.Name(), topic+"-") {
			dirs++
		}
	}
	if dirs != parts {
		t.Fatalf("%d of %d partition directories left", dirs, parts)
	}

	b.Launch()
	if got := endOffsets(t, b.Admin(), topic); fmt.Sprint(got) != fmt.Sprint(counts) {
		t.Fatalf("after a normal restart: end offsets %v, want %v", got, counts)
	}
}
