package e2e

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/samsa-io/samsa/test/internal/harness"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

const (
	retRecords    = 150
	retMinLogs    = 10
	retSegmentLen = "1024"
)

// TestRetention rolls many small segments (segment.bytes=1024) under a
// long retention.ms, lowers retention.ms to 1 at run time, and expects the
// broker's retention check (every 200 ms) to delete the old segments and
// advance the log start offset. The change is made three ways: kadm
// (IncrementalAlterConfigs), `samsa configs --alter --add-config` and
// `samsa topics --alter --config`.
func TestRetention(t *testing.T) {
	b := harness.Start(t, map[string]string{"log.retention.check.interval.ms": "200"})
	alters := map[string]func(t *testing.T, topic string){
		"kadm": func(t *testing.T, topic string) {
			ctx := mustCtx(t, 30*time.Second)
			resp, err := b.Admin().AlterTopicConfigs(ctx,
				[]kadm.AlterConfig{{Op: kadm.SetConfig, Name: "retention.ms", Value: kadm.StringPtr("1")}}, topic)
			if err != nil {
				t.Fatalf("alter retention.ms: %v", err)
			}
			for _, r := range resp {
				if r.Err != nil {
					t.Fatalf("alter retention.ms of %s: %v (%s)", r.Name, r.Err, r.ErrMessage)
				}
			}
		},
		"configs-tool": func(t *testing.T, topic string) {
			harness.MustTool(t, 30*time.Second, "", "configs", "--bootstrap-server", b.Addr,
				"--alter", "--entity-type", "topics", "--entity-name", topic, "--add-config", "retention.ms=1")
		},
		"topics-tool": func(t *testing.T, topic string) {
			harness.MustTool(t, 30*time.Second, "", "topics", "--bootstrap-server", b.Addr,
				"--alter", "--topic", topic, "--config", "retention.ms=1")
		},
	}
	for _, name := range []string{"kadm", "configs-tool", "topics-tool"} {
		t.Run(name, func(t *testing.T) { testRetentionAfterAlter(t, b, "ret-"+name, alters[name]) })
	}
}

func testRetentionAfterAlter(t *testing.T, b *harness.Broker, topic string, alter func(*testing.T, string)) {
	b.CreateTopic(topic, 1, map[string]string{"segment.bytes": retSegmentLen, "retention.ms": "86400000"})
	cl := b.Client(kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(0))
	ctx := mustCtx(t, time.Minute)
	value := bytes.Repeat([]byte("r"), 200)
	for i := range retRecords {
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: value}).FirstErr(); err != nil {
			t.Fatalf("produce %d: %v", i, err)
		}
	}
	dir := filepath.Join(b.LogDir, topic+"-0")
	before := countLogs(t, dir)
	if before < retMinLogs {
		t.Fatalf("%d .log files in %s after %d records with segment.bytes=%s, want >= %d",
			before, dir, retRecords, retSegmentLen, retMinLogs)
	}
	adm := kadm.NewClient(cl)
	if start := startOffset(ctx, t, adm, topic); start != 0 {
		t.Fatalf("log start offset %d before lowering retention, want 0", start)
	}

	alter(t, topic)
	checkTopicConfig(ctx, t, adm, topic, "retention.ms", "1")
	harness.Eventually(t, 30*time.Second, func() error {
		n := countLogs(t, dir)
		start := startOffset(ctx, t, adm, topic)
		if n > 2 || start == 0 {
			return fmt.Errorf("%d .log files (had %d), log start offset %d", n, before, start)
		}
		return nil
	})
	if end := endOffsets(t, adm, topic)[0]; end != retRecords {
		t.Errorf("end offset %d after retention, want %d", end, retRecords)
	}
}

// countLogs counts the segment files (*.log) of one partition directory.
func countLogs(t *testing.T, dir string) int {
	t.Helper()
	logs, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil {
		t.Fatalf("glob %s: %v", dir, err)
	}
	return len(logs)
}

func startOffset(ctx context.Context, t *testing.T, adm *kadm.Client, topic string) int64 {
	t.Helper()
	listed, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		t.Fatalf("list start offsets: %v", err)
	}
	o, ok := listed.Lookup(topic, 0)
	if !ok || o.Err != nil {
		t.Fatalf("list start offsets: partition 0: %+v", o)
	}
	return o.Offset
}

// checkTopicConfig wants DescribeConfigs to report key=value for topic.
func checkTopicConfig(ctx context.Context, t *testing.T, adm *kadm.Client, topic, key, value string) {
	t.Helper()
	rcs, err := adm.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		t.Fatalf("describe configs of %s: %v", topic, err)
	}
	rc, err := rcs.On(topic, nil)
	if err != nil {
		t.Fatalf("describe configs of %s: %v", topic, err)
	}
	for _, c := range rc.Configs {
		if c.Key == key {
			if c.MaybeValue() != value {
				t.Errorf("%s %s = %q, want %q", topic, key, c.MaybeValue(), value)
			}
			return
		}
	}
	t.Errorf("%s: %s not described", topic, key)
}
