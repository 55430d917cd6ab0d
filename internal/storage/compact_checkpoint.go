package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

const (
	cleanerFile           = "cleaner-offset-checkpoint"
	cleanerVersion        = 1
	maxCleanerPassEntries = 1000 // horizon ranges kept; older ones are merged
)

// cleanerCheckpoint is the per-log state of the cleaner, persisted in
// cleaner-offset-checkpoint:
//
//	version 1
//	cleaned-to <offset>
//	purged-to <offset>
//	pass <end offset> <unix ms>   (zero or more, end offsets increasing)
//
// Offsets below cleaned-to form the clean section; below purged-to a pass
// already ran after their tombstones expired. A "pass" line says that
// the offsets from the previous line's end (or the log start) up to end
// were first cleaned at that time: tombstones there expire
// delete.retention.ms later.
type cleanerCheckpoint struct {
	CleanedTo int64
	PurgedTo  int64
	Passes    []cleanerPass
}

type cleanerPass struct {
	End int64 // offsets below End (and at or above the previous End)
	At  int64 // unix ms of their first cleaning
}

// firstCleaned is when offset was first cleaned; ok is false when no pass
// covers it (it is still dirty).
func (c *cleanerCheckpoint) firstCleaned(offset int64) (int64, bool) {
	for _, p := range c.Passes {
		if offset < p.End {
			return p.At, true
		}
	}
	return 0, false
}

// tombstonesExpired reports whether some clean range has tombstones past
// their horizon that no pass has removed yet.
func (c *cleanerCheckpoint) tombstonesExpired(now, deleteRetentionMs int64) bool {
	for _, p := range c.Passes {
		if p.At+deleteRetentionMs < now && p.End > c.PurgedTo {
			return true
		}
	}
	return false
}

// advance records a pass that cleaned up to end at time now, dropping the
// detail of ranges whose tombstones have all expired (they merge into one
// range) and of the oldest ranges when there are too many.
func (c *cleanerCheckpoint) advance(end, now, deleteRetentionMs int64) {
	if end > c.CleanedTo {
		c.Passes = append(c.Passes, cleanerPass{End: end, At: now})
		c.CleanedTo = end
	}
	expired := 0
	for expired < len(c.Passes) && c.Passes[expired].At+deleteRetentionMs < now {
		c.PurgedTo = max(c.PurgedTo, c.Passes[expired].End)
		expired++
	}
	if expired > 1 { // the last expired range absorbs the earlier ones
		c.Passes = append(c.Passes[:0], c.Passes[expired-1:]...)
	}
	for len(c.Passes) > maxCleanerPassEntries { // merge keeping the later time: tombstones live longer
		c.Passes = append(c.Passes[:0], c.Passes[1:]...)
	}
}

func (c cleanerCheckpoint) encode() []byte {
	b := fmt.Appendf(nil, "version %d\ncleaned-to %d\npurged-to %d\n", cleanerVersion, c.CleanedTo, c.PurgedTo)
	for _, p := range c.Passes {
		b = fmt.Appendf(b, "pass %d %d\n", p.End, p.At)
	}
	return b
}

// readCleanerCheckpoint reads the checkpoint; a missing file is the zero
// checkpoint (everything dirty).
func readCleanerCheckpoint(dir string) (cleanerCheckpoint, error) {
	var c cleanerCheckpoint
	b, err := os.ReadFile(filepath.Join(dir, cleanerFile))
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("read cleaner checkpoint: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) < 3 || lines[0] != "version "+strconv.Itoa(cleanerVersion) {
		return cleanerCheckpoint{}, fmt.Errorf("read cleaner checkpoint: header: %w", errBadCheckpoint)
	}
	if _, err := fmt.Sscanf(lines[1], "cleaned-to %d", &c.CleanedTo); err != nil {
		return cleanerCheckpoint{}, fmt.Errorf("read cleaner checkpoint: %q: %w", lines[1], errBadCheckpoint)
	}
	if _, err := fmt.Sscanf(lines[2], "purged-to %d", &c.PurgedTo); err != nil {
		return cleanerCheckpoint{}, fmt.Errorf("read cleaner checkpoint: %q: %w", lines[2], errBadCheckpoint)
	}
	for _, line := range lines[3:] {
		var p cleanerPass
		if _, err := fmt.Sscanf(line, "pass %d %d", &p.End, &p.At); err != nil ||
			(len(c.Passes) > 0 && p.End <= c.Passes[len(c.Passes)-1].End) {
			return cleanerCheckpoint{}, fmt.Errorf("read cleaner checkpoint: %q: %w", line, errBadCheckpoint)
		}
		c.Passes = append(c.Passes, p)
	}
	return c, nil
}

func writeCleanerCheckpoint(dir string, c cleanerCheckpoint) error {
	return WriteFileAtomic(filepath.Join(dir, cleanerFile), c.encode())
}
