package storage

import (
	"bytes"
	"errors"
	"os"
	"testing"
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
