package storage

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/samsa-io/samsa/protocol/records"
)

// mustShowData is the scenario: 100,000 updates over 1,000 keys,
// then tombstones for 100 of them, in batches of 100 records, some gzip
// and some zstd, with segments small enough that about a hundred roll.
func mustShowData(t testing.TB, l *Log) map[string]storedRecord {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	recs := make([]kv, 0, 100_100)
	for i := range 100_000 {
		k := i % 1000 // every key written at least once ...
		if i >= 1000 {
			k = rng.IntN(1000) // ... then at random
		}
		recs = append(recs, kv{key: keyName(k), value: "value-" + keyName(k) + "-" + strconv.Itoa(i)})
	}
	for k := range 100 {
		recs = append(recs, kv{key: keyName(k * 10), tombstone: true})
	}
	rng.Shuffle(100, func(i, j int) { // tombstones in random order among the last records
		recs[100_000+i], recs[100_000+j] = recs[100_000+j], recs[100_000+i]
	})
	offs := writeKeyed(t, l, recs, 100, time.Now().UnixMilli(), func(i int) records.Codec {
		switch i % 3 {
		case 1:
			return records.Gzip
		case 2:
			return records.Zstd
		}
		return records.None
	})
	rollAndFlush(t, l)
	return latest(recs, offs)
}

func mustShowConfig() Config {
	cfg := compactConfig()
	cfg.SegmentBytes = 32 << 10
	cfg.IndexIntervalBytes = 4096
	return cfg
}

func TestCompactMustShow100kUpdates1kKeys(t *testing.T) {
	cfg := mustShowConfig()
	l := openLog(t, t.TempDir(), cfg)
	defer l.Close()
	want := mustShowData(t, l)
	if n := l.NumSegments(); n < 50 {
		t.Fatalf("only %d segments: the scenario wants many", n)
	}
	leo := l.LogEndOffset()
	t0 := time.Now()
	res := mustCompact(t, l, t0)
	t.Logf("pass 1: %+v, %d segments", res, l.NumSegments())
	checkExactlyLatest(t, readRecords(t, l), want, false) // 900 values + 100 tombstones
	if l.LogEndOffset() != leo {
		t.Errorf("log end moved %d -> %d", leo, l.LogEndOffset())
	}
	res = mustCompact(t, l, t0.Add(time.Duration(cfg.DeleteRetentionMs+1)*time.Millisecond))
	t.Logf("pass 2: %+v, %d segments", res, l.NumSegments())
	got := readRecords(t, l)
	checkExactlyLatest(t, got, want, true)
	if len(got) != 900 {
		t.Errorf("%d records left, want the 900 live keys", len(got))
	}
}

// TestCompactCrashAtEveryStep stops a pass at each of its steps in turn,
// as a kill -9 would (the page cache survives), reopens the log and checks
// that it is readable and holds the latest record of every key; then a
// full pass gives the exact result. The second pass merges cleaned
// segments, so multi-segment swaps are interrupted too.
func TestCompactCrashAtEveryStep(t *testing.T) {
	for _, pass := range []int{1, 2} {
		for n := 1; n < 1000; n++ {
			if done := crashAtStep(t, pass, n); done {
				t.Logf("pass %d: stopped at each of %d steps", pass, n-1)
				break
			}
		}
	}
}

func crashAtStep(t *testing.T, pass, n int) (done bool) {
	t.Helper()
	dir := t.TempDir()
	l := openLog(t, dir, compactConfig())
	recs := updates(1500, 40)
	recs = append(recs, kv{key: keyName(7), tombstone: true})
	offs := writeKeyed(t, l, recs, 10, 1000, nil)
	rollAndFlush(t, l)
	if pass == 2 {
		mustCompact(t, l, time.Now())
	}
	want := latest(recs, offs)
	steps := 0
	l.compactHook = func(string) bool { steps++; return steps == n }
	_, err := l.Compact(t.Context(), time.Now(), -1, CompactOptions{})
	if err != nil && !errors.Is(err, errCompactStopped) {
		t.Fatalf("step %d: %v", n, err)
	}
	done = err == nil
	crash(l)

	l2 := openLog(t, dir, compactConfig())
	defer l2.Close()
	assertNoCleanerFiles(t, dir)
	got := readRecords(t, l2)
	checkLiveKeys(t, got, want, n)
	mustCompact(t, l2, time.Now())
	checkExactlyLatest(t, readRecords(t, l2), want, false)
	return done
}

// checkLiveKeys checks that each key's latest record is in got, at its
// offset (older records may remain: the pass was interrupted).
func checkLiveKeys(t testing.TB, got []storedRecord, want map[string]storedRecord, step int) {
	t.Helper()
	have := map[int64]storedRecord{}
	for _, r := range got {
		have[r.offset] = r
	}
	for k, w := range want {
		if have[w.offset] != w {
			t.Fatalf("after a stop at step %d: latest record of %s (offset %d) lost", step, k, w.offset)
		}
	}
}

// TestCompactKill9 runs compaction passes in a child process, kills it
// with SIGKILL at varying moments and checks the reopened log.
func TestCompactKill9(t *testing.T) {
	if os.Getenv("SAMSA_COMPACT_CHILD") != "" {
		compactChild()
		return
	}
	if testing.Short() {
		t.Skip("spawns processes")
	}
	template := filepath.Join(t.TempDir(), "template")
	l := openLog(t, template, mustShowConfig())
	want := mustShowData(t, l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for i, delay := range []time.Duration{0, 200, 300, 400, 550, 700, 900, 1200} {
		dir := filepath.Join(t.TempDir(), "log")
		if err := os.CopyFS(dir, os.DirFS(template)); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestCompactKill9$")
		cmd.Env = append(os.Environ(), "SAMSA_COMPACT_CHILD="+dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitForFile(t, dir+".started")
		time.Sleep(delay * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		t.Logf("killed after %v: in-flight cleaner files %v", delay*time.Millisecond, cleanerLeftovers(dir))

		l2 := openLog(t, dir, mustShowConfig())
		checkLiveKeys(t, readRecords(t, l2), want, i)
		assertNoCleanerFiles(t, dir)
		mustCompact(t, l2, time.Now())
		checkExactlyLatest(t, readRecords(t, l2), want, false)
		l2.Close()
	}
}

func waitForFile(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("child did not start: no %s", path)
}

// compactChild opens the log and compacts it until killed (bounded).
func compactChild() {
	dir := os.Getenv("SAMSA_COMPACT_CHILD")
	l, err := Open(dir, mustShowConfig(), nil)
	if err != nil {
		os.Exit(2)
	}
	os.WriteFile(dir+".started", nil, 0o644)
	for i := range 20 {
		cfg := mustShowConfig()
		cfg.SegmentBytes = int64(8<<10) << (i % 4) // vary grouping so passes keep swapping
		l.SetConfig(cfg)
		if _, err := l.Compact(context.Background(), time.Now(), -1, CompactOptions{}); err != nil {
			os.Exit(3)
		}
	}
	os.Exit(0)
}

func cleanerLeftovers(dir string) []string {
	var out []string
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		for _, suffix := range []string{cleanedSuffix, swapSuffix, deletedSuffix} {
			if strings.HasSuffix(e.Name(), suffix) {
				out = append(out, e.Name())
			}
		}
	}
	return out
}
