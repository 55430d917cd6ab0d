package controller

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestRaftLogQuiet checks the two quiet-log rules through the adapter raft
// logs with: an election without a previous leader is Info, not Warn, and
// a failure repeated about one peer is logged once per interval with the
// count held back, while another peer's is not held back by it.
func TestRaftLogQuiet(t *testing.T) {
	var out bytes.Buffer
	clock := time.Unix(1000, 0)
	a := newHclog(slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo})), "raft").(*hclogAdapter)
	a.limit = newRepeatLimiter(30*time.Second, func() time.Time { return clock })
	log := a.With("node", 1) // derived adapters share the limiter

	log.Warn(expectedElection, "last-leader-addr", "", "last-leader-id", "")
	log.Warn(expectedElection, "last-leader-addr", "127.0.0.1:1", "last-leader-id", "2")
	for i := 0; i < 20; i++ { // ten seconds of two failures a second
		log.Error("failed to appendEntries to", "peer", "{Voter 2 127.0.0.1:1}", "error", "connection refused")
		clock = clock.Add(500 * time.Millisecond)
	}
	log.Error("failed to appendEntries to", "peer", "{Voter 3 127.0.0.1:2}", "error", "connection refused")
	clock = clock.Add(30 * time.Second)
	log.Error("failed to appendEntries to", "peer", "{Voter 2 127.0.0.1:1}", "error", "connection refused")

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{
		`level=INFO msg="heartbeat timeout reached, starting election"`,
		`level=WARN msg="heartbeat timeout reached, starting election"`,
		`level=ERROR msg="failed to appendEntries to" component=raft node=1 peer="{Voter 2 127.0.0.1:1}"`,
		`level=ERROR msg="failed to appendEntries to" component=raft node=1 peer="{Voter 3 127.0.0.1:2}"`,
		`peer="{Voter 2 127.0.0.1:1}" error="connection refused" suppressed_since_last=19`,
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d = %s\nwant it to contain %s", i, lines[i], w)
		}
	}
}
