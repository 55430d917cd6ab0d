package server

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/storage"
)

// The .lock files: a second node on the same directory fails at once with
// storage.ErrDirLocked, the lock goes with Close, and two spellings of one
// directory (log.dirs and metadata.log.dir) do not lock it twice.
func TestDataDirLock(t *testing.T) {
	dir := t.TempDir()
	s := startTestServer(t, dir, "metadata.log.dir="+dir+"/")

	cfg, _, err := config.Parse(nil, "test", []string{"node.id=1", "listeners=PLAINTEXT://127.0.0.1:0", "log.dirs=" + dir})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // bounds a regression that blocks
	defer cancel()
	second, err := Start(ctx, cfg, slog.New(slog.DiscardHandler))
	if err == nil {
		second.Close()
		t.Fatal("a second node started on a locked log dir")
	}
	if !errors.Is(err, storage.ErrDirLocked) {
		t.Fatalf("second node: %v, want storage.ErrDirLocked", err)
	}

	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	again := startTestServer(t, dir) // the lock went with Close
	if err := again.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}
