package storage

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/samsa-io/samsa/protocol/records"
)

func TestAppendReadAcrossRolls(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, testConfig())
	var want int64
	for i := 0; i < 300; i++ {
		r := mustAppend(t, l, makeBatch(t, 5, 20, int64(1000+i)), 3)
		if r.BaseOffset != want || r.LastOffset != want+4 {
			t.Fatalf("append %d: offsets [%d, %d], want base %d", i, r.BaseOffset, r.LastOffset, want)
		}
		want += 5
	}
	if l.NumSegments() < 10 {
		t.Fatalf("%d segments, want many rolls", l.NumSegments())
	}
	if got := readAll(t, l, 1); got != want {
		t.Fatalf("read up to %d, want %d", got, want)
	}
	if got := readAll(t, l, 1<<20); got != want {
		t.Fatalf("read up to %d with big reads, want %d", got, want)
	}
	for off := int64(0); off < want; off += 7 { // every offset finds its batch
		b, err := l.Read(off, 1, want)
		if err != nil {
			t.Fatal(err)
		}
		h, _ := records.ParseHeader(b)
		if h.BaseOffset > off || h.LastOffset() < off || h.PartitionLeaderEpoch != 3 {
			t.Fatalf("read %d got batch %+v", off, h)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openLog(t, dir, testConfig())
	defer l.Close()
	if l.LogEndOffset() != want || readAll(t, l, 1000) != want {
		t.Fatalf("after reopen log end %d, want %d", l.LogEndOffset(), want)
	}
	if r := mustAppend(t, l, makeBatch(t, 2, 20, 5000), 4); r.BaseOffset != want {
		t.Fatalf("append after reopen at %d, want %d", r.BaseOffset, want)
	}
	if e, end := l.EndOffsetForEpoch(3); e != 3 || end != want {
		t.Fatalf("end offset for epoch 3 = %d, %d", e, end)
	}
}

func TestReadLimits(t *testing.T) {
	l := openLog(t, t.TempDir(), testConfig())
	defer l.Close()
	big := makeBatch(t, 3, 500, 1)
	mustAppend(t, l, big, 0)                    // offsets 0-2
	mustAppend(t, l, makeBatch(t, 1, 10, 2), 0) // offset 3
	mustAppend(t, l, makeBatch(t, 1, 10, 3), 0) // offset 4
	b, err := l.Read(1, 10, 100)
	if err != nil || len(b) != len(big) {
		t.Fatalf("small maxBytes: %d bytes, %v; want the whole first batch (%d)", len(b), err, len(big))
	}
	b, _ = l.Read(0, 1<<20, 4) // high watermark 4 hides offset 4
	if n := countBatches(t, b); n != 2 {
		t.Fatalf("%d batches below offset 4, want 2", n)
	}
	if b, err := l.Read(4, 1<<20, 4); err != nil || b != nil {
		t.Fatalf("read at high watermark: %d bytes, %v", len(b), err)
	}
	if b, err := l.Read(5, 1<<20, 5); err != nil || b != nil {
		t.Fatalf("read at log end: %d bytes, %v", len(b), err)
	}
	if _, err := l.Read(6, 100, 6); !isOutOfRange(err) {
		t.Fatalf("read past end: %v", err)
	}
	// The returned bytes are a copy: later appends don't change them.
	b, _ = l.Read(4, 1<<20, 5)
	keep := append([]byte(nil), b...)
	mustAppend(t, l, makeBatch(t, 1, 10, 3), 0)
	if !bytes.Equal(b, keep) {
		t.Fatal("read bytes changed after append")
	}
}

func countBatches(t *testing.T, b []byte) int {
	n := 0
	for len(b) > 0 {
		var err error
		if _, b, err = records.Next(b); err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}

func TestMissingIndexesRebuilt(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig()
	l := openLog(t, dir, cfg)
	for i := 0; i < 100; i++ {
		mustAppend(t, l, makeBatch(t, 4, 30, int64(i*10)), 0)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	idxFiles, _ := filepath.Glob(filepath.Join(dir, "*index"))
	saved := map[string][]byte{}
	for _, p := range idxFiles {
		saved[p], _ = os.ReadFile(p)
		os.Remove(p)
	}
	if len(idxFiles) < 10 {
		t.Fatalf("only %d index files", len(idxFiles))
	}
	l = openLog(t, dir, cfg)
	if readAll(t, l, 300) != 400 {
		t.Fatal("bad read after index rebuild")
	}
	off, ts, found, err := l.OffsetForTimestamp(505)
	if err != nil || !found || off != 204 || ts != 510 {
		t.Fatalf("offset for timestamp 505 = %d, %d, %v, %v", off, ts, found, err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for p, want := range saved {
		got, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("rebuilt %s differs (%d vs %d bytes, %v)", filepath.Base(p), len(got), len(want), err)
		}
	}
}

func TestOffsetForTimestampAndMax(t *testing.T) {
	l := openLog(t, t.TempDir(), testConfig())
	defer l.Close()
	if off, ts := l.MaxTimestamp(); off != -1 {
		t.Fatalf("empty log max timestamp %d, %d", off, ts)
	}
	for i := 0; i < 50; i++ { // batch i: offsets 3i..3i+2, timestamps 100i..100i+2
		mustAppend(t, l, makeBatch(t, 3, 40, int64(100*i)), 0)
	}
	mustAppend(t, l, makeBatch(t, 3, 40, 50), 0) // out-of-order timestamps: offsets 150-152
	cases := []struct{ ts, off, want int64 }{{0, 0, 0}, {1, 1, 1}, {3, 3, 100}, {2501, 76, 2501}, {4902, 149, 4902}}
	for _, c := range cases {
		off, ts, found, err := l.OffsetForTimestamp(c.ts)
		if err != nil || !found || off != c.off || ts != c.want {
			t.Fatalf("ts %d: got %d, %d, %v, %v; want %d, %d", c.ts, off, ts, found, err, c.off, c.want)
		}
	}
	if _, _, found, _ := l.OffsetForTimestamp(4903); found {
		t.Fatal("found a timestamp beyond the max")
	}
	if off, ts := l.MaxTimestamp(); off != 149 || ts != 4902 {
		t.Fatalf("max timestamp %d at %d", ts, off)
	}
}

func TestForEachBatchHeader(t *testing.T) {
	l := openLog(t, t.TempDir(), testConfig())
	defer l.Close()
	for i := 0; i < 60; i++ {
		mustAppend(t, l, makeBatch(t, 2, 50, 1), 0)
	}
	next := int64(20)
	err := l.ForEachBatchHeader(21, func(h records.Header) bool {
		if h.BaseOffset != next {
			t.Fatalf("header at %d, want %d", h.BaseOffset, next)
		}
		next = h.LastOffset() + 1
		return next < 100
	})
	if err != nil || next != 100 {
		t.Fatalf("stopped at %d, %v", next, err)
	}
}
