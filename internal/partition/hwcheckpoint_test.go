package partition

import (
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"testing"
)

func TestHWCheckpointRoundTrip(t *testing.T) {
	in := map[TopicPartition]int64{{"a", 0}: 10, {"a", 1}: 0, {"b.c-d_e", 7}: 1 << 40}
	out, err := decodeHWCheckpoint(encodeHWCheckpoint(in))
	if err != nil || !maps.Equal(in, out) {
		t.Fatalf("round trip: %v, %v", out, err)
	}
	for _, bad := range []string{"", "1\n0\n", "0\n2\na 0 1\n", "0\n1\na x 1\n", "0\n1\na 0 -5\n", "0\n-1\n"} {
		if _, err := decodeHWCheckpoint([]byte(bad)); err == nil {
			t.Errorf("decoded %q without error", bad)
		}
	}
}

// A leader that restarts starts its high watermark from the checkpoint,
// not from the log start, even before any follower fetched.
func TestHighWatermarkRestartsFromCheckpoint(t *testing.T) {
	m, p, _ := leaderPartition(t, []int32{1, 2, 3}, "2")
	if _, err := p.Append(batch(t, -1, -1, 5)); err != nil {
		t.Fatal(err)
	}
	for _, f := range []int32{2, 3} {
		if _, err := p.RecordFollowerFetch(f, 5); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Append(batch(t, -1, -1, 3)); err != nil { // uncommitted tail
		t.Fatal(err)
	}
	if hw := p.HighWatermark(); hw != 5 {
		t.Fatalf("high watermark %d, want 5", hw)
	}
	cfg := m.broker
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(cfg.LogDirs[0], hwCheckpointFile))
	if err != nil || string(data) != "0\n1\nr 0 5\n" {
		t.Fatalf("checkpoint file %q, %v", data, err)
	}

	m2 := NewManager(cfg, slog.New(slog.DiscardHandler))
	t.Cleanup(func() { m2.Close() })
	if err := m2.ApplyImage(replImage(1, 1, 1, []int32{1, 2, 3}, "2")); err != nil {
		t.Fatal(err)
	}
	if hw := m2.Partition("r", 0).HighWatermark(); hw != 5 {
		t.Fatalf("high watermark after restart %d, want the checkpointed 5", hw)
	}
}

// FuzzDecodeHWCheckpoint: the checkpoint is read from disk at start-up; a
// damaged file must give an error, never a panic, and whatever decodes
// must encode back to something that decodes to the same entries.
func FuzzDecodeHWCheckpoint(f *testing.F) {
	f.Add([]byte("0\n1\nr 0 5\n"))
	f.Add([]byte("0\n2\na 0 1\nb 3 9\n"))
	f.Add([]byte("0\n99999999\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		hws, err := decodeHWCheckpoint(data)
		if err != nil {
			return
		}
		again, err := decodeHWCheckpoint(encodeHWCheckpoint(hws))
		if err != nil || !maps.Equal(hws, again) {
			t.Fatalf("re-decode of %v: %v, %v", hws, again, err)
		}
	})
}

// A manager closed before any image was applied (a node whose start-up
// failed before it caught up with the metadata log) leaves the checkpoint
// as it found it, rather than rewriting it from no open replica.
func TestCloseBeforeAnyImageKeepsTheCheckpoint(t *testing.T) {
	m := newTestManager(t)
	path := filepath.Join(m.broker.LogDirs[0], hwCheckpointFile)
	before := encodeHWCheckpoint(map[TopicPartition]int64{{"a", 0}: 42})
	if err := os.WriteFile(path, before, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	after, err := os.ReadFile(path)
	if err != nil || string(after) != string(before) {
		t.Fatalf("checkpoint after Close: %q, %v; want %q", after, err, before)
	}
}
