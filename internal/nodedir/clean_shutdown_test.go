package nodedir

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// The clean-shutdown epoch is read once: a second start without a new
// clean shutdown (a crash) sends -1, as does a damaged file.
func TestCleanShutdownEpochIsTakenOnce(t *testing.T) {
	dir := t.TempDir()
	logger := slog.New(slog.DiscardHandler)
	if got := TakeCleanShutdownEpoch(dir, logger); got != -1 {
		t.Fatalf("no file: %d, want -1", got)
	}
	if err := WriteCleanShutdownEpoch(dir, 42); err != nil {
		t.Fatal(err)
	}
	if got := TakeCleanShutdownEpoch(dir, logger); got != 42 {
		t.Fatalf("after a clean shutdown: %d, want 42", got)
	}
	if got := TakeCleanShutdownEpoch(dir, logger); got != -1 {
		t.Fatalf("second start: %d, want -1", got)
	}
	for _, bad := range []string{"", "version 2\nbroker-epoch 5\n", "version 1\nbroker-epoch x\n", "version 1\n"} {
		if err := os.WriteFile(filepath.Join(dir, cleanShutdownFile), []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := TakeCleanShutdownEpoch(dir, logger); got != -1 {
			t.Fatalf("file %q: %d, want -1", bad, got)
		}
		if _, err := os.Stat(filepath.Join(dir, cleanShutdownFile)); !os.IsNotExist(err) {
			t.Fatalf("file %q left behind: %v", bad, err)
		}
	}
}
