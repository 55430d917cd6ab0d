package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/samsa-io/samsa/protocol/records"
)

// swap replaces the segments of group by out, on disk and in the list
// (see "Crash safety" in compact.go). Before the commit point a failure
// removes out's files; after it, the swap is completed by the next Open.
func (l *Log) swap(gen uint64, group []*segment, out *segment) error {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	i, err := l.locateGroup(gen, group)
	if err != nil {
		out.close()
		removeCleaned(out)
		return err
	}
	if err := l.commitSwap(out); err != nil {
		if !errors.Is(err, errCompactStopped) {
			out.close()
			removeCleaned(out)
		}
		return err
	}
	deleted, err := l.installSwap(group, out)
	if err != nil {
		if !errors.Is(err, errCompactStopped) {
			l.logger.Error("compaction swap interrupted after its commit point; the next open completes it",
				"segment", out.base, "err", err)
		}
		return err
	}
	l.mu.Lock()
	segs := slices.Concat(l.segs[:i], []*segment{out}, l.segs[i+len(group):])
	l.segs = segs
	l.mu.Unlock()
	for _, s := range group { // no reader can reach them any more
		s.close()
	}
	l.scheduleRemoval(deleted)
	return nil
}

// locateGroup returns the position of group in the list, or
// errCompactAborted if the list changed since gen or the log closed.
// appendMu is held.
func (l *Log) locateGroup(gen uint64, group []*segment) (int, error) {
	if err := l.checkOpen(); err != nil {
		return 0, fmt.Errorf("%w: %w", errCompactAborted, err)
	}
	i := slices.Index(l.segs, group[0])
	if l.segGen != gen || i < 0 || i+len(group) >= len(l.segs) {
		return 0, fmt.Errorf("%w: segment %d moved", errCompactAborted, group[0].base)
	}
	for k, s := range group {
		if l.segs[i+k] != s {
			return 0, fmt.Errorf("%w: segment %d moved", errCompactAborted, s.base)
		}
	}
	return i, nil
}

// commitSwap renames out's .cleaned files to .swap, the log file last:
// once <base>.log.swap exists the swap will happen, crash or not.
func (l *Log) commitSwap(out *segment) error {
	for _, p := range []string{out.indexPath(), out.timePath()} {
		if err := os.Rename(p+cleanedSuffix, p+swapSuffix); err != nil {
			return fmt.Errorf("swap segment %d: %w", out.base, err)
		}
	}
	if l.stopAt("swap-index") {
		return errCompactStopped
	}
	if err := os.Rename(out.logPath()+cleanedSuffix, out.logPath()+swapSuffix); err != nil {
		return fmt.Errorf("swap segment %d: %w", out.base, err)
	}
	if err := SyncDir(l.dir); err != nil {
		return fmt.Errorf("swap segment %d: %w", out.base, err)
	}
	if l.stopAt("committed") {
		return errCompactStopped
	}
	return nil
}

// installSwap renames the other source segments' files to .deleted (the
// first one's are replaced) and the .swap files to their final names, the
// log file last. It returns the .deleted paths.
func (l *Log) installSwap(group []*segment, out *segment) ([]string, error) {
	var deleted []string
	for _, s := range group[1:] {
		for _, p := range []string{s.logPath(), s.indexPath(), s.timePath()} {
			if err := os.Rename(p, p+deletedSuffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("swap segment %d: %w", out.base, err)
			}
			deleted = append(deleted, p+deletedSuffix)
		}
		if l.stopAt("deleted") {
			return nil, errCompactStopped
		}
	}
	if err := installSwapFiles(l.dir, out.base, func() bool { return l.stopAt("installed-index") }); err != nil {
		return nil, err
	}
	if l.stopAt("installed") {
		return nil, errCompactStopped
	}
	return deleted, nil
}

// installSwapFiles renames <base>.{index,timeindex,log}.swap to their final
// names (those present; the log file last) and fsyncs the directory.
func installSwapFiles(dir string, base int64, stop func() bool) error {
	for _, ext := range []string{".index", ".timeindex", ".log"} {
		if ext == ".log" && stop != nil && stop() {
			return errCompactStopped
		}
		p := segmentName(dir, base, ext)
		if err := os.Rename(p+swapSuffix, p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("install swapped segment %d: %w", base, err)
		}
	}
	if err := SyncDir(dir); err != nil {
		return fmt.Errorf("install swapped segment %d: %w", base, err)
	}
	return nil
}

// finishInterruptedCleaning runs at Open before the segments are listed:
// it removes the files of passes that had not committed and completes the
// swaps that had.
func finishInterruptedCleaning(dir string, logger *slog.Logger) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("finish cleaning: %w", err)
	}
	var swaps []int64
	for _, e := range ents {
		if stem, ok := strings.CutSuffix(e.Name(), ".log"+swapSuffix); ok {
			if base, err := strconv.ParseInt(stem, 10, 64); err == nil && len(stem) == 20 {
				swaps = append(swaps, base)
			}
		}
	}
	for _, e := range ents {
		name := e.Name()
		stem, _, _ := strings.Cut(name, ".")
		base, _ := strconv.ParseInt(stem, 10, 64)
		if strings.HasSuffix(name, cleanedSuffix) || (strings.HasSuffix(name, swapSuffix) && !slices.Contains(swaps, base)) {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return fmt.Errorf("finish cleaning: %w", err)
			}
		}
	}
	for _, base := range swaps {
		if err := completeSwap(dir, base, ents); err != nil {
			return err
		}
		logger.Info("completed an interrupted compaction swap", "segment", base)
	}
	return nil
}

// completeSwap installs <base>.log.swap: the source segments it replaces
// are those whose base offset lies in (base, end of the swap's offsets).
func completeSwap(dir string, base int64, ents []os.DirEntry) error {
	end, err := swapEnd(segmentName(dir, base, ".log") + swapSuffix)
	if err != nil {
		return err
	}
	for _, e := range ents {
		stem, ok := strings.CutSuffix(e.Name(), ".log")
		b, perr := strconv.ParseInt(stem, 10, 64)
		if !ok || perr != nil || len(stem) != 20 || b <= base || b >= end {
			continue
		}
		for _, ext := range []string{".log", ".index", ".timeindex"} {
			if err := os.Remove(segmentName(dir, b, ext)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("complete swap %d: %w", base, err)
			}
		}
	}
	return installSwapFiles(dir, base, nil)
}

// swapEnd returns the offset after the last batch of a .swap log file
// (fsynced before it got that name), or its base when it is empty.
func swapEnd(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("complete swap: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("complete swap: %w", err)
	}
	end := int64(-1)
	_, err = scanBatches(f, 0, st.Size(), func(_ int64, _ []byte, h records.Header) error {
		end = h.LastOffset() + 1
		return nil
	})
	if err != nil { // cannot happen after an fsync; recovery rescans the segment anyway
		return 0, fmt.Errorf("complete swap %s: %w", filepath.Base(path), err)
	}
	return end, nil
}
