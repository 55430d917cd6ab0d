package cli

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/protocol/records"
)

func TestEveryToolRejectsZookeeper(t *testing.T) {
	for _, tl := range tools() {
		if tl.name == "server" {
			continue
		}
		t.Run(tl.name, func(t *testing.T) {
			r := execute(t, "", tl.name, "--zookeeper", "localhost:2181")
			if r.e == nil || !strings.Contains(r.e.Error(), "--bootstrap-server") || strings.Contains(r.e.Error(), "\n") {
				t.Fatalf("error %v, want one line pointing to --bootstrap-server", r.e)
			}
			if ExitCode(r.e) != 1 {
				t.Errorf("exit code %d, want 1", ExitCode(r.e))
			}
		})
	}
}

func TestParseDeleteRecordsJSON(t *testing.T) {
	offs, err := parseDeleteRecordsJSON([]byte(`{"partitions":[{"topic":"a","partition":0,"offset":5},{"topic":"a","partition":1,"offset":-1}],"version":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := offs.Lookup("a", 1); !ok || o.At != -1 {
		t.Errorf("a-1 = %+v %v", o, ok)
	}
	for in, want := range map[string]string{
		`{"partitions":[{"topic":"a","partition":0,"offset":1},{"topic":"a","partition":0,"offset":2}]}`: "duplicate",
		`{"partitions":[{"topic":"a","offset":1}]}`:                                                      "needs topic, partition and offset",
		`{"partitions":[],"version":1}`:                                                                  "no partitions",
		`{"partitions":[{"topic":"a","partition":0,"offset":1}],"version":2}`:                            "version 2",
		`{"partitions":[{"topic":"a","partition":0,"offset":-5}]}`:                                       "offset -5",
		`not json`: "offset json file",
	} {
		if _, err := parseDeleteRecordsJSON([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", in, err, want)
		}
	}
}

func TestGetOffsetsFlags(t *testing.T) {
	for in, want := range map[string]int64{"-1": -1, "latest": -1, "-2": -2, "EARLIEST": -2, "max-timestamp": -3, "1700000000000": 1700000000000} {
		if got, err := parseOffsetTime(in); err != nil || got != want {
			t.Errorf("--time %s = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"-4", "soon", ""} {
		if _, err := parseOffsetTime(bad); err == nil {
			t.Errorf("--time %q accepted", bad)
		}
	}
	f, err := parseTopicPartitionSpec("orders.*:1-3")
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[int32]bool{0: false, 1: true, 2: true, 3: false} {
		if f.match("orders-eu", p) != want {
			t.Errorf("orders.*:1-3 matches partition %d = %v", p, !want)
		}
	}
	if f.match("xorders", 1) {
		t.Error("topic regex is not anchored")
	}
	for spec, p := range map[string]int32{"t:5": 5, "t:4-": 9, "t:-2": 1, "t": 7} {
		f, err := parseTopicPartitionSpec(spec)
		if err != nil || !f.match("t", p) {
			t.Errorf("%s does not match partition %d (%v)", spec, p, err)
		}
	}
	for _, bad := range []string{"t:-", "t:x", "t:1-y", "(:1"} {
		if _, err := parseTopicPartitionSpec(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	o := &getOffsetsOptions{topic: "t", topicPartitions: "t:1"}
	if _, err := o.filters(); err == nil {
		t.Error("--topic with --topic-partitions accepted")
	}
	lines := formatListedOffsets([]listedOffset{{"b", 0, 3}, {"a", 10, 1}, {"a", 2, 7}})
	if got := strings.Join(lines, " "); got != "a:2:7 a:10:1 b:0:3" {
		t.Errorf("sorted output %q", got)
	}
}

func TestMetadataQuorumFormat(t *testing.T) {
	p := kmsg.NewDescribeQuorumResponseTopicPartition()
	p.LeaderID, p.LeaderEpoch, p.HighWatermark = 1, 4, 120
	voter := func(id int32, leo, ts int64) kmsg.DescribeQuorumResponseTopicPartitionReplicaState {
		r := kmsg.NewDescribeQuorumResponseTopicPartitionReplicaState()
		r.ReplicaID, r.LogEndOffset, r.LastFetchTimestamp, r.LastCaughtUpTimestamp = id, leo, ts, ts
		return r
	}
	p.CurrentVoters = append(p.CurrentVoters, voter(2, -1, -1), voter(1, 125, 1000))
	status := formatQuorumStatus(quorumInfo{clusterID: "abc", part: p})
	for _, want := range []string{"ClusterId:", "abc", "LeaderId:             1", "LeaderEpoch:          4",
		"HighWatermark:        120", "MaxFollowerLag:       -1", "CurrentVoters:        [2,1]", "CurrentObservers:     []"} {
		if !strings.Contains(status, want) {
			t.Errorf("--status output lacks %q:\n%s", want, status)
		}
	}
	repl := formatQuorumReplication(quorumInfo{part: p}, time.UnixMilli(1500), true)
	lines := strings.Split(strings.TrimSpace(repl), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "NodeId") ||
		!strings.Contains(lines[1], "Leader") || !strings.Contains(lines[1], "500 ms ago") ||
		!strings.Contains(lines[2], "Follower") || !strings.Contains(lines[2], "-1") {
		t.Errorf("--replication output:\n%s", repl)
	}
	if err := (&metadataQuorumOptions{status: true, replication: true}).validate(); err == nil {
		t.Error("--status with --replication accepted")
	}
}

// writeSegment writes a .log of three single-record batches at base 100
// (two appends: batches 100 and 101-102 written together) and returns its
// path with the batch positions.
func writeSegment(t *testing.T) (string, []int64) {
	t.Helper()
	dir := t.TempDir()
	var log []byte
	var pos []int64
	for i, vals := range [][]string{{"a"}, {"b", "c"}} {
		recs := make([]records.Record, len(vals))
		for j, v := range vals {
			recs[j] = records.Record{OffsetDelta: int32(j), TimestampDelta: int64(j), Value: []byte(v), KeyNull: j > 0, Key: []byte("k")}
		}
		base := int64(100 + i)
		pos = append(pos, int64(len(log)))
		var err error
		log, err = records.AppendBatch(log, records.Header{BaseOffset: base, BaseTimestamp: 1000 * base, ProducerID: -1,
			ProducerEpoch: -1, BaseSequence: -1}, recs, records.None)
		if err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "00000000000000000100.log")
	if err := os.WriteFile(path, log, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, pos
}

func writeIndex(t *testing.T, path string, entries ...[2]int64) {
	t.Helper()
	var b []byte
	for _, e := range entries {
		b = binary.BigEndian.AppendUint32(b, uint32(e[0]))
		b = binary.BigEndian.AppendUint32(b, uint32(e[1]))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDumpLog(t *testing.T) {
	logPath, pos := writeSegment(t)
	var out bytes.Buffer
	o := &dumpLogOptions{files: []string{logPath}, printData: true, keyDecoder: "StringDecoder", valueDecoder: "StringDecoder"}
	if err := o.run(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Dumping " + logPath, "Log starting offset: 100",
		"baseOffset: 100 lastOffset: 100 count: 1 baseSequence: -1 lastSequence: -1 producerId: -1",
		"position: 0 CreateTime: 100000 size:", "compresscodec: none crcValid: true",
		"| offset: 100 CreateTime: 100000 keySize: 1 valueSize: 1 sequence: -1 headerKeys: [] key: k payload: a",
		"| offset: 102 CreateTime: 101001 keySize: -1 valueSize: 1 sequence: -1 headerKeys: [] payload: c",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	idx := strings.TrimSuffix(logPath, ".log") + ".index"
	// A good index: one entry after the second append (last offset 102 at
	// the position of batch 101).
	writeIndex(t, idx, [2]int64{2, pos[1]})
	out.Reset()
	o = &dumpLogOptions{files: []string{idx}, keyDecoder: "StringDecoder", valueDecoder: "StringDecoder"}
	if err := o.run(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "offset: 102 position: "+itoa(pos[1])) || strings.Contains(out.String(), "Mismatches") {
		t.Errorf("good index:\n%s", out.String())
	}
	// Bad: a position inside a batch, and an offset the earlier batch holds.
	writeIndex(t, idx, [2]int64{0, pos[1] + 3}, [2]int64{1, pos[1] + 10})
	out.Reset()
	o.verifyIndexOnly = true
	err := o.run(&out)
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 1 {
		t.Fatalf("verify of a bad index: %v, want exit 1", err)
	}
	if !strings.Contains(out.String(), "Mismatches in :"+idx) || !strings.Contains(out.String(), "no batch starts at this position") {
		t.Errorf("bad index report:\n%s", out.String())
	}
}

func TestDumpLogTimeIndex(t *testing.T) {
	logPath, _ := writeSegment(t)
	tidx := strings.TrimSuffix(logPath, ".log") + ".timeindex"
	entry := func(ts int64, rel uint32) []byte {
		b := binary.BigEndian.AppendUint64(nil, uint64(ts))
		return binary.BigEndian.AppendUint32(b, rel)
	}
	good := append(entry(100000, 0), entry(101001, 2)...)
	if err := os.WriteFile(tidx, good, 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	o := &dumpLogOptions{files: []string{tidx}, indexSanityCheck: true, keyDecoder: "StringDecoder", valueDecoder: "StringDecoder"}
	if err := o.run(&out); err != nil || !strings.Contains(out.String(), "passed sanity check") {
		t.Fatalf("good time index: %v\n%s", err, out.String())
	}
	bad := append(entry(100000, 0), entry(99, 1)...)
	bad = append(bad, 0xff) // torn entry
	if err := os.WriteFile(tidx, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := o.run(&out); err == nil {
		t.Fatalf("bad time index passed:\n%s", out.String())
	}
	for _, want := range []string{"not a multiple of the 12-byte entry size", "decreases"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
