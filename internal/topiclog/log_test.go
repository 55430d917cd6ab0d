package topiclog

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/partition"
)

var errNotHosted = errors.New("not hosted")

// stringLog is a Log over a record type of the test's own, as a new
// coordinator (share groups' state) would define one: a key and an
// optional value, markers reported as "commit:<pid>"/"abort:<pid>".
func stringLog(parts *partition.Manager, topic string) *Log[[2]string] {
	return &Log[[2]string]{Topic: topic, Parts: parts, NotHosted: errNotHosted, Codec: Codec[[2]string]{
		Encode: func(r [2]string) ([]byte, []byte) {
			if r[1] == "" {
				return []byte(r[0]), nil
			}
			return []byte(r[0]), []byte(r[1])
		},
		Decode: func(e Entry) ([2]string, bool) {
			switch e.Marker {
			case CommitMarker:
				return [2]string{"commit", string(rune('0' + e.ProducerID))}, true
			case AbortMarker:
				return [2]string{"abort", string(rune('0' + e.ProducerID))}, true
			}
			if e.Value == nil {
				return [2]string{string(e.Key), "<tombstone>"}, true
			}
			return [2]string{string(e.Key), string(e.Value)}, true
		},
	}}
}

// A Log appends its records and waits for the high watermark, appends a
// producer's transactional batch, and replays all of it (with the marker
// that ended the transaction) in offset order; a partition not hosted
// fails with the coordinator's error.
func TestLogAppendsAndReplaysItsOwnRecordType(t *testing.T) {
	cfg := config.Default()
	cfg.NodeID = 1
	cfg.LogDirs = []string{t.TempDir()}
	parts := partition.NewManager(cfg, slog.New(slog.DiscardHandler))
	t.Cleanup(func() { parts.Close() })
	const topic = "__test_state"
	if err := parts.ApplyImage(internalLogImage(topic, 5, 0, []int32{1})); err != nil {
		t.Fatal(err)
	}
	l := stringLog(parts, topic)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Append(ctx, 0, [][2]string{{"a", "1"}, {"b", ""}}); err != nil {
		t.Fatal(err)
	}
	if err := l.AppendTxn(ctx, 0, 7, 0, [][2]string{{"c", "3"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := parts.Partition(topic, 0).WriteMarker(7, 0, true, 1); err != nil {
		t.Fatal(err)
	}
	var got [][2]string
	if err := l.Replay(ctx, 0, func(r [2]string) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{"a", "1"}, {"b", "<tombstone>"}, {"c", "3"}, {"commit", "7"}}
	if !slices.Equal(got, want) {
		t.Fatalf("replayed %q, want %q", got, want)
	}
	if err := l.Append(ctx, 1, [][2]string{{"x", "y"}}); !errors.Is(err, errNotHosted) {
		t.Fatalf("append to an unhosted partition: %v, want the NotHosted error", err)
	}
	if err := l.Replay(ctx, 1, func([2]string) error { return nil }); !errors.Is(err, errNotHosted) {
		t.Fatalf("replay of an unhosted partition: %v, want the NotHosted error", err)
	}
}
