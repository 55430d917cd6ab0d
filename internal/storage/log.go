package storage

import (
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"sync/atomic"
)

// Log is one partition's segmented log.
//
// Threading contract:
//   - Append, AppendReplicated, TruncateTo, DeleteRecordsBefore and
//     ApplyRetention are serialized by appendMu; any number of goroutines
//     may call them.
//   - Read, ReadRegion, OffsetForTimestamp, MaxTimestamp and
//     ForEachBatchHeader run concurrently with each other and with Append:
//     they see a snapshot of the segment list (under mu.RLock) and only
//     bytes below each segment's committed size, which Append advances
//     after its write. A Region outlives the lock: it holds a reference on
//     its segment (taken under mu.RLock, so before any drop), and a
//     dropped segment's file closes at its last Release (region.go).
//   - Flush runs from the Log's flusher goroutine, started on demand
//     (flush.go), and from callers;
//     it fsyncs outside appendMu so appends are not blocked by fsync.
//   - Compact and CleanStats are serialized by cleanMu; Compact reads
//     inactive segments without other locks and swaps its output in under
//     flushMu, appendMu and mu (see compact.go).
//   - Lock order: cleanMu, then flushMu, then appendMu, then mu, then the
//     leaf locks (segIndex.mu, epochCache.mu, delMu, segRefs.mu, flusher.mu).
type Log struct {
	dir    string
	logger *slog.Logger
	cfg    atomic.Pointer[Config]

	flushMu  sync.Mutex // serializes Flush and state checkpoint writes
	appendMu sync.Mutex // serializes writers
	mu       sync.RWMutex
	segs     []*segment // guarded by mu; replaced, never mutated in place
	closed   bool       // guarded by mu

	leo      atomic.Int64
	logStart atomic.Int64
	epochs   epochCache

	// Flush state. unsynced is guarded by appendMu; recoveryPoint by flushMu.
	unsynced      []*segment // rolled segments not yet fsynced
	recoveryPoint int64
	unflushedMsgs atomic.Int64

	// Compaction state. segGen is guarded by appendMu and bumped whenever
	// segments are dropped (retention, truncation), so a compaction pass
	// that planned on the old list aborts its swap.
	cleanMu     sync.Mutex
	segGen      uint64
	compactHook func(step string) bool // tests: stop a pass at step as if the process died

	flusher   flusher
	deletions deletions
	fresh     bool // created by this Open: nothing to recover, nothing to report

	failure    atomic.Pointer[error]        // first storage failure; nil while healthy (failure.go)
	writeFault atomic.Pointer[func() error] // tests only: see SetWriteFault (failure.go)

	onFsync atomic.Pointer[FsyncObserver] // see SetFsyncObserver (fsync.go)
	onRoll  atomic.Pointer[RollObserver]  // see SetRollObserver (roll.go)
}

// Open opens (creating if needed) the log in dir and recovers it: segments
// at or after the recovery point are validated batch by batch, a torn or
// corrupt tail is truncated, and missing or bad indexes are rebuilt.
func Open(dir string, cfg Config, logger *slog.Logger) (*Log, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("open log %s: %w", dir, err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	l := &Log{dir: dir, logger: logger.With("dir", dir), epochs: epochCache{dir: dir}}
	l.cfg.Store(&cfg)
	if err := finishInterruptedCleaning(dir, l.logger); err != nil {
		return nil, fmt.Errorf("open log %s: %w", dir, err)
	}
	if err := l.load(); err != nil {
		l.closeSegments()
		return nil, fmt.Errorf("open log %s: %w", dir, err)
	}
	l.flusher.init(l)
	l.flusher.wake() // once: files left awaiting deletion, a flush policy to start timing
	return l, nil
}

func (l *Log) config() Config { return *l.cfg.Load() }

// SetConfig replaces the configuration (topic config change).
func (l *Log) SetConfig(cfg Config) {
	l.cfg.Store(&cfg)
	l.flusher.wake()
}

// LogStartOffset is the first offset that can be read.
func (l *Log) LogStartOffset() int64 { return l.logStart.Load() }

// LogEndOffset is the offset the next appended record will get.
func (l *Log) LogEndOffset() int64 { return l.leo.Load() }

// EpochOf is the leader epoch that wrote offset, or -1 if unknown.
func (l *Log) EpochOf(offset int64) int32 { return l.epochs.epochOf(offset) }

// LatestEpoch is the latest leader epoch in the log, or -1.
func (l *Log) LatestEpoch() int32 { return l.epochs.latest() }

// EndOffsetForEpoch answers OffsetForLeaderEpoch: the largest known epoch
// <= epoch and its end offset (the next epoch's start, or the log end
// offset for the latest); (-1, -1) if epoch predates every known epoch.
func (l *Log) EndOffsetForEpoch(epoch int32) (int32, int64) {
	return l.epochs.endOffsetFor(epoch, l.leo.Load())
}

// Dir is the partition directory.
func (l *Log) Dir() string { return l.dir }

// Size is the total size of the segment files in bytes.
func (l *Log) Size() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var n int64
	for _, s := range l.segs {
		n += s.size.Load()
	}
	return n
}

// NumSegments is the number of segments, the active one included.
func (l *Log) NumSegments() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.segs)
}

// snapshot returns the current segment list, or ErrClosed.
func (l *Log) snapshotLocked() ([]*segment, error) {
	if l.closed {
		return nil, ErrClosed
	}
	return l.segs, nil
}

// segmentFor returns the index of the segment holding offset: the last
// whose base is <= offset (0 if offset is below every base).
func segmentFor(segs []*segment, offset int64) int {
	i := sort.Search(len(segs), func(i int) bool { return segs[i].base > offset })
	return max(i-1, 0)
}

func (l *Log) active() *segment { return l.segs[len(l.segs)-1] }

// Close flushes, writes the clean-shutdown checkpoint and closes the
// files. The next Open then does not rescan.
func (l *Log) Close() error {
	l.flusher.stop()
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	var err error
	if l.Failed() == nil {
		// A failed log is closed without the clean-shutdown record, so the
		// next Open recovers (revalidates) its tail.
		err = l.closeCleanLocked()
	}
	if cerr := l.closeSegments(); err == nil {
		err = cerr
	}
	l.runDeletions(true)
	return err
}

// closeCleanLocked syncs everything and records a clean shutdown. All of
// flushMu, appendMu and mu are held.
func (l *Log) closeCleanLocked() error {
	act := l.active()
	act.idx.seal(act.base)
	for _, s := range append(l.unsynced, act) {
		if err := l.syncFile(s.f); err != nil {
			return fmt.Errorf("close log: sync segment %d: %w", s.base, err)
		}
		if err := s.writeIndexes(true); err != nil {
			return fmt.Errorf("close log: %w", err)
		}
	}
	l.unsynced = nil
	l.recoveryPoint = l.leo.Load()
	return writeState(l.dir, logState{RecoveryPoint: l.recoveryPoint, LogStartOffset: l.logStart.Load(), Clean: true})
}

func (l *Log) closeSegments() error {
	var first error
	for _, s := range l.segs {
		if err := s.close(); err != nil && first == nil {
			first = fmt.Errorf("close segment %d: %w", s.base, err)
		}
	}
	return first
}

// Delete closes the log and removes its directory.
func (l *Log) Delete() error {
	if err := l.Close(); err != nil {
		l.logger.Warn("close before delete", "err", err)
	}
	if err := os.RemoveAll(l.dir); err != nil {
		return fmt.Errorf("delete log %s: %w", l.dir, err)
	}
	return nil
}
