package partition

import "github.com/samsa-io/samsa/internal/storage"

// Read-only accessors for metrics and DescribeLogDirs; each reads state
// that is safe to read concurrently with appends.

// Dir is the partition's directory (<log.dir>/<topic>-<partition>).
func (p *Partition) Dir() string { return p.dir }

// Size is the total size in bytes of the partition's log segments.
func (p *Partition) Size() int64 { return p.log.Size() }

// NumSegments is the number of log segments, the active one included.
func (p *Partition) NumSegments() int { return p.log.NumSegments() }

// ObserveFsync sends the duration of every segment fsync of every hosted
// replica, present and future, to fn (a metrics histogram).
func (m *Manager) ObserveFsync(fn storage.FsyncObserver) {
	m.onFsync.Store(&fn)
	for _, p := range m.Partitions() {
		p.log.SetFsyncObserver(fn)
	}
}
