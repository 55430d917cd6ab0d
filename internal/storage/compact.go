package storage

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// Log compaction (cleanup.policy=compact), after Kafka's log cleaner.
//
// # Sections
//
// A compacted log is split by two offsets:
//
//	[log start, cleanedTo)         clean: compacted by earlier passes
//	[cleanedTo, firstUncleanable)  dirty: appended since the last pass
//	[firstUncleanable, log end)    not touched: the active segment, segments
//	                               not yet fsynced, above the caller's limit
//	                               (the high watermark) or holding records
//	                               younger than min.compaction.lag.ms
//
// Both are segment boundaries. cleanedTo lives in cleaner-offset-checkpoint
// (compact_checkpoint.go). A log is worth cleaning when dirty bytes /
// (clean + dirty bytes) reach min.cleanable.dirty.ratio, or when its
// oldest dirty segment is older than max.compaction.lag.ms (CleanStats).
//
// # A pass (Compact)
//
//  1. Plan, under flushMu and appendMu for a moment: the cleanable segments.
//  2. Map, without locks: MD5(key) -> last offset over the dirty section,
//     bounded by CompactOptions.MaxKeys; when it fills, the pass ends at
//     the segment boundary where it filled (the rest waits for a later
//     pass), as Kafka's dedupe buffer does.
//  3. Rewrite, without locks: consecutive cleanable segments, grouped so
//     that their sizes add up to at most segment.bytes, are copied into
//     <base>.log.cleaned (+ .index.cleaned, .timeindex.cleaned), keeping
//     each record that has a key, whose key has no later offset in the map
//     and that is not an expired tombstone. Batches keep their base offset,
//     last offset delta, leader epoch, producer fields and codec: a batch
//     that lost no record is copied byte for byte, one that lost some is
//     re-encoded with a new CRC, one that lost all is dropped unless it is
//     its producer's last batch (kept empty, as Kafka does, so idempotence
//     state survives). Control and transactional batches are kept as they
//     are (there are no transactions yet). Offsets are never changed.
//  4. Swap, under flushMu, appendMu and mu (swap below): see crash safety.
//     Readers hold mu.RLock while they use a segment, so once the list has
//     been replaced nobody uses the old files and they are closed.
//  5. Checkpoint: cleanedTo and when this range was first cleaned.
//
// A pass aborts (errCompactAborted, nothing changed) when segments were
// dropped meanwhile (retention, truncation) or the log was closed.
//
// # Crash safety
//
// The swap of one group renames, in this order: the .cleaned index files
// and then the .cleaned log file to .swap (the log file's rename is the
// commit point; everything was fsynced before), fsync of the directory,
// the other source segments' files to .deleted, the .swap index files and
// then the .swap log file over the first source segment's names, fsync of
// the directory. Open (finishInterruptedCleaning) removes *.cleaned files
// (the pass had not committed) and completes every <base>.log.swap: it
// removes the segments whose base lies inside the swap's offset range and
// renames the .swap files into place. Whatever the moment of a kill -9,
// the log holds either the old segments or the cleaned one for each group,
// both of which hold every live key. (Should a crash leave a later source
// segment whose base is beyond the cleaned output's last offset, it stays:
// it holds only superseded records, and the next pass removes them.)
//
// # Tombstones
//
// A record with a null value is kept for delete.retention.ms after the pass
// that first cleaned the range holding it (the checkpoint keeps when each
// range was first cleaned), so a consumer that reads the log from the start
// within that time sees the deletion. This is Kafka's "delete horizon"
// (KIP-534) kept in the checkpoint instead of in the batch header: the
// record's own timestamp plays no part.

// DefaultCompactMaxKeys is the default offset map capacity: about 4M keys
// (Kafka's 128 MiB dedupe buffer holds about 5.6M).
const DefaultCompactMaxKeys = 4 << 20

var (
	errCompactAborted = errors.New("storage: compaction aborted")
	errCompactStopped = errors.New("storage: compaction stopped by test hook")
)

// CompactOptions tunes a compaction pass.
type CompactOptions struct {
	MaxKeys int // offset map capacity (distinct keys per pass); 0 means DefaultCompactMaxKeys
}

// CompactResult describes a compaction pass.
type CompactResult struct {
	CleanedTo   int64 // offsets below are clean (the new checkpoint)
	Segments    int   // source segments read
	Swapped     int   // cleaned segments swapped in
	BytesBefore int64 // size of the source segments
	BytesAfter  int64 // size of what replaced them
	Records     int64 // records read
	Removed     int64 // records removed
}

// CleanStats tells how much of a log a pass could clean now.
type CleanStats struct {
	FirstDirty       int64 // the cleaner checkpoint
	FirstUncleanable int64 // the first offset a pass would not touch
	CleanBytes       int64 // bytes of cleanable segments below FirstDirty
	DirtyBytes       int64 // bytes of cleanable segments from FirstDirty
	MustClean        bool  // dirty records are older than max.compaction.lag.ms
	TombstonesDue    bool  // a clean range holds tombstones past delete.retention.ms
	Eligible         bool  // compacted, and dirty enough, MustClean or TombstonesDue
}

// DirtyRatio is DirtyBytes over all cleanable bytes (0 when none).
func (s CleanStats) DirtyRatio() float64 {
	if s.CleanBytes+s.DirtyBytes == 0 {
		return 0
	}
	return float64(s.DirtyBytes) / float64(s.CleanBytes+s.DirtyBytes)
}

// cleanPlan is what a pass decides under the locks.
type cleanPlan struct {
	cfg        Config
	all        []*segment // the whole list at plan time
	segs       []*segment // cleanable segments, oldest first
	gen        uint64     // segGen at plan time
	ckp        cleanerCheckpoint
	firstDirty int64
	end        int64 // first uncleanable offset
}

// CleanStats reports the dirty and clean sizes of the cleanable part of
// the log, below limit (the high watermark; < 0 means the log end).
func (l *Log) CleanStats(now time.Time, limit int64) (CleanStats, error) {
	l.cleanMu.Lock()
	defer l.cleanMu.Unlock()
	p, err := l.plan(now, limit)
	if err != nil {
		return CleanStats{}, err
	}
	return p.stats(now), nil
}

func (p *cleanPlan) stats(now time.Time) CleanStats {
	st := CleanStats{FirstDirty: p.firstDirty, FirstUncleanable: p.end}
	for _, s := range p.segs {
		if s.next.Load() <= p.firstDirty {
			st.CleanBytes += s.size.Load()
			continue
		}
		if st.DirtyBytes == 0 && p.cfg.MaxCompactionLagMs > 0 && p.cfg.MaxCompactionLagMs < math.MaxInt64 {
			// Approximation: the segment's largest timestamp stands for its oldest dirty record.
			st.MustClean = now.UnixMilli()-s.largestTimestamp() > p.cfg.MaxCompactionLagMs
		}
		st.DirtyBytes += s.size.Load()
	}
	st.TombstonesDue = p.ckp.tombstonesExpired(now.UnixMilli(), p.cfg.DeleteRetentionMs)
	dirty := st.DirtyBytes > 0 && (st.MustClean || st.DirtyRatio() >= p.cfg.MinCleanableDirtyRatio)
	st.Eligible = p.cfg.Compacted() && (dirty || st.TombstonesDue)
	return st
}

// plan picks the cleanable segments: inactive, fsynced, wholly below limit
// and, with min.compaction.lag.ms, holding no record younger than it.
func (l *Log) plan(now time.Time, limit int64) (cleanPlan, error) {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	if err := l.checkOpen(); err != nil {
		return cleanPlan{}, err
	}
	p := cleanPlan{cfg: l.config(), all: l.segs, gen: l.segGen}
	if limit < 0 {
		limit = l.leo.Load()
	}
	n := 0
	for ; n < len(l.segs)-1; n++ {
		s := l.segs[n]
		if s.next.Load() > limit || s.next.Load() > l.recoveryPoint || slices.Contains(l.unsynced, s) {
			break
		}
		if p.cfg.MinCompactionLagMs > 0 && s.largestTimestamp() > now.UnixMilli()-p.cfg.MinCompactionLagMs {
			break
		}
	}
	p.segs, p.end = l.segs[:n], l.segs[n].base
	ckp, err := readCleanerCheckpoint(l.dir)
	if err != nil {
		l.logger.Warn("cleaner checkpoint unreadable, cleaning the whole log", "err", err)
	}
	if ckp.CleanedTo > l.leo.Load() { // truncated below it: start over
		ckp = cleanerCheckpoint{}
	}
	p.ckp = ckp
	p.firstDirty = max(ckp.CleanedTo, l.segs[0].base)
	return p, nil
}

// Compact runs one compaction pass over the segments below limit (the high
// watermark; < 0 means the log end), whatever the dirty ratio (see
// CleanStats for that). It does nothing unless cleanup.policy includes
// compact. Appends and reads go on meanwhile; the pass holds the log's
// locks only to plan and, per group, to swap. ctx stops it between
// batches. A pass that found the segment list changed under it returns a
// zero result and no error.
func (l *Log) Compact(ctx context.Context, now time.Time, limit int64, opts CompactOptions) (CompactResult, error) {
	l.cleanMu.Lock()
	defer l.cleanMu.Unlock()
	p, err := l.plan(now, limit)
	if err != nil {
		return CompactResult{}, err
	}
	res := CompactResult{CleanedTo: p.firstDirty}
	if !p.cfg.Compacted() || len(p.segs) == 0 {
		return res, nil
	}
	res, err = l.compact(ctx, &p, now, opts)
	if errors.Is(err, errCompactAborted) {
		l.logger.Info("compaction aborted: segments changed", "err", err)
		return CompactResult{CleanedTo: p.firstDirty}, nil
	}
	if err != nil {
		return res, fmt.Errorf("compact: %w", err)
	}
	return res, nil
}

func (l *Log) compact(ctx context.Context, p *cleanPlan, now time.Time, opts CompactOptions) (CompactResult, error) {
	maxKeys := opts.MaxKeys
	if maxKeys <= 0 {
		maxKeys = DefaultCompactMaxKeys
	}
	om, mapEnd, err := buildOffsetMap(ctx, p, maxKeys)
	if err != nil {
		return CompactResult{}, l.abortCause(p, err)
	}
	lastBatch, err := lastProducerBatches(p.all)
	if err != nil {
		return CompactResult{}, l.abortCause(p, err)
	}
	c := &cleaner{offsets: om, lastBatch: lastBatch, ckp: &p.ckp, firstDirty: p.firstDirty,
		now: now.UnixMilli(), deleteRetentionMs: p.cfg.DeleteRetentionMs}
	res := CompactResult{}
	var srcs []*segment
	for _, s := range p.segs {
		if s.base < mapEnd {
			srcs = append(srcs, s)
		}
	}
	for _, group := range groupSegments(srcs, p.cfg.SegmentBytes) {
		if err := l.compactGroup(ctx, p, c, group, &res); err != nil {
			return res, l.abortCause(p, err)
		}
	}
	p.ckp.advance(mapEnd, now.UnixMilli(), p.cfg.DeleteRetentionMs)
	if err := writeCleanerCheckpoint(l.dir, p.ckp); err != nil {
		return res, err
	}
	res.CleanedTo = p.ckp.CleanedTo
	l.logger.Info("compacted log", "cleaned_to", res.CleanedTo, "segments", res.Segments, "swapped", res.Swapped,
		"bytes_before", res.BytesBefore, "bytes_after", res.BytesAfter, "records_removed", res.Removed)
	return res, nil
}

// compactGroup rewrites one group and swaps it in if anything changed.
func (l *Log) compactGroup(ctx context.Context, p *cleanPlan, c *cleaner, group []*segment, res *CompactResult) error {
	out, changed, err := l.cleanGroup(ctx, c, group, res)
	if err != nil {
		return err
	}
	if !changed {
		return nil
	}
	if l.stopAt("cleaned") {
		return errCompactStopped
	}
	if err := l.swap(p.gen, group, out); err != nil {
		return err
	}
	res.Swapped++
	return nil
}

// abortCause turns a failure caused by a concurrent drop of segments (a
// closed file, a vanished one) into errCompactAborted.
func (l *Log) abortCause(p *cleanPlan, err error) error {
	if errors.Is(err, errCompactStopped) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	l.appendMu.Lock()
	changed := l.segGen != p.gen
	l.appendMu.Unlock()
	if changed || l.checkOpen() != nil {
		return fmt.Errorf("%w: %w", errCompactAborted, err)
	}
	return err
}

// stopAt reports whether the test hook asks to stop (as if killed) at step.
func (l *Log) stopAt(step string) bool { return l.compactHook != nil && l.compactHook(step) }

// groupSegments splits consecutive segments into groups whose sizes add up
// to at most maxBytes and whose offsets fit one segment's relative range.
func groupSegments(segs []*segment, maxBytes int64) [][]*segment {
	var groups [][]*segment
	for i := 0; i < len(segs); {
		j, size := i+1, segs[i].size.Load()
		for j < len(segs) && size+segs[j].size.Load() <= maxBytes && segs[j].next.Load()-1-segs[i].base <= math.MaxInt32 {
			size += segs[j].size.Load()
			j++
		}
		groups = append(groups, segs[i:j])
		i = j
	}
	return groups
}
