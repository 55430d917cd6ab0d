package partition

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/protocol/records"
)

func txnBatch(t *testing.T, pid int64, epoch int16, seq int32, n int) []byte {
	t.Helper()
	var rs []records.Record
	for i := 0; i < n; i++ {
		rs = append(rs, records.Record{OffsetDelta: int32(i), Value: []byte("v")})
	}
	h := records.Header{Attributes: 0x10, ProducerID: pid, ProducerEpoch: epoch, BaseSequence: seq, BaseTimestamp: 1000}
	b, err := records.AppendBatch(nil, h, rs, records.None)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTransactionsLSOAbortedAndRebuild(t *testing.T) {
	cfg := config.Default()
	cfg.NodeID = 1
	cfg.LogDirs = []string{t.TempDir()}
	m := NewManager(cfg, slog.New(slog.DiscardHandler))
	defer func() { m.Close() }()
	if err := m.ApplyImage(testImage("t", 1, nil)); err != nil {
		t.Fatal(err)
	}
	p := m.Partition("t", 0)
	mustAppend := func(b []byte) {
		t.Helper()
		if _, err := p.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	mustAppend(txnBatch(t, 10, 0, 0, 2)) // offsets 0-1, open
	mustAppend(batch(t, -1, -1, 1))      // 2
	if lso := p.LastStableOffset(); lso != 0 {
		t.Fatalf("LSO with an open transaction at 0: %d", lso)
	}
	if _, err := p.WriteMarker(10, 0, false, 0); err != nil { // 3: abort
		t.Fatal(err)
	}
	mustAppend(txnBatch(t, 11, 0, 0, 1)) // 4, open
	if lso := p.LastStableOffset(); lso != 4 {
		t.Fatalf("LSO after the abort: %d, want 4", lso)
	}
	check := func(p *Partition) {
		t.Helper()
		ab := p.AbortedTxns(0, 10)
		if len(ab) != 1 || ab[0] != (AbortedTxn{ProducerID: 10, FirstOffset: 0, LastOffset: 3}) {
			t.Fatalf("aborted: %+v", ab)
		}
		if got := p.AbortedTxns(4, 10); len(got) != 0 {
			t.Fatalf("aborted after 4: %+v", got)
		}
		if lso := p.LastStableOffset(); lso != 4 {
			t.Fatalf("LSO %d, want 4", lso)
		}
	}
	check(p)
	// A fencing abort with a bumped epoch rejects the old epoch afterwards.
	if _, err := p.WriteMarker(11, 1, false, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Append(txnBatch(t, 11, 0, 1, 1)); err == nil {
		t.Fatal("zombie batch of the fenced epoch was accepted")
	}
	if lso, hw := p.LastStableOffset(), p.HighWatermark(); lso != hw {
		t.Fatalf("LSO %d != HW %d with nothing open", lso, hw)
	}
	mustAppend(txnBatch(t, 12, 0, 0, 1)) // 6, left open across the restart
	m.Close()

	m = NewManager(cfg, slog.New(slog.DiscardHandler))
	if err := m.ApplyImage(testImage("t", 1, nil)); err != nil {
		t.Fatal(err)
	}
	p = m.Partition("t", 0)
	if got := len(p.AbortedTxns(0, 10)); got != 2 {
		t.Fatalf("aborted after reopen: %+v", p.AbortedTxns(0, 10))
	}
	if lso := p.LastStableOffset(); lso != 6 {
		t.Fatalf("LSO after reopen %d, want 6", lso)
	}
}

// A marker from an older transaction coordinator than one already seen
// for the producer (a zombie coordinator after a failover) is refused, and
// the coordinator epoch survives a restart from a snapshot or a full scan.
func TestMarkerFromOlderCoordinatorFenced(t *testing.T) {
	cfg := config.Default()
	cfg.NodeID = 1
	cfg.LogDirs = []string{t.TempDir()}
	open := func() (*Manager, *Partition) {
		t.Helper()
		m := NewManager(cfg, slog.New(slog.DiscardHandler))
		if err := m.ApplyImage(testImage("t", 1, nil)); err != nil {
			t.Fatal(err)
		}
		return m, m.Partition("t", 0)
	}
	m, p := open()
	if _, err := p.Append(txnBatch(t, 20, 0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := p.WriteMarker(20, 0, true, 5); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Append(txnBatch(t, 20, 0, 1, 1)); err != nil {
		t.Fatal(err)
	}
	refused := func(p *Partition) {
		t.Helper()
		leo := p.LogEndOffset()
		if _, err := p.WriteMarker(20, 0, false, 4); !errors.Is(err, ErrCoordinatorFenced) {
			t.Fatalf("marker from coordinator epoch 4 after 5: %v", err)
		}
		if p.LogEndOffset() != leo {
			t.Fatal("the refused marker was appended")
		}
		if ps := p.Producers(); len(ps) != 1 || ps[0].CoordinatorEpoch != 5 {
			t.Fatalf("producers %+v, want coordinator epoch 5", ps)
		}
	}
	refused(p)
	m.Close() // clean: a snapshot holds the state
	m, p = open()
	refused(p)
	m.Close()
	snaps, _ := filepath.Glob(filepath.Join(cfg.LogDirs[0], "*", "*.snapshot"))
	if len(snaps) == 0 {
		t.Fatal("no snapshot written at close")
	}
	for _, f := range snaps {
		os.Remove(f)
	}
	m, p = open() // full scan
	defer m.Close()
	refused(p)
	if _, err := p.WriteMarker(20, 0, false, 6); err != nil {
		t.Fatalf("marker from a newer coordinator: %v", err)
	}
}

// A marker that finds no open transaction of its producer (a coordinator
// repeating the markers of a transaction already ended here) is written
// but ends nothing: the producer's next transaction, which starts after
// it, stays open until its own marker, and its abort covers all of its
// records, also after a reopen. (A repeated marker arriving after the next
// transaction's first batch cannot be told apart from that transaction's
// own: the transaction coordinator must never send one.)
func TestMarkerWithoutOpenTransactionEndsNothingLater(t *testing.T) {
	cfg := config.Default()
	cfg.NodeID = 1
	cfg.LogDirs = []string{t.TempDir()}
	m := NewManager(cfg, slog.New(slog.DiscardHandler))
	defer func() { m.Close() }()
	if err := m.ApplyImage(testImage("t", 1, nil)); err != nil {
		t.Fatal(err)
	}
	p := m.Partition("t", 0)
	if _, err := p.Append(txnBatch(t, 30, 0, 0, 2)); err != nil { // 0-1
		t.Fatal(err)
	}
	for range 2 { // 2: the commit; 3: the same commit again
		if _, err := p.WriteMarker(30, 0, true, 1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Append(txnBatch(t, 30, 0, 2, 3)); err != nil { // 4-6: the next transaction
		t.Fatal(err)
	}
	if lso := p.LastStableOffset(); lso != 4 {
		t.Fatalf("LSO %d with the next transaction open at 4", lso)
	}
	if _, err := p.WriteMarker(30, 0, false, 1); err != nil { // 7: its abort
		t.Fatal(err)
	}
	check := func(p *Partition) {
		t.Helper()
		if ab := p.AbortedTxns(0, 10); len(ab) != 1 || ab[0] != (AbortedTxn{ProducerID: 30, FirstOffset: 4, LastOffset: 7}) {
			t.Fatalf("aborted %+v, want producer 30 from 4 to 7", ab)
		}
		if lso, hw := p.LastStableOffset(), p.HighWatermark(); lso != hw || hw != 8 {
			t.Fatalf("LSO %d, HW %d; want both 8", lso, hw)
		}
	}
	check(p)
	m.Close()
	m = NewManager(cfg, slog.New(slog.DiscardHandler))
	if err := m.ApplyImage(testImage("t", 1, nil)); err != nil {
		t.Fatal(err)
	}
	check(m.Partition("t", 0))
}
