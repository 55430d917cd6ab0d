package storage

import (
	"os"
	"path/filepath"
	"testing"
)

// TestUncleanReopenKeepsAnUnchangedStateFile: reopening after a crash that
// changed nothing leaves the state file in place (syncing it, not
// rewriting it: a rewrite is a new file, a rename and a journal commit per
// partition at start-up), while an open after a clean shutdown still
// rewrites it as unclean.
func TestUncleanReopenKeepsAnUnchangedStateFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, stateFile)
	l := openLog(t, dir, testConfig())
	mustAppend(t, l, makeBatch(t, 2, 10, 1), 1)
	crash(l)
	l = openLog(t, dir, testConfig()) // recovers, writes the state once
	crash(l)
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	l = openLog(t, dir, testConfig())
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Fatal("an unclean reopen that changed nothing rewrote the state file")
	}
	if st, err := readState(dir); err != nil || st.Clean {
		t.Fatalf("state after the reopen: %+v, %v; want unclean", st, err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if st, err := readState(dir); err != nil || !st.Clean {
		t.Fatalf("state after Close: %+v, %v; want clean", st, err)
	}
	l = openLog(t, dir, testConfig())
	defer l.Close()
	if st, err := readState(dir); err != nil || st.Clean {
		t.Fatalf("state after opening a cleanly closed log: %+v, %v; want unclean", st, err)
	}
}
