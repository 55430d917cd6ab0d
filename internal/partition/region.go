package partition

import "github.com/samsa-io/samsa/internal/storage"

// ReadBound is how far a read may go.
type ReadBound int

const (
	UpToHighWatermark ReadBound = iota // consumers (read_uncommitted)
	UpToLogEnd                         // followers
	UpToLastStable                     // read_committed consumers
)

// ReadRegion is Read, ReadForReplica or ReadCommitted (by bound) returning
// the batches as a span of the segment file rather than a copy, for a
// fetch to send without copying. The caller must Release it.
func (p *Partition) ReadRegion(offset int64, maxBytes int, bound ReadBound) (storage.Region, error) {
	if p.closed.Load() {
		return storage.Region{}, ErrClosed
	}
	var maxOffset int64
	switch bound {
	case UpToLogEnd:
		maxOffset = p.log.LogEndOffset()
	case UpToLastStable:
		maxOffset = p.LastStableOffset()
	default:
		maxOffset = p.HighWatermark()
	}
	return p.log.ReadRegion(offset, maxBytes, maxOffset)
}
