package partition

import (
	"fmt"
	"math"

	"github.com/samsa-io/samsa/protocol/records"
)

// cachedBatches is how many recent batches per producer are remembered to
// answer retries of already-written batches with their original offsets.
// Kafka keeps five, matching max.in.flight.requests.per.connection=5.
const cachedBatches = 5

type batchMeta struct {
	firstSeq, lastSeq int32
	baseOffset        int64
	lastOffset        int64
	appendTime        int64 // LogAppendTime given to the batch, or -1
}

// producerState is what one partition knows about one idempotent producer.
type producerState struct {
	epoch int16
	// lastTimestamp is the max timestamp of the producer's latest batch
	// (data or marker), what producer.id.expiration.ms is measured from
	// (expire.go). Taken from the batch, not the wall clock, so leader and
	// followers, and a rebuild from the log, agree on it.
	lastTimestamp int64
	// lastOffset is the last offset of the producer's latest batch (data
	// or marker): a snapshot taken before retention moved the log start
	// past it drops the producer, as a replay from the log start would.
	lastOffset int64
	// coordinatorEpoch is the highest transaction coordinator epoch of
	// the producer's markers (-1: none): a marker from an older
	// coordinator is a zombie's and is refused.
	coordinatorEpoch int32
	batches          [cachedBatches]batchMeta
	n                int // valid entries in batches, newest at (head-1)
	head             int
}

func (s *producerState) last() (batchMeta, bool) {
	if s.n == 0 {
		return batchMeta{}, false
	}
	return s.batches[(s.head+cachedBatches-1)%cachedBatches], true
}

// cached returns the remembered batches, oldest first.
func (s *producerState) cached() []batchMeta {
	out := make([]batchMeta, 0, s.n)
	for i := s.n; i > 0; i-- {
		out = append(out, s.batches[(s.head+cachedBatches-i)%cachedBatches])
	}
	return out
}

func (s *producerState) push(b batchMeta) {
	s.batches[s.head] = b
	s.head = (s.head + 1) % cachedBatches
	if s.n < cachedBatches {
		s.n++
	}
}

func (s *producerState) find(firstSeq, lastSeq int32) (batchMeta, bool) {
	for i := 0; i < s.n; i++ {
		b := s.batches[(s.head+cachedBatches-1-i)%cachedBatches]
		if b.firstSeq == firstSeq && b.lastSeq == lastSeq {
			return b, true
		}
	}
	return batchMeta{}, false
}

// producers tracks idempotent producers of one partition. It is guarded by
// the owning Partition's mutex.
type producers map[int64]*producerState

// dupOrCheck decides what to do with a batch from an idempotent producer,
// following Kafka's rules: a retry of a cached batch is a duplicate
// (answered with its original offsets), an older epoch is fenced, a new
// epoch must start at sequence 0, a known epoch must continue exactly where
// the last batch ended. A producer we hold no state for (new, or whose
// batches were all deleted) is accepted at any sequence.
func (ps producers) dupOrCheck(h records.Header) (dup batchMeta, isDup bool, err error) {
	if h.ProducerID < 0 {
		return batchMeta{}, false, nil
	}
	lastSeq := seqAdd(h.BaseSequence, h.LastOffsetDelta)
	st, ok := ps[h.ProducerID]
	if !ok {
		return batchMeta{}, false, nil
	}
	switch {
	case h.ProducerEpoch < st.epoch:
		return batchMeta{}, false, fmt.Errorf("%w: producer %d epoch %d is older than %d",
			ErrInvalidProducerEpoch, h.ProducerID, h.ProducerEpoch, st.epoch)
	case h.BaseSequence < 0:
		// No sequence: a coordinator's write for the producer (its
		// transactional offset commit); only the epoch is checked.
		return batchMeta{}, false, nil
	case h.ProducerEpoch > st.epoch:
		if h.BaseSequence != 0 {
			return batchMeta{}, false, fmt.Errorf("%w: producer %d new epoch %d must start at sequence 0, got %d",
				ErrOutOfOrderSequence, h.ProducerID, h.ProducerEpoch, h.BaseSequence)
		}
		return batchMeta{}, false, nil
	}
	if b, found := st.find(h.BaseSequence, lastSeq); found {
		return b, true, nil
	}
	last, ok := st.last()
	if !ok {
		return batchMeta{}, false, nil
	}
	if want := seqAdd(last.lastSeq, 1); h.BaseSequence != want {
		return batchMeta{}, false, fmt.Errorf("%w: producer %d epoch %d expected sequence %d, got %d",
			ErrOutOfOrderSequence, h.ProducerID, h.ProducerEpoch, want, h.BaseSequence)
	}
	return batchMeta{}, false, nil
}

// record notes a batch that was written at baseOffset (with appendTime as
// its LogAppendTime, or -1).
func (ps producers) record(h records.Header, baseOffset, appendTime int64) {
	if h.ProducerID < 0 {
		return
	}
	st, ok := ps[h.ProducerID]
	if !ok || h.ProducerEpoch != st.epoch {
		cepoch := int32(-1)
		if ok {
			cepoch = st.coordinatorEpoch // survives an epoch bump, as in Kafka
		}
		st = &producerState{epoch: h.ProducerEpoch, coordinatorEpoch: cepoch}
		ps[h.ProducerID] = st
	}
	st.lastTimestamp = h.MaxTimestamp
	st.lastOffset = baseOffset + int64(h.LastOffsetDelta)
	if h.IsControl() || h.BaseSequence < 0 {
		// A transaction marker or a coordinator's write carries no
		// sequence: it only moves the producer to its epoch (a fencing
		// abort bumps it).
		return
	}
	st.push(batchMeta{
		firstSeq:   h.BaseSequence,
		lastSeq:    seqAdd(h.BaseSequence, h.LastOffsetDelta),
		baseOffset: baseOffset,
		lastOffset: baseOffset + int64(h.LastOffsetDelta),
		appendTime: appendTime,
	})
}

// seqAdd adds to a sequence number, wrapping at MaxInt32 as Kafka does.
func seqAdd(seq, n int32) int32 {
	if int64(seq)+int64(n) > math.MaxInt32 {
		return int32(int64(seq) + int64(n) - math.MaxInt32 - 1)
	}
	return seq + n
}

// noteMarker raises the producer's coordinator epoch to that of a marker
// already recorded (record came first, so the producer exists).
func (ps producers) noteMarker(producerID int64, coordinatorEpoch int32) {
	if st, ok := ps[producerID]; ok && coordinatorEpoch > st.coordinatorEpoch {
		st.coordinatorEpoch = coordinatorEpoch
	}
}
