package storage

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/samsa-io/samsa/protocol/records"
)

// regionBytes reads a Region's span from its file, as the sender would.
func regionBytes(t *testing.T, r Region) []byte {
	t.Helper()
	if r.Len == 0 {
		return nil
	}
	buf := make([]byte, r.Len)
	if _, err := r.File().ReadAt(buf, r.Pos); err != nil {
		t.Fatalf("read region [%d, +%d): %v", r.Pos, r.Len, err)
	}
	return buf
}

// TestReadRegionMatchesRead: for every offset, byte limit and upper bound
// ReadRegion names exactly the bytes Read returns, across several
// segments with index entries between batches of different sizes.
func TestReadRegionMatchesRead(t *testing.T) {
	l := openLog(t, t.TempDir(), testConfig())
	defer l.Close()
	for i := range 40 {
		mustAppend(t, l, makeBatch(t, 1+i%4, 20+i*7%90, int64(i)), 1)
	}
	leo := l.LogEndOffset()
	checked := 0
	for off := l.LogStartOffset(); off <= leo; off++ {
		for _, maxBytes := range []int{0, 1, 100, 300, 700, 2000, 1 << 20} {
			for _, maxOffset := range []int64{off, off + 1, off + 5, leo - 3, leo} {
				want, werr := l.Read(off, maxBytes, maxOffset)
				r, gerr := l.ReadRegion(off, maxBytes, maxOffset)
				if !errors.Is(gerr, werr) && (gerr == nil) != (werr == nil) {
					t.Fatalf("ReadRegion(%d, %d, %d): error %v, Read's %v", off, maxBytes, maxOffset, gerr, werr)
				}
				got := regionBytes(t, r)
				r.Release()
				if !bytes.Equal(got, want) {
					t.Fatalf("ReadRegion(%d, %d, %d) = %d bytes at %d, Read returned %d bytes",
						off, maxBytes, maxOffset, len(got), r.Pos, len(want))
				}
				checked++
			}
		}
	}
	if _, err := l.ReadRegion(leo+1, 100, leo); !isOutOfRange(err) {
		t.Fatalf("ReadRegion beyond the log end: %v, want ErrOffsetOutOfRange", err)
	}
	t.Logf("%d reads compared", checked)
}

// TestRegionOutlivesDroppedSegment: a segment dropped by DeleteRecords
// while a Region reads it keeps its file open, with its bytes, until the
// Region is released; then the file is closed.
func TestRegionOutlivesDroppedSegment(t *testing.T) {
	l := openLog(t, t.TempDir(), testConfig())
	defer l.Close()
	for i := range 40 {
		mustAppend(t, l, makeBatch(t, 2, 100, int64(i)), 1)
	}
	if len(l.segs) < 3 {
		t.Fatalf("want several segments, have %d", len(l.segs))
	}
	want, err := l.Read(0, 1<<20, l.LogEndOffset())
	if err != nil {
		t.Fatal(err)
	}
	r, err := l.ReadRegion(0, 1<<20, l.LogEndOffset())
	if err != nil {
		t.Fatal(err)
	}
	f := r.File()
	if _, err := l.DeleteRecordsBefore(l.LogEndOffset()); err != nil {
		t.Fatal(err)
	}
	if got := regionBytes(t, r); !bytes.Equal(got, want) {
		t.Fatalf("dropped segment's region reads %d bytes, want the %d it held", len(got), len(want))
	}
	r.Release()
	if _, err := f.ReadAt(make([]byte, 1), 0); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("read after the last release: %v, want the file closed", err)
	}
	// An unreferenced dropped segment closes at once, as before.
	mustAppend(t, l, makeBatch(t, 2, 3000, 99), 1)
	r, err = l.ReadRegion(l.LogStartOffset(), 1<<20, l.LogEndOffset())
	if err != nil || r.Len == 0 {
		t.Fatalf("region of the last batch: %+v, %v", r, err)
	}
	r.Release()
	f = r.File()
	mustAppend(t, l, makeBatch(t, 2, 3000, 100), 1) // rolls
	if _, err := l.DeleteRecordsBefore(l.LogEndOffset()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadAt(make([]byte, 1), 0); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("read of a dropped, released segment: %v, want the file closed", err)
	}
}

// TestRegionsWhileSegmentsAreDropped: regions taken while appends roll
// segments and DeleteRecords drops them always hold whole, valid batches,
// and every dropped file is closed once its last region is released (run
// with -race).
func TestRegionsWhileSegmentsAreDropped(t *testing.T) {
	l := openLog(t, t.TempDir(), testConfig())
	defer l.Close()
	batch := makeBatch(t, 3, 200, 1)
	mustAppend(t, l, append([]byte(nil), batch...), 1)
	done := make(chan error, 1)
	go func() {
		defer close(done)
		for i := range 300 {
			if _, err := l.Append(append([]byte(nil), batch...), 1); err != nil {
				done <- err
				return
			}
			if i%10 == 9 {
				if _, err := l.DeleteRecordsBefore(l.LogEndOffset() - 6); err != nil {
					done <- err
					return
				}
			}
		}
	}()
	var files []*os.File
	for running := true; running; {
		select {
		case err, ok := <-done:
			if err != nil {
				t.Fatal(err)
			}
			running = ok
		default:
		}
		r, err := l.ReadRegion(l.LogStartOffset(), 1<<20, l.LogEndOffset())
		if isOutOfRange(err) {
			continue // the start moved between the two loads
		}
		if err != nil {
			t.Fatal(err)
		}
		for rest := regionBytes(t, r); len(rest) > 0; {
			b, next, err := records.Next(rest)
			if err != nil {
				t.Fatalf("region [%d, +%d): %v", r.Pos, r.Len, err)
			}
			if _, err := records.Check(b); err != nil {
				t.Fatalf("region [%d, +%d): %v", r.Pos, r.Len, err)
			}
			rest = next
		}
		if f := r.File(); f != nil {
			files = append(files, f)
		}
		r.Release()
	}
	// Every region's segment that is no longer listed was dropped and
	// released: its file is closed.
	listed := map[*os.File]bool{}
	for _, s := range l.segs {
		listed[s.f] = true
	}
	closed := 0
	for _, f := range files {
		if listed[f] {
			continue
		}
		if _, err := f.ReadAt(make([]byte, 1), 0); !errors.Is(err, os.ErrClosed) {
			t.Fatalf("a dropped, released segment file is still open: %v", err)
		}
		closed++
	}
	t.Logf("%d regions read, %d of dropped segments", len(files), closed)
}
