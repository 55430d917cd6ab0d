package partition

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/samsa-io/samsa/internal/storage"
	"github.com/samsa-io/samsa/protocol/records"
)

// Snapshot files and their life cycle (the format is in snapshot.go).
//
//   - Written when the log rolls a segment (the storage roll observer sets
//     snapshotDue; the append that rolled writes the snapshot before
//     releasing p.mu, so the state is exactly that of the log end offset)
//     and at a clean close. Written to a temp file and renamed; at a clean
//     close the file and the directory are also fsynced, at a roll not
//     (see takeSnapshotLocked: a snapshot lost in a crash fails its CRC).
//   - A snapshot is usable while logStart <= offset <= log end. Opening
//     deletes the others: above the log end they describe batches a crash
//     or a truncation removed; below the log start, a replay from them
//     would need batches retention removed. Truncation deletes those above
//     the truncation offset before the log is cut, so a crash in between
//     can never pair an old snapshot with new batches; retention deletes
//     those below the new log start; only the newest snapshotsKept stay.
//   - An unreadable or corrupt snapshot is logged, deleted, and the next
//     older one is tried; with none left the whole log is replayed.

const (
	snapshotSuffix = ".snapshot"
	snapshotsKept  = 3
)

// errSnapshotMisaligned: the log holds a batch that straddles the snapshot
// offset, so the snapshot cannot describe this log's prefix.
var errSnapshotMisaligned = errors.New("partition: snapshot offset inside a batch")

func snapshotPath(dir string, off int64) string {
	return filepath.Join(dir, fmt.Sprintf("%020d%s", off, snapshotSuffix))
}

// listSnapshots returns the offsets of the snapshot files in dir, ascending.
func listSnapshots(dir string) ([]int64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list producer snapshots: %w", err)
	}
	var offs []int64
	for _, e := range ents {
		stem, ok := strings.CutSuffix(e.Name(), snapshotSuffix)
		if !ok || len(stem) != 20 {
			continue
		}
		if off, err := strconv.ParseInt(stem, 10, 64); err == nil && off >= 0 {
			offs = append(offs, off)
		}
	}
	slices.Sort(offs)
	return offs, nil
}

// writeSnapshotFile writes data as the snapshot at off, through a temp
// file and a rename; durable also fsyncs the file and the directory.
func writeSnapshotFile(dir string, off int64, data []byte, durable bool) error {
	path := snapshotPath(dir, off)
	tmp := path + ".tmp" // storage removes stray *.tmp files when it opens the log
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("write producer snapshot %d: %w", off, err)
	}
	_, err = f.Write(data)
	if err == nil && durable {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil && durable {
		err = storage.SyncDir(dir)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write producer snapshot %d: %w", off, err)
	}
	return nil
}

// removeSnapshots deletes the snapshots whose offset drop selects and
// fsyncs the directory if it removed any.
func removeSnapshots(dir string, drop func(off int64) bool) error {
	return removeSnapshotsSync(dir, drop, true)
}

// removeSnapshotsSync is removeSnapshots, fsyncing the directory only when
// durable: pruning old but valid snapshots need not survive a crash.
func removeSnapshotsSync(dir string, drop func(off int64) bool, durable bool) error {
	offs, err := listSnapshots(dir)
	if err != nil {
		return err
	}
	removed := false
	for _, off := range offs {
		if !drop(off) {
			continue
		}
		if err := os.Remove(snapshotPath(dir, off)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove producer snapshot %d: %w", off, err)
		}
		removed = true
	}
	if removed && durable {
		if err := storage.SyncDir(dir); err != nil {
			return fmt.Errorf("remove producer snapshots: %w", err)
		}
	}
	return nil
}

func readSnapshotFile(dir string, off int64) (*producerSnapshot, error) {
	data, err := os.ReadFile(snapshotPath(dir, off))
	if err != nil {
		return nil, fmt.Errorf("read producer snapshot %d: %w", off, err)
	}
	s, err := decodeProducerSnapshot(data)
	if err != nil {
		return nil, fmt.Errorf("producer snapshot %d: %w", off, err)
	}
	if s.offset != off {
		return nil, fmt.Errorf("producer snapshot %d: %w: holds offset %d", off, errBadSnapshot, s.offset)
	}
	return s, nil
}

// loadStats says how the producer state was last rebuilt (tests, logs).
type loadStats struct {
	snapshot int64 // offset of the snapshot used, -1 for a full replay
	batches  int   // batch headers replayed after it
}

// takeSnapshotLocked writes the state as of the log end offset and prunes
// old snapshots. A failure is logged, not returned: the snapshot only
// saves start-up time. p.mu is held.
//
// At a segment roll it is not fsynced (durable false): the roll happens
// inside an append, and two fsyncs there cost a fifth of the throughput
// with small segments. That is safe: after a crash a snapshot whose bytes
// did not reach the disk fails its CRC and an older one (or the full scan)
// is used, and one above the recovered log end is deleted at open. Only
// removals that keep a snapshot from meeting a different log (truncation,
// retention) are fsynced.
func (p *Partition) takeSnapshotLocked(durable bool) {
	start := p.log.LogStartOffset()
	s := &producerSnapshot{offset: p.log.LogEndOffset(), producers: p.producers, ongoing: p.txns.ongoing}
	p.txns.mu.RLock()
	for _, a := range p.txns.aborted {
		if a.LastOffset >= start { // a replay from the log start would not know older ones
			s.aborted = append(s.aborted, a)
		}
	}
	p.txns.mu.RUnlock()
	if err := writeSnapshotFile(p.dir, s.offset, encodeProducerSnapshot(s), durable); err != nil {
		p.logger.Warn("producer snapshot not written", "topic", p.Topic, "partition", p.Index, "err", err)
		return
	}
	offs, err := listSnapshots(p.dir)
	if err != nil || len(offs) <= snapshotsKept {
		return
	}
	oldestKept := offs[len(offs)-snapshotsKept]
	if err := removeSnapshotsSync(p.dir, func(off int64) bool { return off < oldestKept || off < start }, durable); err != nil {
		p.logger.Warn("old producer snapshots not removed", "topic", p.Topic, "partition", p.Index, "err", err)
	}
}

// maybeSnapshotLocked writes a snapshot if the log rolled since the last
// one. Called after an append has updated the state; p.mu is held.
func (p *Partition) maybeSnapshotLocked() {
	if p.snapshotDue.CompareAndSwap(true, false) {
		p.takeSnapshotLocked(false)
	}
}

// dropSnapshotsBelowStart removes the snapshots retention made unusable.
func (p *Partition) dropSnapshotsBelowStart() {
	start := p.log.LogStartOffset()
	if err := removeSnapshots(p.dir, func(off int64) bool { return off < start }); err != nil {
		p.logger.Warn("producer snapshots below the log start not removed", "topic", p.Topic, "partition", p.Index, "err", err)
	}
}

// loadProducerState rebuilds producer and transaction state from the
// newest usable snapshot and the batches after it, or from the whole log.
// p.mu is held, or p is not yet shared.
func (p *Partition) loadProducerState() error {
	start, leo := p.log.LogStartOffset(), p.log.LogEndOffset()
	if err := removeSnapshots(p.dir, func(off int64) bool { return off > leo || off < start }); err != nil {
		return fmt.Errorf("load producer state %s-%d: %w", p.Topic, p.Index, err)
	}
	offs, err := listSnapshots(p.dir)
	if err != nil {
		return fmt.Errorf("load producer state %s-%d: %w", p.Topic, p.Index, err)
	}
	for i := len(offs) - 1; i >= 0; i-- {
		s, err := readSnapshotFile(p.dir, offs[i])
		if err == nil {
			err = p.loadFrom(s, start)
		}
		if err == nil {
			return nil
		}
		p.logger.Warn("producer snapshot ignored; trying an older one or the whole log", "topic", p.Topic,
			"partition", p.Index, "snapshot", offs[i], "err", err)
		if rerr := removeSnapshots(p.dir, func(off int64) bool { return off == offs[i] }); rerr != nil {
			p.logger.Warn("unusable producer snapshot not removed", "snapshot", offs[i], "err", rerr)
		}
	}
	p.resetProducerState()
	n, err := p.replay(start, false)
	if err != nil {
		return fmt.Errorf("rebuild producer state %s-%d: %w", p.Topic, p.Index, err)
	}
	p.loaded = loadStats{snapshot: -1, batches: n}
	return nil
}

// loadFrom installs snapshot s and replays the batches after it.
func (p *Partition) loadFrom(s *producerSnapshot, logStart int64) error {
	s.retain(logStart)
	p.producers = s.producers
	p.txns.restore(s.ongoing, s.aborted)
	n, err := p.replay(s.offset, true)
	if err != nil {
		p.resetProducerState()
		return err
	}
	p.loaded = loadStats{snapshot: s.offset, batches: n}
	return nil
}

func (p *Partition) resetProducerState() {
	p.producers = make(producers)
	p.txns.reset()
}

// replay feeds the batch headers from offset from to the end into the
// producer and transaction state and returns how many it read. With
// exact, from is a snapshot offset and must be a batch boundary.
func (p *Partition) replay(from int64, exact bool) (int, error) {
	var txnBatches []records.Header
	n := 0
	var misaligned error
	err := p.log.ForEachBatchHeader(from, func(h records.Header) bool {
		if exact && h.BaseOffset < from {
			if h.LastOffset() >= from {
				misaligned = fmt.Errorf("%w: batch [%d, %d], snapshot %d", errSnapshotMisaligned, h.BaseOffset, h.LastOffset(), from)
				return false
			}
			return true // wholly below the snapshot: already in it
		}
		n++
		if h.ProducerID < 0 {
			return true
		}
		if h.IsTransactional() {
			txnBatches = append(txnBatches, h)
		}
		appendTime := int64(-1)
		if h.LogAppendTime() {
			appendTime = h.MaxTimestamp
		}
		p.producers.record(h, h.BaseOffset, appendTime)
		return true
	})
	if err == nil {
		err = misaligned
	}
	if err != nil {
		return n, err
	}
	return n, p.rebuildTxns(txnBatches)
}
