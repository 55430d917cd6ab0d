package partition

import (
	"fmt"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/samsa-io/samsa/protocol/records"
	"github.com/samsa-io/samsa/protocol/txnstate"
)

// Transactions in a partition. A transactional producer's first data batch
// opens its transaction here; the commit or abort marker (a control batch
// the transaction coordinator writes through WriteMarker) closes it. The
// last stable offset (LSO) is the first offset of the oldest open
// transaction, bounded by the high watermark; read_committed consumers read
// below it only. Aborted transactions are kept as (producer, first offset,
// marker offset) so that Fetch can list those overlapping the data it
// returns.
//
// The state is a function of the batches in the log: followers build the
// same state from the batches they copy, and openPartition and truncation
// rebuild it from the newest producer snapshot (which carries the open and
// the aborted transactions, snapshot.go) plus the batches after it, or by
// scanning the whole log (control batches are read whole to learn commit
// or abort). The aborted list is Kafka's .txnindex kept in memory.

// AbortedTxn is one aborted transaction: its producer, its first offset in
// this partition and the offset of its abort marker.
type AbortedTxn struct {
	ProducerID  int64
	FirstOffset int64
	LastOffset  int64
}

// txnState is a partition's transactions. ongoing is guarded by the
// Partition's mu (it changes with appends); aborted by its own lock so
// fetches never wait for an append.
type txnState struct {
	ongoing       map[int64]int64 // producer id -> first offset of its open transaction
	firstUnstable atomic.Int64    // min over ongoing, MaxInt64 when none

	mu      sync.RWMutex
	aborted []AbortedTxn // in marker-offset order
}

// restore installs state loaded from a producer snapshot.
func (t *txnState) restore(ongoing map[int64]int64, aborted []AbortedTxn) {
	t.ongoing = ongoing
	t.recompute()
	t.mu.Lock()
	t.aborted = aborted
	t.mu.Unlock()
}

func (t *txnState) reset() {
	t.ongoing = make(map[int64]int64)
	t.firstUnstable.Store(math.MaxInt64)
	t.mu.Lock()
	t.aborted = nil
	t.mu.Unlock()
}

// onBatch updates the state for a batch written at [base, last]; batch is
// the whole batch (only read for control batches).
func (t *txnState) onBatch(h records.Header, base, last int64, batch []byte) {
	if h.ProducerID < 0 || !h.IsTransactional() {
		return
	}
	if t.ongoing == nil {
		t.reset()
	}
	if !h.IsControl() {
		if _, open := t.ongoing[h.ProducerID]; !open {
			t.ongoing[h.ProducerID] = base
			t.recompute()
		}
		return
	}
	commit, ok := txnstate.MarkerType(batch)
	first, open := t.ongoing[h.ProducerID]
	if !ok || !open {
		return
	}
	delete(t.ongoing, h.ProducerID)
	t.recompute()
	if !commit {
		t.mu.Lock()
		t.aborted = append(t.aborted, AbortedTxn{ProducerID: h.ProducerID, FirstOffset: first, LastOffset: last})
		t.mu.Unlock()
	}
}

func (t *txnState) recompute() {
	m := int64(math.MaxInt64)
	for _, off := range t.ongoing {
		m = min(m, off)
	}
	t.firstUnstable.Store(m)
}

// abortedIn lists the aborted transactions that overlap [from, upto).
func (t *txnState) abortedIn(from, upto int64) []AbortedTxn {
	t.mu.RLock()
	defer t.mu.RUnlock()
	i := sort.Search(len(t.aborted), func(i int) bool { return t.aborted[i].LastOffset >= from })
	var out []AbortedTxn
	for ; i < len(t.aborted); i++ {
		if a := t.aborted[i]; a.FirstOffset < upto {
			out = append(out, a)
		}
	}
	return out
}

// LastStableOffset is the offset below which every transaction is decided
// and every record committed: the read_committed end of the log.
func (p *Partition) LastStableOffset() int64 {
	return min(p.txns.firstUnstable.Load(), p.HighWatermark())
}

// ReadCommitted is Read bounded by the last stable offset
// (isolation_level=read_committed).
func (p *Partition) ReadCommitted(offset int64, maxBytes int) ([]byte, error) {
	if p.closed.Load() {
		return nil, ErrClosed
	}
	return p.log.Read(offset, maxBytes, p.LastStableOffset())
}

// AbortedTxns lists the aborted transactions overlapping [from, upto), for
// a read_committed Fetch that returned records in that range.
func (p *Partition) AbortedTxns(from, upto int64) []AbortedTxn {
	return p.txns.abortedIn(from, upto)
}

// OngoingTxn reports the first offset of producerID's open transaction.
func (p *Partition) OngoingTxn(producerID int64) (int64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	off, ok := p.txns.ongoing[producerID]
	return off, ok
}

// ProducerInfo is one producer's state in a partition (DescribeProducers).
type ProducerInfo struct {
	ProducerID       int64
	Epoch            int16
	LastSequence     int32
	LastTimestamp    int64
	TxnStartOffset   int64 // -1: no open transaction
	CoordinatorEpoch int32
}

// Producers lists the producers this partition knows.
func (p *Partition) Producers() []ProducerInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []ProducerInfo
	for id, st := range p.producers {
		pi := ProducerInfo{ProducerID: id, Epoch: st.epoch, LastSequence: -1, LastTimestamp: st.lastTimestamp, TxnStartOffset: -1,
			CoordinatorEpoch: st.coordinatorEpoch}
		if b, ok := st.last(); ok {
			pi.LastSequence = b.lastSeq
		}
		if off, ok := p.txns.ongoing[id]; ok {
			pi.TxnStartOffset = off
		}
		out = append(out, pi)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ProducerID < out[j].ProducerID })
	return out
}

// WriteMarker appends a commit or abort marker for producerID's
// transaction (WriteTxnMarkers) and returns its offset. The marker's epoch
// may be newer than the producer's (a coordinator fencing a producer
// aborts with a bumped epoch): the producer's state moves to that epoch,
// so later batches of the older epoch are rejected.
func (p *Partition) WriteMarker(producerID int64, epoch int16, commit bool, coordinatorEpoch int32) (AppendResult, error) {
	batch, err := txnstate.MarkerBatch(producerID, epoch, commit, coordinatorEpoch, time.Now().UnixMilli())
	if err != nil {
		return AppendResult{}, err
	}
	res, err := p.writeMarkerLocked(batch, producerID, epoch, coordinatorEpoch)
	if err != nil {
		return res, err
	}
	hw := p.HighWatermark()
	p.maybeAdvanceHighWatermark()
	if p.HighWatermark() == hw {
		p.waiters.wake()
	}
	return res, nil
}

func (p *Partition) writeMarkerLocked(batch []byte, producerID int64, epoch int16, coordinatorEpoch int32) (AppendResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed.Load() {
		return AppendResult{}, ErrClosed
	}
	if !p.IsLeader() {
		return AppendResult{}, ErrNotLeader
	}
	if st, ok := p.producers[producerID]; ok && epoch < st.epoch {
		return AppendResult{}, fmt.Errorf("%w: marker for producer %d epoch %d is older than %d",
			ErrInvalidProducerEpoch, producerID, epoch, st.epoch)
	}
	if st, ok := p.producers[producerID]; ok && coordinatorEpoch < st.coordinatorEpoch {
		return AppendResult{}, fmt.Errorf("%w: marker for producer %d from coordinator epoch %d, already saw %d",
			ErrCoordinatorFenced, producerID, coordinatorEpoch, st.coordinatorEpoch)
	}
	res, err := p.log.Append(batch, p.leaderEpoch.Load())
	if err != nil {
		return AppendResult{}, fmt.Errorf("append marker %s-%d: %w", p.Topic, p.Index, err)
	}
	h, err := records.ParseHeader(batch)
	if err != nil {
		return AppendResult{}, err
	}
	h.BaseOffset = res.BaseOffset
	p.producers.record(h, res.BaseOffset, -1)
	p.producers.noteMarker(producerID, coordinatorEpoch)
	p.txns.onBatch(h, res.BaseOffset, res.LastOffset, batch)
	p.maybeSnapshotLocked()
	return AppendResult{BaseOffset: res.BaseOffset, LastOffset: res.LastOffset, LogAppendTime: -1,
		LogStartOffset: p.log.LogStartOffset(), LeaderEpoch: p.leaderEpoch.Load()}, nil
}

// noteBatches feeds every batch of data (as copied or rebuilt) to the
// producer and transaction state. Called with p.mu held.
func (p *Partition) noteBatches(data []byte) {
	for rest := data; len(rest) > 0; {
		batch, next, err := records.Next(rest)
		if err != nil {
			return
		}
		if h, err := records.ParseHeader(batch); err == nil && h.ProducerID >= 0 {
			appendTime := int64(-1)
			if h.LogAppendTime() {
				appendTime = h.MaxTimestamp
			}
			p.producers.record(h, h.BaseOffset, appendTime)
			p.noteControl(h, batch)
			p.txns.onBatch(h, h.BaseOffset, h.LastOffset(), batch)
		}
		rest = next
	}
}

// rebuildTxns replays the transactional batches found by a log scan, in
// log order, reading each control batch whole to learn commit or abort.
func (p *Partition) rebuildTxns(hs []records.Header) error {
	leo := p.log.LogEndOffset()
	for _, h := range hs {
		var batch []byte
		if h.IsControl() {
			data, err := p.log.Read(h.BaseOffset, h.Size(), leo)
			if err != nil {
				return fmt.Errorf("rebuild transactions %s-%d: read marker at %d: %w", p.Topic, p.Index, h.BaseOffset, err)
			}
			if b, _, err := records.Next(data); err == nil {
				batch = b
			}
		}
		p.noteControl(h, batch)
		p.txns.onBatch(h, h.BaseOffset, h.LastOffset(), batch)
	}
	return nil
}

// noteControl feeds a replicated or replayed marker's coordinator epoch to
// the producer state, so a leader elected later refuses older markers too.
func (p *Partition) noteControl(h records.Header, batch []byte) {
	if !h.IsControl() || batch == nil {
		return
	}
	if m, ok := txnstate.ReadMarker(batch); ok {
		p.producers.noteMarker(h.ProducerID, m.CoordinatorEpoch)
	}
}
