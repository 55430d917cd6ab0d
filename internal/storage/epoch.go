package storage

import (
	"path/filepath"
	"sync"
)

// epochCache maps leader epochs to their start offsets (Kafka's
// LeaderEpochFileCache) and persists every change to the
// leader-epoch-checkpoint file. Changes are rare (one per leader change),
// so writing synchronously is cheap. mu is a leaf lock.
type epochCache struct {
	mu      sync.Mutex
	dir     string
	entries []epochEntry // strictly increasing in both Epoch and Start
}

// assign records that epoch starts at offset if it is newer than the
// latest epoch.
func (c *epochCache) assign(epoch int32, offset int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := len(c.entries); n > 0 && (c.entries[n-1].Epoch >= epoch) {
		return nil
	}
	for n := len(c.entries); n > 0 && c.entries[n-1].Start >= offset; n-- {
		c.entries = c.entries[:n-1] // a newer epoch taking over the same offsets
	}
	c.entries = append(c.entries, epochEntry{Epoch: epoch, Start: offset})
	return c.persistLocked()
}

// truncateEnd drops epochs starting at or after offset (log truncation).
func (c *epochCache) truncateEnd(offset int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.entries)
	for n > 0 && c.entries[n-1].Start >= offset {
		n--
	}
	if n == len(c.entries) {
		return nil
	}
	c.entries = c.entries[:n]
	return c.persistLocked()
}

// truncateStart moves the first epoch's start up to offset (log start
// advanced), dropping epochs that end before it.
func (c *epochCache) truncateStart(offset int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := 0
	for i+1 < len(c.entries) && c.entries[i+1].Start <= offset {
		i++
	}
	if len(c.entries) == 0 || (i == 0 && c.entries[0].Start >= offset) {
		return nil
	}
	c.entries = append([]epochEntry(nil), c.entries[i:]...)
	c.entries[0].Start = max(c.entries[0].Start, offset)
	return c.persistLocked()
}

func (c *epochCache) persistLocked() error {
	return WriteFileAtomic(filepath.Join(c.dir, epochFile), encodeEpochs(c.entries))
}

// epochOf returns the epoch that wrote offset (the last entry starting at
// or before it), or -1 if no entry covers it.
func (c *epochCache) epochOf(offset int64) int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	epoch := int32(-1)
	for _, e := range c.entries {
		if e.Start > offset {
			break
		}
		epoch = e.Epoch
	}
	return epoch
}

// latest returns the latest epoch, or -1.
func (c *epochCache) latest() int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) == 0 {
		return -1
	}
	return c.entries[len(c.entries)-1].Epoch
}

// endOffsetFor answers OffsetForLeaderEpoch: the largest epoch <= epoch
// and the start offset of the epoch after it (or leo if it is the latest).
// Returns (-1, -1) if epoch is older than every known epoch.
func (c *epochCache) endOffsetFor(epoch int32, leo int64) (int32, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.entries) - 1; i >= 0; i-- {
		if c.entries[i].Epoch <= epoch {
			if i == len(c.entries)-1 {
				return c.entries[i].Epoch, leo
			}
			return c.entries[i].Epoch, c.entries[i+1].Start
		}
	}
	return -1, -1
}

func (c *epochCache) snapshot() []epochEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]epochEntry(nil), c.entries...)
}
