package controller

import (
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// raftRepeatInterval is how often one repeated raft warning or error about
// the same peer is logged: a node that is down makes the leader fail to
// replicate and heartbeat to it several times a second, and one line per
// interval (with the count suppressed since) says the same.
const raftRepeatInterval = 30 * time.Second

// expectedElection is raft's warning at an election it starts; with no
// leader known before (a node starting, a single node at every start) the
// election is expected and logged at Info, as Kafka logs elections.
const expectedElection = "heartbeat timeout reached, starting election"

// repeatLimiter passes the first of a run of identical raft log lines (same
// message, same peer) and then one per interval, counting what it held
// back. It is shared by an adapter and the adapters derived from it
// (With, Named), so its map is guarded by mu.
type repeatLimiter struct {
	interval time.Duration
	now      func() time.Time

	mu   sync.Mutex
	runs map[string]*repeatRun
}

type repeatRun struct {
	logged     time.Time
	suppressed int
}

func newRepeatLimiter(interval time.Duration, now func() time.Time) *repeatLimiter {
	return &repeatLimiter{interval: interval, now: now, runs: map[string]*repeatRun{}}
}

// allow reports whether the line keyed by key is logged now and, if so, how
// many identical lines were held back since the last one logged.
func (l *repeatLimiter) allow(key string) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	r, ok := l.runs[key]
	if !ok {
		l.runs[key] = &repeatRun{logged: now}
		return true, 0
	}
	if now.Sub(r.logged) < l.interval {
		r.suppressed++
		return false, 0
	}
	n := r.suppressed
	r.logged, r.suppressed = now, 0
	return true, n
}

// quietRaftLine applies the quiet-log rules to one raft line: an expected
// election drops to Info, and a Warn or Error about a peer is rate-limited
// per message and peer. It returns the level and arguments to log with,
// and false when the line is held back.
func quietRaftLine(limit *repeatLimiter, lvl slog.Level, msg string, args []any) (slog.Level, []any, bool) {
	if msg == expectedElection && argValue(args, "last-leader-id") == "" {
		return slog.LevelInfo, args, true
	}
	if lvl < slog.LevelWarn || limit == nil {
		return lvl, args, true
	}
	peer := argValue(args, "peer")
	if peer == "" {
		peer = argValue(args, "server-id")
	}
	if peer == "" {
		return lvl, args, true
	}
	ok, suppressed := limit.allow(msg + "\x00" + peer)
	if !ok {
		return lvl, nil, false
	}
	if suppressed > 0 {
		args = append(append([]any{}, args...), "suppressed_since_last", suppressed)
	}
	return lvl, args, true
}

// argValue is the text of key's value in hclog's key-value args, or "".
func argValue(args []any, key string) string {
	for i := 0; i+1 < len(args); i += 2 {
		if k, ok := args[i].(string); ok && k == key {
			return fmt.Sprint(args[i+1])
		}
	}
	return ""
}
