package storage

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/samsa-io/samsa/protocol/records"
)

const (
	cleanedSuffix = ".cleaned"
	swapSuffix    = ".swap"

	// Byte positions in a v2 batch header (Kafka's format) that a rewrite
	// patches after records.AppendBatch: the CRC and the last offset delta.
	batchPosCRC             = 17
	batchPosLastOffsetDelta = 23
)

// cleaner decides, record by record, what a pass keeps.
type cleaner struct {
	offsets           *offsetMap
	lastBatch         map[int64]int64 // producer id -> base offset of its last batch
	ckp               *cleanerCheckpoint
	firstDirty        int64
	now               int64 // unix ms
	deleteRetentionMs int64
}

// keep reports whether record r of the batch h survives: it has a key, no
// later offset of its key is mapped, and it is not an expired tombstone.
// Keyless records are removed, as Kafka's cleaner removes them.
func (c *cleaner) keep(r records.Record, h records.Header) bool {
	off := r.Offset(h)
	if r.KeyNull {
		return false
	}
	if latest, ok := c.offsets.get(r.Key); ok && latest > off {
		return false
	}
	return !r.ValueNull || c.tombstoneLive(off)
}

// tombstoneLive: a tombstone lives for delete.retention.ms after the pass
// that first cleaned its offset (now, when it is in the dirty section).
func (c *cleaner) tombstoneLive(off int64) bool {
	if off >= c.firstDirty {
		return true
	}
	at, ok := c.ckp.firstCleaned(off)
	return !ok || c.now-at <= c.deleteRetentionMs
}

// filter returns what of batch to write: the batch itself when it loses
// nothing, a re-encoded batch when it loses some records, nil when it
// loses all (an empty batch when it is its producer's last).
func (c *cleaner) filter(batch []byte, h records.Header) (out []byte, removed int, err error) {
	if h.IsControl() || h.IsTransactional() {
		return batch, 0, nil
	}
	var kept []records.Record
	total := 0
	err = records.ForEachRecord(batch, func(r records.Record) bool {
		total++
		if c.keep(r, h) {
			kept = append(kept, r)
		}
		return true
	})
	switch {
	case err != nil:
		return nil, 0, fmt.Errorf("filter batch at offset %d: %w", h.BaseOffset, err)
	case len(kept) == total:
		return batch, 0, nil
	case len(kept) == 0 && (h.ProducerID < 0 || c.lastBatch[h.ProducerID] != h.BaseOffset):
		return nil, total, nil
	}
	codec := h.Compression()
	if len(kept) == 0 {
		codec = records.None
	}
	out, err = records.AppendBatch(nil, h, kept, codec)
	if err != nil {
		return nil, 0, fmt.Errorf("rewrite batch at offset %d: %w", h.BaseOffset, err)
	}
	// Keep the batch's offset span (its producer sequence range too).
	be.PutUint32(out[batchPosLastOffsetDelta:], uint32(h.LastOffsetDelta))
	be.PutUint32(out[batchPosCRC:], records.Checksum(out))
	return out, total - len(kept), nil
}

// cleanGroup writes the kept batches of group into <base>.log.cleaned and
// its indexes, all fsynced. changed is false (and nothing is left on disk)
// when the output would equal the single source segment.
func (l *Log) cleanGroup(ctx context.Context, c *cleaner, group []*segment, res *CompactResult) (*segment, bool, error) {
	base := group[0].base
	w, err := newCleanedWriter(l.dir, base, l.config().IndexIntervalBytes)
	if err != nil {
		return nil, false, err
	}
	changed := len(group) > 1
	for _, s := range group {
		if err := ctx.Err(); err != nil {
			w.discard()
			return nil, false, err
		}
		_, err := scanBatches(s.f, 0, s.size.Load(), func(_ int64, batch []byte, h records.Header) error {
			res.Records += int64(h.NumRecords)
			out, removed, err := c.filter(batch, h)
			if err != nil {
				return err
			}
			res.Removed += int64(removed)
			if len(out) != len(batch) || removed > 0 {
				changed = true
			}
			if out == nil {
				return nil
			}
			return w.write(out)
		})
		if err != nil {
			w.discard()
			return nil, false, fmt.Errorf("clean segment %d: %w", s.base, err)
		}
		res.Segments++
		res.BytesBefore += s.size.Load()
	}
	if !changed {
		w.discard()
		res.BytesAfter += group[0].size.Load()
		return nil, false, nil
	}
	seg, err := w.finish(group[len(group)-1].next.Load())
	if err != nil {
		return nil, false, err
	}
	res.BytesAfter += seg.size.Load()
	return seg, true, nil
}

// cleanedWriter writes a segment under the .cleaned names.
type cleanedWriter struct {
	dir      string
	base     int64
	f        *os.File
	bw       *bufio.Writer
	pos      int64
	idx      *segIndex
	interval int32
}

func newCleanedWriter(dir string, base int64, interval int32) (*cleanedWriter, error) {
	f, err := os.OpenFile(segmentName(dir, base, ".log")+cleanedSuffix, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create cleaned segment %d: %w", base, err)
	}
	return &cleanedWriter{dir: dir, base: base, f: f, bw: bufio.NewWriterSize(f, 1<<20),
		idx: newSegIndex(), interval: interval}, nil
}

func (w *cleanedWriter) write(batch []byte) error {
	h, err := records.ParseHeader(batch)
	if err != nil {
		return err
	}
	if _, err := w.bw.Write(batch); err != nil {
		return fmt.Errorf("write cleaned segment %d: %w", w.base, err)
	}
	w.idx.track(w.base, w.pos, len(batch), uint32(h.LastOffset()-w.base), h.MaxTimestamp, h.LastOffset(), w.interval)
	w.pos += int64(len(batch))
	return nil
}

// finish flushes and fsyncs the log file and writes the index files; the
// returned segment (named after the final paths) keeps the file open.
func (w *cleanedWriter) finish(next int64) (*segment, error) {
	err := w.bw.Flush()
	if err == nil {
		err = w.f.Sync()
	}
	if err != nil {
		w.discard()
		return nil, fmt.Errorf("write cleaned segment %d: %w", w.base, err)
	}
	w.idx.seal(w.base)
	s := &segment{base: w.base, dir: w.dir, f: w.f, idx: w.idx, created: time.Now()}
	s.size.Store(w.pos)
	s.next.Store(next)
	if err := w.idx.write(s.indexPath()+cleanedSuffix, s.timePath()+cleanedSuffix, true); err != nil {
		w.discard()
		return nil, err
	}
	return s, nil
}

// discard closes and removes the .cleaned files.
func (w *cleanedWriter) discard() {
	w.f.Close()
	removeCleaned(&segment{base: w.base, dir: w.dir})
}

// removeCleaned removes the .cleaned and .swap files named after s.
func removeCleaned(s *segment) {
	for _, p := range []string{s.logPath(), s.indexPath(), s.timePath()} {
		os.Remove(p + cleanedSuffix)
		os.Remove(p + swapSuffix)
	}
}
