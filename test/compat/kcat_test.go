package compat

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/samsa-io/samsa/test/internal/harness"
)

const (
	kcatMessages = 1000
	// kcatTimeout bounds each kcat run; 1,000 small messages take well
	// under a second against a healthy broker.
	kcatTimeout = 30 * time.Second
)

// codecs maps kcat's -z names to the batch attribute codec numbers.
var codecs = []struct {
	name string
	id   int
}{{"none", 0}, {"gzip", 1}, {"snappy", 2}, {"lz4", 3}, {"zstd", 4}}

// TestKcat lists metadata with kcat -L, then for every compression codec
// produces 1,000 keyed messages with headers, consumes them back
// identically, and reads the partition's segment files to prove every
// batch is stored with that codec.
func TestKcat(t *testing.T) {
	kcat := harness.RequireTool(t, "kcat")
	b := harness.Start(t, nil)
	for _, c := range codecs {
		b.CreateTopic("kcat-"+c.name, 1, nil)
	}

	t.Run("metadata", func(t *testing.T) {
		r := harness.Run(kcatTimeout, "", kcat, "-b", b.Addr, "-L")
		if r.Err != nil {
			t.Fatalf("kcat -L: %s", r)
		}
		for _, re := range []string{`(?m)^\s*1 brokers:`, `broker 1 at ` + regexp.QuoteMeta(b.Addr),
			`topic "kcat-zstd" with 1 partitions`, `partition 0, leader 1, replicas: 1, isrs: 1`} {
			if !regexp.MustCompile(re).MatchString(r.Stdout) {
				t.Errorf("kcat -L output lacks %s:\n%s", re, r)
			}
		}
	})

	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) { testKcatCodec(t, kcat, b, "kcat-"+c.name, c.name, c.id) })
	}

	// kcat -e exits once librdkafka reports the end of every partition,
	// which needs a well-formed empty fetch response at the high watermark.
	t.Run("end of partition", func(t *testing.T) {
		r := harness.Run(kcatTimeout, "", kcat, "-C", "-b", b.Addr, "-t", "kcat-none", "-o", "beginning",
			"-e", "-f", `%o\n`)
		if r.Err != nil {
			t.Fatalf("kcat -C -e did not exit at the end of the partition: %s",
				harness.Result{Err: r.Err, Stderr: r.Stderr})
		}
		if n := strings.Count(r.Stdout, "\n"); n != kcatMessages {
			t.Errorf("kcat -C -e printed %d offsets, want %d", n, kcatMessages)
		}
	})
}

func testKcatCodec(t *testing.T, kcat string, b *harness.Broker, topic, codec string, codecID int) {
	var in strings.Builder
	var want []string
	for i := range kcatMessages {
		key := fmt.Sprintf("key-%04d", i)
		value := fmt.Sprintf("value-%04d-%s", i, strings.Repeat("compressible ", 8))
		fmt.Fprintf(&in, "%s:%s\n", key, value)
		want = append(want, fmt.Sprintf("%s:%s:h1=v1,h2=v2", key, value))
	}
	r := harness.Run(kcatTimeout, in.String(), kcat, "-P", "-b", b.Addr, "-t", topic, "-z", codec,
		"-K:", "-H", "h1=v1", "-H", "h2=v2", "-X", "linger.ms=50", "-X", "batch.num.messages=200")
	if r.Err != nil {
		t.Fatalf("kcat -P -z %s: %s", codec, r)
	}
	// -c rather than -e: reaching the end of the partition is tested on
	// its own (subtest "end of partition"), so a failure there does not
	// hide this codec's result.
	r = harness.Run(kcatTimeout, "", kcat, "-C", "-b", b.Addr, "-t", topic, "-o", "beginning",
		"-c", fmt.Sprint(kcatMessages), "-f", `%k:%s:%h\n`)
	if r.Err != nil {
		t.Fatalf("kcat -C -c %d: %s", kcatMessages, harness.Result{Err: r.Err, Stderr: r.Stderr})
	}
	got := strings.Split(strings.TrimSuffix(r.Stdout, "\n"), "\n")
	if !slices.Equal(got, want) {
		t.Fatalf("kcat consumed %d lines differing from the %d produced; first got %q, first want %q\nstderr: %s",
			len(got), len(want), first(got), first(want), r.Stderr)
	}
	checkStoredCodec(t, filepath.Join(b.LogDir, topic+"-0"), codecID)
}

// checkStoredCodec wants every batch in the partition directory to be a
// v2 batch compressed with codecID, the batches holding kcatMessages
// records in all.
func checkStoredCodec(t *testing.T, dir string, codecID int) {
	t.Helper()
	batches, err := readSegments(dir)
	if err != nil {
		t.Fatalf("read segments: %v", err)
	}
	var records, wrong int
	for _, bi := range batches {
		if bi.magic != 2 || bi.codec() != codecID {
			if wrong < 3 {
				t.Errorf("%s@%d (base offset %d): magic %d codec %d, want magic 2 codec %d",
					bi.file, bi.pos, bi.baseOffset, bi.magic, bi.codec(), codecID)
			}
			wrong++
		}
		records += int(bi.recordCount)
	}
	if wrong > 0 {
		t.Errorf("%d of %d batches not stored with codec %d. If they are uncompressed (codec 0), "+
			"librdkafka chose not to compress: it uses lz4 only when ApiVersions lists FindCoordinator, "+
			"and zstd only with Produce v7+ and Fetch v10+ (run kcat -P with -d msg to see why)",
			wrong, len(batches), codecID)
	}
	if records != kcatMessages {
		t.Errorf("%d records in %d batches on disk, want %d", records, len(batches), kcatMessages)
	}
	t.Logf("%d batches with codec %d on disk", len(batches), codecID)
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
