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

// Committed is WaitForCommit without waiting: done is false while the high
// watermark is below offset; once done, err is what WaitForCommit returns.
// A produce whose records are already committed (acks=all on a single
// replica) then needs no timer or wake-up channel.
func (p *Partition) Committed(offset int64, epoch int32) (done bool, err error) {
	return p.hwReached(offset, epoch)
}
