package partition

import (
	"bytes"
	"errors"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/protocol/records"
)

// idemBatch builds an idempotent (non-transactional) batch.
func idemBatch(t testing.TB, pid int64, epoch int16, seq int32, n int) []byte {
	t.Helper()
	rs := make([]records.Record, n)
	for i := range rs {
		rs[i] = records.Record{OffsetDelta: int32(i), Value: []byte("v")}
	}
	h := records.Header{ProducerID: pid, ProducerEpoch: epoch, BaseSequence: seq, BaseTimestamp: 1000 + int64(seq)}
	b, err := records.AppendBatch(nil, h, rs, records.None)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// openTestPartition opens a single-replica partition (leader) in dir with
// segment.bytes segBytes; it is closed when the test ends.
func openTestPartition(t testing.TB, dir string, segBytes string) *Partition {
	t.Helper()
	b := config.Default()
	tc, err := b.ResolveTopicConfig(map[string]string{"segment.bytes": segBytes})
	if err != nil {
		t.Fatal(err)
	}
	p, err := openPartition("t", 0, [16]byte{1}, dir, tc, 0, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("open partition: %v", err)
	}
	t.Cleanup(func() { p.close() })
	return p
}

// stateBytes is p's producer and transaction state in canonical form.
func stateBytes(p *Partition) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.txns.mu.RLock()
	ab := append([]AbortedTxn(nil), p.txns.aborted...)
	p.txns.mu.RUnlock()
	return encodeProducerSnapshot(&producerSnapshot{offset: p.log.LogEndOffset(), producers: p.producers,
		ongoing: p.txns.ongoing, aborted: ab})
}

// crashCopy copies the partition directory of a live partition as a kill -9
// would leave it (what was written, no close), optionally without snapshots.
func crashCopy(t testing.TB, src string, withSnapshots bool) string {
	t.Helper()
	dst := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !e.Type().IsRegular() || (!withSnapshots && strings.HasSuffix(e.Name(), snapshotSuffix)) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if errors.Is(err, os.ErrNotExist) {
			continue // a temp file the live log's flusher just renamed
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

type lastIdem struct {
	pid        int64
	epoch      int16
	seq        int32
	n          int
	base, last int64
}

// snapshotWorkload writes idempotent producers (one bumping its epoch,
// more than five batches each), plain batches, and transactions that are
// aborted, committed, fenced and left open, across many segment rolls. It
// returns pid 1's latest batch.
func snapshotWorkload(t *testing.T, p *Partition, rounds int) lastIdem {
	t.Helper()
	must := func(res AppendResult, err error) AppendResult {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	var l lastIdem
	seq1, seq2 := int32(0), int32(0)
	epoch1 := int16(0)
	for i := 0; i < rounds; i++ {
		if i == rounds/2 {
			epoch1, seq1 = 1, 0
		}
		r := must(p.Append(idemBatch(t, 1, epoch1, seq1, 2)))
		l = lastIdem{pid: 1, epoch: epoch1, seq: seq1, n: 2, base: r.BaseOffset, last: r.LastOffset}
		seq1 += 2
		if i%3 == 0 {
			must(p.Append(idemBatch(t, 2, 0, seq2, 1)))
			seq2++
		}
		if i%5 == 0 {
			must(p.Append(batch(t, -1, -1, 1)))
		}
		switch i {
		case 5:
			must(p.Append(txnBatch(t, 10, 0, 0, 1)))
		case 8:
			must(p.Append(txnBatch(t, 12, 0, 0, 2)))
		case 12:
			must(p.Append(txnBatch(t, 10, 0, 1, 1)))
		case 20:
			must(p.WriteMarker(10, 0, false, 0)) // abort
		case 25:
			must(p.Append(txnBatch(t, 10, 0, 2, 1)))
		case 33:
			must(p.WriteMarker(10, 0, true, 0)) // commit
		case 40:
			must(p.WriteMarker(12, 1, false, 0)) // fencing abort with a bumped epoch
		case 45:
			must(p.Append(txnBatch(t, 10, 0, 3, 1))) // left open
		case rounds - 3:
			must(p.Append(txnBatch(t, 11, 0, 0, 1))) // left open, after the last snapshot
		}
	}
	return l
}

// TestOpenFromSnapshotEqualsFullScan: after a crash (no clean close) with
// batches written after the last roll snapshot, opening from the snapshot
// plus the tail gives the same producer and transaction state as a replay
// of the whole log and as the live partition: duplicates answered with
// their original offsets, the same sequence errors, the same LSO and
// aborted list.
func TestOpenFromSnapshotEqualsFullScan(t *testing.T) {
	live := openTestPartition(t, t.TempDir(), "1024")
	last := snapshotWorkload(t, live, 60)
	if offs, _ := listSnapshots(live.dir); len(offs) == 0 {
		t.Fatal("no snapshot written at segment roll")
	}
	want := stateBytes(live)

	fromSnap := openTestPartition(t, crashCopy(t, live.dir, true), "1024")
	full := openTestPartition(t, crashCopy(t, live.dir, false), "1024")
	if fromSnap.loaded.snapshot < 0 || fromSnap.loaded.batches == 0 {
		t.Fatalf("expected a snapshot plus a tail replay, got %+v", fromSnap.loaded)
	}
	if full.loaded.snapshot != -1 || full.loaded.batches <= fromSnap.loaded.batches {
		t.Fatalf("full replay %+v, from snapshot %+v", full.loaded, fromSnap.loaded)
	}
	for name, p := range map[string]*Partition{"snapshot": fromSnap, "full": full} {
		if got := stateBytes(p); !bytes.Equal(got, want) {
			t.Fatalf("%s: producer state differs from the live partition's", name)
		}
		if got, w := p.LastStableOffset(), live.LastStableOffset(); got != w || w == p.HighWatermark() {
			t.Fatalf("%s: LSO %d, live %d (HW %d)", name, got, w, p.HighWatermark())
		}
		if got, w := p.AbortedTxns(0, math.MaxInt64), live.AbortedTxns(0, math.MaxInt64); len(w) != 2 || len(got) != len(w) ||
			got[0] != w[0] || got[1] != w[1] {
			t.Fatalf("%s: aborted %+v, live %+v", name, got, w)
		}
		dup, err := p.Append(idemBatch(t, last.pid, last.epoch, last.seq, last.n))
		if err != nil || !dup.Duplicate || dup.BaseOffset != last.base || dup.LastOffset != last.last {
			t.Fatalf("%s: retry of the last batch: %+v %v, want offsets %d-%d", name, dup, err, last.base, last.last)
		}
		if _, err := p.Append(idemBatch(t, last.pid, last.epoch, last.seq+5, 1)); !errors.Is(err, ErrOutOfOrderSequence) {
			t.Fatalf("%s: sequence gap: %v", name, err)
		}
		if _, err := p.Append(idemBatch(t, last.pid, 0, 0, 1)); !errors.Is(err, ErrInvalidProducerEpoch) {
			t.Fatalf("%s: old epoch: %v", name, err)
		}
		if _, err := p.Append(txnBatch(t, 12, 0, 1, 1)); !errors.Is(err, ErrInvalidProducerEpoch) {
			t.Fatalf("%s: fenced transactional epoch: %v", name, err)
		}
	}
}

// TestCleanCloseSnapshotNeedsNoReplay: a clean close leaves a snapshot at
// the log end, so reopening reads no batch header at all.
func TestCleanCloseSnapshotNeedsNoReplay(t *testing.T) {
	dir := t.TempDir()
	p := openTestPartition(t, dir, "1048576")
	snapshotWorkload(t, p, 20)
	want, leo := stateBytes(p), p.LogEndOffset()
	if err := p.close(); err != nil {
		t.Fatal(err)
	}
	q := openTestPartition(t, dir, "1048576")
	if q.loaded != (loadStats{snapshot: leo, batches: 0}) {
		t.Fatalf("loaded %+v, want the close snapshot at %d and nothing replayed", q.loaded, leo)
	}
	if !bytes.Equal(stateBytes(q), want) {
		t.Fatal("state after a clean reopen differs")
	}
}

// TestCorruptSnapshotFallsBack: a snapshot with a flipped byte, an unknown
// version or a wrong name is ignored (and removed); the older snapshot or
// a full replay gives the right state.
func TestCorruptSnapshotFallsBack(t *testing.T) {
	live := openTestPartition(t, t.TempDir(), "1024")
	snapshotWorkload(t, live, 60)
	want := stateBytes(live)
	offs, _ := listSnapshots(live.dir)
	if len(offs) < 2 {
		t.Fatalf("need two snapshots, have %v", offs)
	}
	newest := offs[len(offs)-1]
	damage := map[string]func([]byte) []byte{
		"flipped byte": func(b []byte) []byte { b[len(b)/2] ^= 0x40; return b },
		"truncated":    func(b []byte) []byte { return b[:len(b)-3] },
		"version 9":    func(b []byte) []byte { b[1] = 9; return b },
		"empty":        func([]byte) []byte { return nil },
	}
	for name, fn := range damage {
		t.Run(name, func(t *testing.T) {
			dir := crashCopy(t, live.dir, true)
			path := snapshotPath(dir, newest)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, fn(data), 0o644); err != nil {
				t.Fatal(err)
			}
			p := openTestPartition(t, dir, "1024")
			if p.loaded.snapshot >= newest {
				t.Fatalf("the damaged snapshot was used: %+v", p.loaded)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the damaged snapshot was kept: %v", err)
			}
			if !bytes.Equal(stateBytes(p), want) {
				t.Fatal("state after falling back differs")
			}
		})
	}
	t.Run("every snapshot damaged", func(t *testing.T) {
		dir := crashCopy(t, live.dir, true)
		for _, off := range offs {
			os.WriteFile(snapshotPath(dir, off), []byte("garbage"), 0o644)
		}
		p := openTestPartition(t, dir, "1024")
		if p.loaded.snapshot != -1 || !bytes.Equal(stateBytes(p), want) {
			t.Fatalf("full replay expected: %+v", p.loaded)
		}
	})
}

// TestTruncationRemovesSnapshotsAbove: a follower truncating below a
// snapshot deletes it, and the state is rebuilt as of the new log end (a
// batch cut away is no longer a duplicate).
func TestTruncationRemovesSnapshotsAbove(t *testing.T) {
	p := openTestPartition(t, t.TempDir(), "1024")
	snapshotWorkload(t, p, 60)
	offs, _ := listSnapshots(p.dir)
	if len(offs) < 2 {
		t.Fatalf("need two snapshots, have %v", offs)
	}
	cut := offs[len(offs)-2] + 1 // between the two newest snapshots
	p.applyMetadata(metadata.Partition{Index: 0, Leader: 2, LeaderEpoch: 1, PartitionEpoch: 1,
		Replicas: []int32{1, 2}, ISR: []int32{1, 2}}, 1)
	if err := p.TruncateTo(1, cut); err != nil {
		t.Fatal(err)
	}
	leo := p.LogEndOffset()
	after, _ := listSnapshots(p.dir)
	for _, off := range after {
		if off > leo {
			t.Fatalf("snapshot %d above the log end %d survived truncation: %v", off, leo, after)
		}
	}
	if p.loaded.snapshot != offs[len(offs)-2] {
		t.Fatalf("rebuilt from %+v, want the snapshot at %d", p.loaded, offs[len(offs)-2])
	}
	// The same state as a full replay of the truncated log.
	want := stateBytes(p)
	full := openTestPartition(t, crashCopy(t, p.dir, false), "1024")
	if !bytes.Equal(stateBytes(full), want) {
		t.Fatal("state after truncation differs from a full replay of the truncated log")
	}
	if err := p.TruncateFullyAndStartAt(1, leo+100); err != nil {
		t.Fatal(err)
	}
	if rest, _ := listSnapshots(p.dir); len(rest) != 0 {
		t.Fatalf("snapshots after a full truncation: %v", rest)
	}
}

// TestRetentionRemovesSnapshotsBelowStart: moving the log start past
// snapshots removes them; the snapshots kept are bounded.
func TestRetentionRemovesSnapshotsBelowStart(t *testing.T) {
	p := openTestPartition(t, t.TempDir(), "1024")
	snapshotWorkload(t, p, 60)
	// Close the open transactions: one whose first offset retention removes
	// is kept open by a snapshot (as by the live partition) but unknown to
	// a replay from the new log start, so the two are compared without it.
	for _, pid := range []int64{10, 11} {
		if _, err := p.WriteMarker(pid, 0, true, 0); err != nil {
			t.Fatal(err)
		}
	}
	offs, _ := listSnapshots(p.dir)
	if len(offs) > snapshotsKept || len(offs) < 2 {
		t.Fatalf("snapshots %v: want 2..%d", offs, snapshotsKept)
	}
	start, err := p.DeleteRecordsBefore(offs[len(offs)-1] - 1)
	if err != nil {
		t.Fatal(err)
	}
	rest, _ := listSnapshots(p.dir)
	for _, off := range rest {
		if off < start {
			t.Fatalf("snapshot %d below the log start %d kept: %v", off, start, rest)
		}
	}
	if len(rest) != 1 {
		t.Fatalf("want only the newest snapshot left, have %v", rest)
	}
	// Reopening from a snapshot taken before the log start moved gives the
	// state a full replay from the new log start gives.
	want := stateBytes(openTestPartition(t, crashCopy(t, p.dir, false), "1024"))
	q := openTestPartition(t, crashCopy(t, p.dir, true), "1024")
	if q.loaded.snapshot < 0 || !bytes.Equal(stateBytes(q), want) {
		t.Fatalf("state from a snapshot after retention differs from a full replay (%+v)", q.loaded)
	}
}
