package share

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// RecordState is the state of one in-flight record of a share-partition
// (KIP-932): Available records can be acquired, an Acquired record is
// locked by one member until it is acknowledged or its lock expires, and
// Acknowledged and Archived records are never delivered again.
type RecordState uint8

const (
	Available RecordState = iota
	Acquired
	Acknowledged
	Archived
)

func (s RecordState) String() string {
	switch s {
	case Available:
		return "Available"
	case Acquired:
		return "Acquired"
	case Acknowledged:
		return "Acknowledged"
	case Archived:
		return "Archived"
	}
	return fmt.Sprintf("RecordState(%d)", uint8(s))
}

// AckType is an acknowledgement type as ShareFetch and ShareAcknowledge
// carry it.
type AckType int8

const (
	AckGap     AckType = 0 // the offset holds no record (compacted away, a control record): archive it
	AckAccept  AckType = 1 // processed: never deliver again
	AckRelease AckType = 2 // give back for redelivery
	AckReject  AckType = 3 // unprocessable: archive without redelivery
	AckRenew   AckType = 4 // still processing: restart the acquisition lock (KIP-1222)
)

// Errors of acknowledgement. The handler maps them to Kafka's codes.
var (
	// ErrInvalidRecordState: an acknowledged offset is not acquired by the
	// acknowledging member (INVALID_RECORD_STATE).
	ErrInvalidRecordState = errors.New("share: record is not acquired by this member")
	// ErrInvalidAck: malformed acknowledgement batches (INVALID_REQUEST).
	ErrInvalidAck = errors.New("share: invalid acknowledgement")
)

// PartitionConfig are the settings of one share-partition; Kafka's names.
type PartitionConfig struct {
	LockDuration  time.Duration // share.record.lock.duration.ms (group.share.record.lock.duration.ms: 30s)
	DeliveryLimit int16         // group.share.delivery.count.limit (5)
	MaxInFlight   int           // group.share.partition.max.record.locks (2000)
}

// DefaultPartitionConfig is Kafka 4.4's defaults.
func DefaultPartitionConfig() PartitionConfig {
	return PartitionConfig{LockDuration: 30 * time.Second, DeliveryLimit: 5, MaxInFlight: 2000}
}

// Batch describes one stored record batch the caller read from the log,
// in log order. Skip marks a batch no consumer may see: a control batch
// (transaction marker) or, for read_committed, an aborted transaction's.
type Batch struct {
	First, Last int64
	Skip        bool
}

// AcquiredRange is a range of offsets acquired in one ShareFetch, all with the
// same delivery count (ShareFetch's AcquiredRecords).
type AcquiredRange struct {
	First, Last   int64
	DeliveryCount int16
}

// AckBatch is one acknowledgement batch: Types has one type for the whole
// range, or one per offset of First..Last.
type AckBatch struct {
	First, Last int64
	Types       []AckType
}

// record is the state of one in-flight offset.
type record struct {
	state      RecordState
	deliveries int16
	member     string    // holder of the lock while Acquired
	deadline   time.Time // lock expiry while Acquired
}

// Counters are cumulative event counts of a share-partition, for metrics.
type Counters struct {
	Acquisitions int64 // records acquired (each delivery counts)
	Redeliveries int64 // acquisitions of a record delivered before
	Archived     int64 // records archived at the delivery limit or rejected
	LockTimeouts int64 // acquisition locks that expired
}

// Partition is the share-group state of one topic partition: the
// share-partition start offset (SPSO), below which every record is done,
// and the in-flight records from there to the end offset (SPEO), the next
// offset never yet acquired.
//
// Threading: every method is safe for concurrent use; mu guards all
// fields. A Partition calls nothing outside itself while holding mu.
type Partition struct {
	cfg         PartitionConfig
	leaderEpoch int32 // the partition's leader epoch the state belongs to (Manager.Partition); set before sharing

	mu       sync.Mutex
	start    int64    // SPSO
	inFlight []record // inFlight[i] is offset start+i; the end offset is start+len(inFlight)
	counters Counters
}

// NewPartition starts a share-partition at startOffset with nothing in
// flight.
func NewPartition(cfg PartitionConfig, startOffset int64) *Partition {
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = DefaultPartitionConfig().MaxInFlight
	}
	if cfg.DeliveryLimit <= 0 {
		cfg.DeliveryLimit = DefaultPartitionConfig().DeliveryLimit
	}
	return &Partition{cfg: cfg, start: startOffset}
}

// StartOffset is the SPSO.
func (p *Partition) StartOffset() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.start
}

// EndOffset is the SPEO: the first offset never acquired.
func (p *Partition) EndOffset() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.end()
}

func (p *Partition) end() int64 { return p.start + int64(len(p.inFlight)) }

// Counters returns the cumulative event counts.
func (p *Partition) Counters() Counters {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counters
}

// State reports the state and delivery count of offset, as of now. An
// offset below the SPSO is Acknowledged (done) and one at or past the SPEO
// is Available with no delivery.
func (p *Partition) State(offset int64, now time.Time) (RecordState, int16) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expire(now)
	switch {
	case offset < p.start:
		return Acknowledged, 0
	case offset >= p.end():
		return Available, 0
	}
	r := p.inFlight[offset-p.start]
	return r.state, r.deliveries
}

// InFlight counts the records between SPSO and SPEO in each state.
func (p *Partition) InFlight(now time.Time) map[RecordState]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expire(now)
	m := make(map[RecordState]int)
	for _, r := range p.inFlight {
		m[r.state]++
	}
	return m
}

// AdvanceStart moves the SPSO up to offset (the log start offset after
// retention or DeleteRecords): records below it can never be delivered.
func (p *Partition) AdvanceStart(offset int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if offset <= p.start {
		return
	}
	if offset >= p.end() {
		p.start, p.inFlight = offset, nil
		return
	}
	p.inFlight = p.inFlight[offset-p.start:]
	p.start = offset
	p.trim()
}

// FetchOffset is the offset a ShareFetch should read the log from: the
// first Available in-flight record, else the SPEO. ok is false when no
// record can be acquired now: nothing is Available and the in-flight
// records are at the limit.
func (p *Partition) FetchOffset(now time.Time) (offset int64, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expire(now)
	for i, r := range p.inFlight {
		if r.state == Available {
			return p.start + int64(i), true
		}
	}
	return p.end(), len(p.inFlight) < p.cfg.MaxInFlight
}

// NextLockDeadline is the earliest expiry of an acquisition lock, and
// false if no record is acquired.
func (p *Partition) NextLockDeadline() (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var first time.Time
	for _, r := range p.inFlight {
		if r.state == Acquired && (first.IsZero() || r.deadline.Before(first)) {
			first = r.deadline
		}
	}
	return first, !first.IsZero()
}

// Acquire locks records of batches for member until now plus the lock
// duration and returns the acquired ranges. batches are what the log holds
// from FetchOffset on, in order. Available in-flight records are acquired
// again (their delivery count grows); offsets past the SPEO join the
// in-flight records, up to the in-flight limit. Offsets the log does not
// hold (gaps between batches) and skipped batches are archived, never
// delivered.
//
// maxRecords bounds the records acquired. In batch-optimized mode
// (strict false) the batch in progress is acquired whole, as Kafka does,
// so the bound may be exceeded; in record-limit mode (strict true,
// KIP-1206) it never is.
func (p *Partition) Acquire(member string, now time.Time, batches []Batch, maxRecords int, strict bool) []AcquiredRange {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expire(now)
	if maxRecords <= 0 {
		return nil
	}
	deadline := now.Add(p.cfg.LockDuration)
	var out []AcquiredRange
	acquired := 0
	take := func(offset int64, r *record) {
		if r.deliveries > 0 {
			p.counters.Redeliveries++
		}
		r.state, r.member, r.deadline = Acquired, member, deadline
		r.deliveries++
		p.counters.Acquisitions++
		acquired++
		if n := len(out); n > 0 && out[n-1].Last == offset-1 && out[n-1].DeliveryCount == r.deliveries {
			out[n-1].Last = offset
			return
		}
		out = append(out, AcquiredRange{First: offset, Last: offset, DeliveryCount: r.deliveries})
	}
	for _, b := range batches {
		if acquired >= maxRecords {
			break
		}
		if b.Last < p.start {
			continue
		}
		// A gap before this batch past the SPEO holds no record.
		for p.end() < b.First && len(p.inFlight) < p.cfg.MaxInFlight {
			p.inFlight = append(p.inFlight, record{state: Archived})
		}
		for off := max(b.First, p.start); off <= b.Last; off++ {
			if strict && acquired >= maxRecords {
				break
			}
			if off == p.end() {
				if len(p.inFlight) >= p.cfg.MaxInFlight {
					break
				}
				p.inFlight = append(p.inFlight, record{})
			}
			if off > p.end() {
				break // the gap above was cut short by the in-flight limit
			}
			r := &p.inFlight[off-p.start]
			if r.state != Available {
				continue
			}
			if b.Skip {
				r.state = Archived
				continue
			}
			take(off, r)
		}
	}
	p.trim()
	return out
}

// Acknowledge applies member's acknowledgement batches. It is all or
// nothing: if any offset is not acquired by member (or its lock expired),
// nothing changes and the error is ErrInvalidRecordState; malformed
// batches (overlapping, out of order, bad types, First > Last, a type
// count that matches neither 1 nor the range) give ErrInvalidAck.
func (p *Partition) Acknowledge(member string, now time.Time, batches []AckBatch) error {
	if err := ValidateAcks(batches, true); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expire(now)
	for _, b := range batches {
		for off := b.First; off <= b.Last; off++ {
			if off < p.start || off >= p.end() {
				return fmt.Errorf("%w: offset %d is outside the in-flight records %d-%d", ErrInvalidRecordState, off, p.start, p.end()-1)
			}
			r := p.inFlight[off-p.start]
			if r.state != Acquired || r.member != member {
				return fmt.Errorf("%w: offset %d is %s", ErrInvalidRecordState, off, r.state)
			}
		}
	}
	deadline := now.Add(p.cfg.LockDuration)
	for _, b := range batches {
		for off := b.First; off <= b.Last; off++ {
			t := b.Types[0]
			if len(b.Types) > 1 {
				t = b.Types[off-b.First]
			}
			r := &p.inFlight[off-p.start]
			switch t {
			case AckAccept:
				r.state, r.member = Acknowledged, ""
			case AckGap:
				r.state, r.member = Archived, ""
			case AckReject:
				r.state, r.member = Archived, ""
				p.counters.Archived++
			case AckRelease:
				p.release(r)
			case AckRenew:
				r.deadline = deadline
			}
		}
	}
	p.trim()
	return nil
}

// ValidateAcks checks the shape of acknowledgement batches: ascending,
// non-overlapping ranges with First <= Last, and either one type or one
// per offset, each a known type (Renew only when renewAllowed).
func ValidateAcks(batches []AckBatch, renewAllowed bool) error {
	prev := int64(-1)
	for i, b := range batches {
		if b.First < 0 || b.First > b.Last {
			return fmt.Errorf("%w: batch %d-%d", ErrInvalidAck, b.First, b.Last)
		}
		if i > 0 && b.First <= prev {
			return fmt.Errorf("%w: batch %d-%d overlaps or precedes the one before", ErrInvalidAck, b.First, b.Last)
		}
		prev = b.Last
		if n := int64(len(b.Types)); n != 1 && n != b.Last-b.First+1 {
			return fmt.Errorf("%w: %d types for batch %d-%d", ErrInvalidAck, n, b.First, b.Last)
		}
		for _, t := range b.Types {
			if t < AckGap || t > AckRenew || (t == AckRenew && !renewAllowed) {
				return fmt.Errorf("%w: acknowledge type %d", ErrInvalidAck, t)
			}
		}
	}
	return nil
}

// ReleaseMember gives back every record member holds (its share session
// closed or it left the group) and returns how many.
func (p *Partition) ReleaseMember(member string, now time.Time) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expire(now)
	n := 0
	for i := range p.inFlight {
		if r := &p.inFlight[i]; r.state == Acquired && r.member == member {
			p.release(r)
			n++
		}
	}
	p.trim()
	return n
}

// release makes an acquired record Available again, or Archived once it
// was delivered as often as the delivery limit allows.
func (p *Partition) release(r *record) {
	r.member = ""
	if r.deliveries >= p.cfg.DeliveryLimit {
		r.state = Archived
		p.counters.Archived++
		return
	}
	r.state = Available
}

// expire releases every record whose lock expired by now.
func (p *Partition) expire(now time.Time) {
	released := false
	for i := range p.inFlight {
		if r := &p.inFlight[i]; r.state == Acquired && !now.Before(r.deadline) {
			p.release(r)
			p.counters.LockTimeouts++
			released = true
		}
	}
	if released {
		p.trim()
	}
}

// trim advances the SPSO past the leading records that are done.
func (p *Partition) trim() {
	n := 0
	for n < len(p.inFlight) && (p.inFlight[n].state == Acknowledged || p.inFlight[n].state == Archived) {
		n++
	}
	if n == 0 {
		return
	}
	p.start += int64(n)
	if n == len(p.inFlight) {
		p.inFlight = nil
		return
	}
	p.inFlight = p.inFlight[n:]
}
