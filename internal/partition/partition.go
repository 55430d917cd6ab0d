package partition

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/storage"
	"github.com/samsa-io/samsa/protocol/records"
)

// Partition is one hosted replica.
//
// Threading: Append calls are serialized by mu (offset assignment and
// producer state must be atomic with the write). Read, offsets and waiter
// registration may be called from any goroutine at any time; the log is
// safe for reads concurrent with an append.
type Partition struct {
	Topic   string
	Index   int32
	TopicID [16]byte

	dir    string
	log    *storage.Log
	logger *slog.Logger

	mu          sync.Mutex
	producers   producers
	txns        txnState // open and aborted transactions (txn.go), under mu
	leaderEpoch atomic.Int32
	cfg         atomic.Pointer[config.TopicConfig]
	highWater   atomic.Int64
	closed      atomic.Bool

	// snapshotDue is set by the log's roll observer; the append that
	// rolled writes a producer snapshot (snapshot_file.go). loaded says how
	// the producer state was last rebuilt; under mu.
	snapshotDue atomic.Bool
	loaded      loadStats

	// checkpointHW is the high watermark the checkpoint recorded before a
	// restart (-1: none); the first replicated role starts from it.
	checkpointHW int64

	waiters waiters

	rs          replicaSet                    // replication state (replica.go)
	onISRChange atomic.Pointer[ISRChangeFunc] // set by the Manager
	eligible    *eligibleBrokers              // set by the Manager; nil: every replica is eligible
}

// AppendResult describes a successful append.
type AppendResult struct {
	BaseOffset     int64
	LastOffset     int64
	LogAppendTime  int64 // -1 unless the topic uses LogAppendTime
	LogStartOffset int64
	Duplicate      bool  // a retried batch that was already written
	LeaderEpoch    int32 // the leader epoch the append happened in (for WaitForCommit)
}

func openPartition(topic string, index int32, topicID [16]byte, dir string, cfg config.TopicConfig,
	leaderEpoch int32, logger *slog.Logger) (*Partition, error) {
	log, err := storage.Open(dir, storageConfig(cfg), logger)
	if err != nil {
		return nil, fmt.Errorf("open log %s-%d: %w", topic, index, err)
	}
	p := &Partition{checkpointHW: -1, Topic: topic, Index: index, TopicID: topicID, dir: dir, log: log, logger: logger,
		producers: make(producers)}
	p.txns.reset()
	p.cfg.Store(&cfg)
	p.leaderEpoch.Store(leaderEpoch)
	p.waiters.init()
	if err := p.loadProducerState(); err != nil {
		log.Close()
		return nil, err
	}
	log.SetRollObserver(func(int64) { p.snapshotDue.Store(true) })
	// A single replica's high watermark is its log end offset; with
	// followers it is the minimum over the ISR (replication issue).
	p.highWater.Store(log.LogEndOffset())
	return p, nil
}

// Append validates payload (one or more v2 batches as produced), checks
// idempotent sequences and writes it. When flush.messages is reached the
// data is fsynced before Append returns.
func (p *Partition) Append(payload []byte) (AppendResult, error) {
	cfg := p.cfg.Load()
	sum, err := records.Validate(payload, int(cfg.MaxMessageBytes))
	if err != nil {
		return AppendResult{}, err
	}
	if sum.Batches != 1 { // Kafka's rule for produce v3+ (message format v2)
		return AppendResult{}, fmt.Errorf("%w: Produce requests are only allowed to contain exactly one record batch per partition, got %d",
			records.ErrInvalidRecord, sum.Batches)
	}
	if err := p.requireKeys(payload, cfg); err != nil {
		return AppendResult{}, err
	}
	res, err := func() (AppendResult, error) {
		p.mu.Lock()
		defer p.mu.Unlock() // deferred: the network layer recovers a handler panic
		return p.appendLocked(payload, sum.FirstHeader, cfg)
	}()
	if err != nil || res.Duplicate {
		return res, err
	}
	if p.log.FlushDue() {
		if err := p.log.FlushTo(res.LastOffset + 1); err != nil {
			return AppendResult{}, fmt.Errorf("flush %s-%d: %w", p.Topic, p.Index, err)
		}
	}
	hw := p.HighWatermark()
	p.maybeAdvanceHighWatermark()
	if p.HighWatermark() == hw {
		p.waiters.wake() // followers' fetches wait for the log end, not the high watermark
	}
	return res, nil
}

// appendLocked does the part of Append that must be atomic: the sequence
// check, the LogAppendTime stamp, the write and the producer-state update.
// p.mu is held.
func (p *Partition) appendLocked(payload []byte, first records.Header, cfg *config.TopicConfig) (AppendResult, error) {
	if p.closed.Load() {
		return AppendResult{}, ErrClosed
	}
	if !p.IsLeader() {
		return AppendResult{}, ErrNotLeader
	}
	dup, isDup, err := p.producers.dupOrCheck(first)
	if err != nil {
		return AppendResult{}, err
	}
	if isDup {
		return AppendResult{BaseOffset: dup.baseOffset, LastOffset: dup.lastOffset, LogAppendTime: dup.appendTime,
			LogStartOffset: p.log.LogStartOffset(), Duplicate: true, LeaderEpoch: p.leaderEpoch.Load()}, nil
	}
	appendTime := int64(-1)
	if cfg.MessageTimestampType == "LogAppendTime" {
		appendTime = time.Now().UnixMilli()
		stampLogAppendTime(payload, appendTime)
	}
	res, err := p.log.Append(payload, p.leaderEpoch.Load())
	if err != nil {
		return AppendResult{}, fmt.Errorf("append %s-%d: %w", p.Topic, p.Index, err)
	}
	p.producers.record(first, res.BaseOffset, appendTime)
	p.txns.onBatch(first, res.BaseOffset, res.LastOffset, payload)
	p.maybeSnapshotLocked()
	return AppendResult{BaseOffset: res.BaseOffset, LastOffset: res.LastOffset, LogAppendTime: appendTime,
		LogStartOffset: p.log.LogStartOffset(), LeaderEpoch: p.leaderEpoch.Load()}, nil
}

func stampLogAppendTime(payload []byte, ts int64) {
	for rest := payload; len(rest) > 0; {
		batch, next, err := records.Next(rest)
		if err != nil {
			return // already validated; cannot happen
		}
		records.SetLogAppendTime(batch, ts)
		rest = next
	}
}

// advanceHighWatermark moves the high watermark forward and, only if it
// moved, wakes waiting fetches and acks=all produces. (Waking on every call
// would let two followers' parked fetches wake each other forever: each
// re-read records a follower fetch, which recomputes the high watermark.)
func (p *Partition) advanceHighWatermark(hw int64) {
	for old := p.highWater.Load(); hw > old; old = p.highWater.Load() {
		if p.highWater.CompareAndSwap(old, hw) {
			p.rs.changed.fire()
			p.waiters.wake()
			return
		}
	}
}

// HighWatermark is the offset below which records are committed and
// visible to consumers.
func (p *Partition) HighWatermark() int64 { return p.highWater.Load() }

// LogStartOffset is the first offset still in the log.
func (p *Partition) LogStartOffset() int64 { return p.log.LogStartOffset() }

// LogEndOffset is the offset the next record will get.
func (p *Partition) LogEndOffset() int64 { return p.log.LogEndOffset() }

// EpochOf is the leader epoch that wrote offset, or -1 if unknown.
func (p *Partition) EpochOf(offset int64) int32 { return p.log.EpochOf(offset) }

// LeaderEpoch is the current leader epoch of this replica.
func (p *Partition) LeaderEpoch() int32 { return p.leaderEpoch.Load() }

// Read returns stored batches from offset, at most maxBytes (but at least
// one batch), never above the high watermark.
func (p *Partition) Read(offset int64, maxBytes int) ([]byte, error) {
	if p.closed.Load() {
		return nil, ErrClosed
	}
	return p.log.Read(offset, maxBytes, p.HighWatermark())
}

// OffsetForTimestamp finds the first offset with a timestamp >= ts.
func (p *Partition) OffsetForTimestamp(ts int64) (offset, timestamp int64, found bool, err error) {
	return p.log.OffsetForTimestamp(ts)
}

// MaxTimestamp returns the offset and timestamp of the record with the
// largest timestamp (offset -1 when empty).
func (p *Partition) MaxTimestamp() (offset, timestamp int64) { return p.log.MaxTimestamp() }

// DeleteRecordsBefore advances the log start offset (DeleteRecords). -1
// means the high watermark.
func (p *Partition) DeleteRecordsBefore(offset int64) (int64, error) {
	hw := p.HighWatermark()
	if offset == -1 {
		offset = hw
	}
	if offset < 0 || offset > hw {
		return 0, fmt.Errorf("%w: %d is beyond the high watermark %d", storage.ErrOffsetOutOfRange, offset, hw)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	start, err := p.log.DeleteRecordsBefore(offset)
	if err == nil {
		p.dropSnapshotsBelowStart()
	}
	p.waiters.wake()
	return start, err
}

// Config returns the partition's effective topic configuration.
func (p *Partition) Config() config.TopicConfig { return *p.cfg.Load() }

func (p *Partition) setConfig(cfg config.TopicConfig) {
	p.cfg.Store(&cfg)
	p.log.SetConfig(storageConfig(cfg))
}

func (p *Partition) applyRetention(now time.Time) {
	if p.log.Failed() != nil {
		return // offline: its files wait for the restart's recovery
	}
	n, err := p.log.ApplyRetention(now)
	if err != nil {
		p.logger.Warn("retention failed", "topic", p.Topic, "partition", p.Index, "err", err)
		return
	}
	if n > 0 {
		p.mu.Lock()
		p.dropSnapshotsBelowStart()
		p.mu.Unlock()
		p.logger.Info("deleted segments by retention", "topic", p.Topic, "partition", p.Index, "segments", n,
			"log_start_offset", p.log.LogStartOffset())
	}
}

// close writes a producer snapshot at the log end, so the next open reads
// no batch headers, and closes the log.
func (p *Partition) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed.Load() {
		p.takeSnapshotLocked(true)
	}
	p.closed.Store(true)
	p.waiters.wake()
	p.rs.changed.fire()
	return p.log.Close()
}

func (p *Partition) delete() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed.Store(true)
	p.waiters.wake()
	p.rs.changed.fire()
	return p.log.Delete()
}

func storageConfig(c config.TopicConfig) storage.Config {
	return storage.Config{
		SegmentBytes:          c.SegmentBytes,
		SegmentMs:             c.SegmentMs,
		IndexIntervalBytes:    c.IndexIntervalBytes,
		RetentionMs:           c.RetentionMs,
		RetentionBytes:        c.RetentionBytes,
		FlushIntervalMessages: c.FlushMessages,
		FlushIntervalMs:       c.FlushMs,
		FileDeleteDelayMs:     c.FileDeleteDelayMs,

		CleanupPolicy:          c.CleanupPolicy,
		DeleteRetentionMs:      c.DeleteRetentionMs,
		MinCompactionLagMs:     c.MinCompactionLagMs,
		MaxCompactionLagMs:     c.MaxCompactionLagMs,
		MinCleanableDirtyRatio: c.MinCleanableRatio,
	}
}
