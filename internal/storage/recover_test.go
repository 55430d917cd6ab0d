package storage

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/samsa-io/samsa/protocol/records"
)

// writeCrashed appends n batches of 3 records and crashes the log. It
// returns the directory and the end position of each batch in the last
// segment file.
func writeCrashed(t testing.TB, cfg Config, n int) string {
	t.Helper()
	dir := t.TempDir()
	l := openLog(t, dir, cfg)
	for i := 0; i < n; i++ {
		mustAppend(t, l, makeBatch(t, 3, 25+i%7, int64(i)), 1)
	}
	crash(l)
	return dir
}

func lastSegmentFile(t testing.TB, dir string) string {
	t.Helper()
	logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	if len(logs) == 0 {
		t.Fatal("no segments")
	}
	return logs[len(logs)-1]
}

// validPrefix returns the log end offset of the valid batches in a file.
func validPrefix(t testing.TB, path string, base int64) int64 {
	b, _ := os.ReadFile(path)
	next := base
	for len(b) > 0 {
		batch, rest, err := records.Next(b)
		if err != nil {
			break
		}
		h, err := records.Check(batch)
		// Offsets must rise and fit the segment's 32-bit relative index.
		if err != nil || h.BaseOffset < next || h.LastOffset()-base > math.MaxInt32 {
			break
		}
		next, b = h.LastOffset()+1, rest
	}
	return next
}

func TestRecoverTornAndCorruptTail(t *testing.T) {
	cfg := testConfig()
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 30; round++ {
		dir := writeCrashed(t, cfg, 120)
		path := lastSegmentFile(t, dir)
		st, _ := os.Stat(path)
		cut := rng.Int64N(st.Size() + 1)
		if round%2 == 0 {
			os.Truncate(path, cut)
		} else if cut < st.Size() { // flip a byte instead
			f, _ := os.OpenFile(path, os.O_RDWR, 0)
			var one [1]byte
			f.ReadAt(one[:], cut)
			one[0] ^= 0x40
			f.WriteAt(one[:], cut)
			f.Close()
		}
		var base int64
		if _, err := fmtSscan(filepath.Base(path), &base); err != nil {
			t.Fatal(err)
		}
		want := validPrefix(t, path, base)
		l := openLog(t, dir, cfg)
		if l.LogEndOffset() != want {
			t.Fatalf("round %d: log end %d after recovery, valid prefix ends at %d", round, l.LogEndOffset(), want)
		}
		if got := readAll(t, l, 1<<20); got != want {
			t.Fatalf("round %d: read up to %d, want %d", round, got, want)
		}
		if r := mustAppend(t, l, makeBatch(t, 2, 10, 9), 2); r.BaseOffset != want {
			t.Fatalf("round %d: append at %d, want %d", round, r.BaseOffset, want)
		}
		if e, end := l.EndOffsetForEpoch(1); e != 1 || end != want {
			t.Fatalf("round %d: epoch 1 ends at %d (epoch %d), want %d", round, end, e, want)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		l = openLog(t, dir, cfg) // clean reopen keeps everything
		if l.LogEndOffset() != want+2 || readAll(t, l, 500) != want+2 {
			t.Fatalf("round %d: clean reopen at %d, want %d", round, l.LogEndOffset(), want+2)
		}
		l.Close()
	}
}

func TestRecoverCorruptMiddleSegmentDropsLater(t *testing.T) {
	cfg := testConfig()
	dir := writeCrashed(t, cfg, 200)
	os.Remove(filepath.Join(dir, stateFile)) // recover everything
	logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	mid := logs[len(logs)/2]
	f, _ := os.OpenFile(mid, os.O_RDWR, 0)
	f.WriteAt([]byte{0xff, 0xff}, 100)
	f.Close()
	var base int64
	fmtSscan(filepath.Base(mid), &base)
	want := validPrefix(t, mid, base)
	l := openLog(t, dir, cfg)
	defer l.Close()
	if l.LogEndOffset() != want || l.NumSegments() != len(logs)/2+1 {
		t.Fatalf("log end %d with %d segments; want %d with %d", l.LogEndOffset(), l.NumSegments(), want, len(logs)/2+1)
	}
	readAll(t, l, 1<<20)
}

func TestRecoveryPointSkipsScan(t *testing.T) {
	cfg := testConfig()
	dir := t.TempDir()
	l := openLog(t, dir, cfg)
	for i := 0; i < 100; i++ {
		mustAppend(t, l, makeBatch(t, 3, 25, int64(i)), 1)
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	st, _ := readState(dir)
	if st.RecoveryPoint != 300 || st.Clean {
		t.Fatalf("state after flush %+v", st)
	}
	crash(l)
	// Corrupt a byte in the first segment: below the recovery point it is
	// not rescanned (Kafka's contract), so the log keeps every offset.
	logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	f, _ := os.OpenFile(logs[0], os.O_RDWR, 0)
	f.WriteAt([]byte{0xff}, 200)
	f.Close()
	l = openLog(t, dir, cfg)
	defer l.Close()
	if l.LogEndOffset() != 300 {
		t.Fatalf("log end %d", l.LogEndOffset())
	}
}

func FuzzRecover(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 49})
	f.Add(makeBatch(f, 2, 5, 1)[:40])
	f.Add(makeBatch(f, 2, 5, 1))
	// The base offset lies outside the CRC: a batch far beyond the segment's
	// 32-bit relative range must end the valid prefix.
	far := makeBatch(f, 2, 5, 1)
	binary.BigEndian.PutUint64(far, 1<<48)
	f.Add(far)
	cfg := testConfig()
	cfg.SegmentBytes = 1 << 20
	f.Fuzz(func(t *testing.T, garbage []byte) {
		dir := writeCrashed(t, cfg, 10)
		path := lastSegmentFile(t, dir)
		fh, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		fh.Write(garbage)
		fh.Close()
		want := validPrefix(t, path, 0)
		l, err := Open(dir, cfg, nil)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		defer l.Close()
		if l.LogEndOffset() != want || want < 30 {
			t.Fatalf("log end %d, valid prefix %d", l.LogEndOffset(), want)
		}
		readAll(t, l, 1<<20)
	})
}
