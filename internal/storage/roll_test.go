package storage

import (
	"sync"
	"testing"
)

// TestRollObserverSeesEveryRoll: the observer is told the base of each new
// segment, and that base is the offset of the first batch written to it.
func TestRollObserverSeesEveryRoll(t *testing.T) {
	l := openLog(t, t.TempDir(), testConfig())
	defer l.Close()
	var mu sync.Mutex
	var observed []int64
	l.SetRollObserver(func(base int64) {
		mu.Lock()
		observed = append(observed, base)
		mu.Unlock()
	})
	var firsts []int64 // base offsets of batches that opened a segment
	segs := l.NumSegments()
	for i := 0; i < 40; i++ {
		r := mustAppend(t, l, makeBatch(t, 3, 100, int64(i)), 0)
		if n := l.NumSegments(); n != segs {
			firsts = append(firsts, r.BaseOffset)
			segs = n
		}
	}
	seen := func() []int64 {
		mu.Lock()
		defer mu.Unlock()
		return append([]int64(nil), observed...)
	}
	bases := seen()
	if len(firsts) == 0 {
		t.Fatal("no roll happened; the test needs a smaller segment.bytes")
	}
	if len(bases) != len(firsts) {
		t.Fatalf("observer saw %d rolls %v, log rolled %d times %v", len(bases), bases, len(firsts), firsts)
	}
	for i := range bases {
		if bases[i] != firsts[i] {
			t.Fatalf("roll %d: observer saw base %d, segment starts at %d", i, bases[i], firsts[i])
		}
	}
	l.SetRollObserver(nil)
	for i := 0; i < 20; i++ {
		mustAppend(t, l, makeBatch(t, 3, 100, int64(i)), 0)
	}
	if got := seen(); len(got) != len(firsts) {
		t.Fatal("a removed observer was still called")
	}
}
