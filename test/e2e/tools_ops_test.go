package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// TestOperationsTools runs get-offsets, delete-records, log-dirs,
// metadata-quorum and dump-log against a real broker and its data
// directory, checking their output against what the clients see.
func TestOperationsTools(t *testing.T) {
	b := harness.Start(t, nil)
	h := b.Addr
	// Small index interval: the segment gets offset and time index entries.
	b.CreateTopic("ops", 2, map[string]string{"index.interval.bytes": "200"})
	cl := b.Client(kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	for i := 0; i < 10; i++ { // ten flushes: several appends per partition
		produceTo(t, cl, "ops", 20)
	}
	ends := listEnds(t, b.Admin(), "ops")

	t.Run("get-offsets", func(t *testing.T) {
		out := harness.MustTool(t, toolTimeout, "", "get-offsets", "--bootstrap-server", h, "--topic", "ops")
		want := []string{fmt.Sprintf("ops:0:%d", ends[0]), fmt.Sprintf("ops:1:%d", ends[1])}
		if got := lines(out.Stdout); !slices.Equal(got, want) {
			t.Errorf("get-offsets printed %q, want %q", got, want)
		}
		out = harness.MustTool(t, toolTimeout, "", "get-offsets", "--bootstrap-server", h, "--topic", "o.s",
			"--partitions", "1", "--time", "earliest")
		if got := lines(out.Stdout); !slices.Equal(got, []string{"ops:1:0"}) {
			t.Errorf("get-offsets --time earliest --partitions 1 printed %q", got)
		}
		if r := harness.Tool(t, toolTimeout, "", "get-offsets", "--bootstrap-server", h, "--topic", "nope"); r.Err == nil {
			t.Errorf("get-offsets of an unknown topic succeeded: %s", r)
		}
	})

	t.Run("delete-records", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "delete.json")
		doc := `{"partitions":[{"topic":"ops","partition":0,"offset":10},{"topic":"ops","partition":1,"offset":999999}],"version":1}`
		if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		out := harness.MustTool(t, toolTimeout, "", "delete-records", "--bootstrap-server", h, "--offset-json-file", file)
		got := lines(out.Stdout)
		if len(got) != 4 || got[0] != "Executing records delete operation" ||
			got[2] != "partition: ops-0\tlow_watermark: 10" || !strings.HasPrefix(got[3], "partition: ops-1\terror: OFFSET_OUT_OF_RANGE") {
			t.Errorf("delete-records printed:\n%s", out.Stdout)
		}
		out = harness.MustTool(t, toolTimeout, "", "get-offsets", "--bootstrap-server", h, "--topic", "ops", "--time", "-2")
		if got := lines(out.Stdout); !slices.Equal(got, []string{"ops:0:10", "ops:1:0"}) {
			t.Errorf("start offsets after delete-records: %q", got)
		}
	})

	t.Run("log-dirs", func(t *testing.T) {
		out := harness.MustTool(t, toolTimeout, "", "log-dirs", "--bootstrap-server", h, "--describe", "--topic-list", "ops")
		ls := lines(out.Stdout)
		if len(ls) != 3 || ls[0] != "Querying brokers for log directories information" ||
			ls[1] != "Received log directory information from brokers 1" {
			t.Fatalf("log-dirs printed:\n%s", out.Stdout)
		}
		var doc struct {
			Version int
			Brokers []struct {
				Broker  int32
				LogDirs []struct {
					LogDir     string
					Error      *string
					Partitions []struct {
						Partition string
						Size      int64
					}
				}
			}
		}
		if err := json.Unmarshal([]byte(ls[2]), &doc); err != nil {
			t.Fatalf("log-dirs JSON: %v\n%s", err, ls[2])
		}
		if doc.Version != 1 || len(doc.Brokers) != 1 || len(doc.Brokers[0].LogDirs) != 1 {
			t.Fatalf("log-dirs document: %s", ls[2])
		}
		dir := doc.Brokers[0].LogDirs[0]
		if dir.LogDir != b.LogDir || dir.Error != nil || len(dir.Partitions) != 2 || dir.Partitions[0].Partition != "ops-0" {
			t.Errorf("log dir %+v, want %s with ops-0 and ops-1", dir, b.LogDir)
		}
		for _, p := range dir.Partitions {
			if want := dirSize(t, filepath.Join(b.LogDir, p.Partition), ".log"); p.Size != want {
				t.Errorf("%s size %d, want the %d bytes of its .log files", p.Partition, p.Size, want)
			}
		}
	})

	t.Run("metadata-quorum", func(t *testing.T) {
		out := harness.MustTool(t, toolTimeout, "", "metadata-quorum", "--bootstrap-server", h, "describe", "--status")
		for _, re := range []string{`(?m)^ClusterId:\s+\S+$`, `(?m)^LeaderId:\s+1$`, `(?m)^LeaderEpoch:\s+[1-9]\d*$`,
			`(?m)^HighWatermark:\s+[1-9]\d*$`, `(?m)^CurrentVoters:\s+\[1\]$`} {
			if !regexp.MustCompile(re).MatchString(out.Stdout) {
				t.Errorf("--status lacks %s:\n%s", re, out.Stdout)
			}
		}
		out = harness.MustTool(t, toolTimeout, "", "metadata-quorum", "--bootstrap-server", h, "describe", "--replication")
		if !regexp.MustCompile(`(?m)^1\s+[1-9]\d*\s+0\s+\d+\s+\d+\s+Leader$`).MatchString(out.Stdout) {
			t.Errorf("--replication:\n%s", out.Stdout)
		}
	})

	t.Run("zookeeper", func(t *testing.T) {
		for _, tool := range []string{"get-offsets", "delete-records", "log-dirs", "metadata-quorum", "dump-log", "console-consumer"} {
			r := harness.Tool(t, toolTimeout, "", tool, "--zookeeper", "localhost:2181")
			var ee *exec.ExitError
			if !errors.As(r.Err, &ee) || ee.ExitCode() != 1 || len(lines(r.Stderr)) != 1 ||
				!strings.Contains(r.Stderr, "--bootstrap-server") {
				t.Errorf("%s --zookeeper: %s", tool, r)
			}
		}
	})

	// dump-log reads the files offline: stop the broker so that the index
	// files are complete (written at close).
	b.Stop()
	t.Run("dump-log", func(t *testing.T) { testDumpLog(t, filepath.Join(b.LogDir, "ops-1")) })
}

func testDumpLog(t *testing.T, dir string) {
	seg := filepath.Join(dir, "00000000000000000000")
	out := harness.MustTool(t, toolTimeout, "", "dump-log", "--files", seg+".log", "--print-data-log")
	if !strings.Contains(out.Stdout, "Log starting offset: 0") ||
		!regexp.MustCompile(`(?m)^baseOffset: 0 lastOffset: \d+ count: \d+ .* crcValid: true$`).MatchString(out.Stdout) ||
		!regexp.MustCompile(`(?m)^\| offset: 0 CreateTime: \d+ keySize: -1 valueSize: 3 .* payload: v-\d+$`).MatchString(out.Stdout) {
		t.Errorf("dump-log of the .log:\n%s", lastLines(out.Stdout, 20))
	}
	out = harness.MustTool(t, toolTimeout, "", "dump-log", "--files", seg+".index,"+seg+".timeindex")
	if !regexp.MustCompile(`(?m)^offset: \d+ position: \d+$`).MatchString(out.Stdout) ||
		!regexp.MustCompile(`(?m)^timestamp: \d+ offset: \d+$`).MatchString(out.Stdout) || strings.Contains(out.Stdout, "Mismatches") {
		t.Errorf("dump-log of the indexes:\n%s", out.Stdout)
	}
	harness.MustTool(t, toolTimeout, "", "dump-log", "--files", seg+".index,"+seg+".timeindex", "--verify-index-only")

	// A damaged copy: shift the first offset entry's position by one byte.
	bad := filepath.Join(t.TempDir(), "00000000000000000000")
	copyFile(t, seg+".log", bad+".log")
	idx, err := os.ReadFile(seg + ".index")
	if err != nil || len(idx) < 8 {
		t.Fatalf("index: %v (%d bytes)", err, len(idx))
	}
	idx[7]++
	if err := os.WriteFile(bad+".index", idx, 0o644); err != nil {
		t.Fatal(err)
	}
	r := harness.Tool(t, toolTimeout, "", "dump-log", "--files", bad+".index", "--verify-index-only")
	if r.Err == nil || !strings.Contains(r.Stdout, "Mismatches in :"+bad+".index") {
		t.Errorf("damaged index not reported: %s", r)
	}
}

func listEnds(t *testing.T, adm *kadm.Client, topic string) map[int32]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	listed, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	listed.Each(func(o kadm.ListedOffset) { out[o.Partition] = o.Offset })
	return out
}

// dirSize sums the sizes of the files in dir with the extension ext.
func dirSize(t *testing.T, dir, ext string) int64 {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ext {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		n += fi.Size()
	}
	return n
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(ls[max(len(ls)-n, 0):], "\n")
}
