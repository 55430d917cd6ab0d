package txn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/samsa-io/samsa/protocol/txnstate"
)

// data is what is stored about a transactional id.
type data struct {
	producerID int64
	epoch      int16
	timeout    time.Duration
	state      txnstate.State
	parts      map[TopicPartition]bool
	start      time.Time // when the ongoing transaction began
	update     time.Time
}

func (d data) clone() data {
	d2 := d
	d2.parts = make(map[TopicPartition]bool, len(d.parts))
	for tp := range d.parts {
		d2.parts[tp] = true
	}
	return d2
}

func (d data) sortedParts() []TopicPartition {
	out := make([]TopicPartition, 0, len(d.parts))
	for tp := range d.parts {
		out = append(out, tp)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Topic != out[j].Topic {
			return out[i].Topic < out[j].Topic
		}
		return out[i].Partition < out[j].Partition
	})
	return out
}

func (d data) value() txnstate.Value {
	v := txnstate.Value{ProducerID: d.producerID, ProducerEpoch: d.epoch, TimeoutMs: int32(d.timeout.Milliseconds()),
		State: d.state, LastUpdateMs: d.update.UnixMilli(), StartMs: -1}
	if !d.start.IsZero() {
		v.StartMs = d.start.UnixMilli()
	}
	for _, tp := range d.sortedParts() {
		if n := len(v.Topics); n > 0 && v.Topics[n-1].Topic == tp.Topic {
			v.Topics[n-1].Partitions = append(v.Topics[n-1].Partitions, tp.Partition)
			continue
		}
		v.Topics = append(v.Topics, txnstate.TopicPartitions{Topic: tp.Topic, Partitions: []int32{tp.Partition}})
	}
	return v
}

func fromValue(v txnstate.Value) data {
	d := data{producerID: v.ProducerID, epoch: v.ProducerEpoch, timeout: time.Duration(v.TimeoutMs) * time.Millisecond,
		state: v.State, parts: make(map[TopicPartition]bool), update: time.UnixMilli(v.LastUpdateMs)}
	if v.StartMs > 0 {
		d.start = time.UnixMilli(v.StartMs)
	}
	for _, t := range v.Topics {
		for _, p := range t.Partitions {
			d.parts[TopicPartition{t.Topic, p}] = true
		}
	}
	return d
}

// meta is one transactional id. mu serializes its operations.
type meta struct {
	id        string
	partition int32

	mu      sync.Mutex
	data    data
	removed bool // expired (expire.go): no longer the id's entry
}

func (m *meta) info() Info {
	in := Info{TransactionalID: m.id, ProducerID: m.data.producerID, Epoch: m.data.epoch, State: m.data.state,
		TimeoutMs: int32(m.data.timeout.Milliseconds()), StartMs: -1, Partitions: m.data.sortedParts()}
	if m.data.state == txnstate.Ongoing && !m.data.start.IsZero() {
		in.StartMs = m.data.start.UnixMilli()
	}
	return in
}

// persist writes next as id's new state and installs it. Called with m.mu.
func (c *Coordinator) persist(ctx context.Context, m *meta, next data) error {
	if _, err := c.coordinatorEpoch(m); err != nil {
		return fmt.Errorf("persist transaction state of %q: %w", m.id, err)
	}
	next.update = time.Now()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rec := Record{Key: txnstate.Key(m.id), Value: txnstate.Encode(next.value())}
	if err := c.log.Append(ctx, m.partition, []Record{rec}); err != nil {
		return fmt.Errorf("persist transaction state of %q: %w: %w", m.id, ErrNotCoordinator, err)
	}
	m.data = next
	return nil
}

// InitProducerID gives a transactional producer its producer id and a new
// epoch, fencing every older instance. An ongoing transaction of the id
// is aborted first (with the new epoch, so the old instance's late writes
// are rejected); a half-finished one is finished. reqPID/reqEpoch
// (KIP-360, -1 when absent) must match the current ones.
func (c *Coordinator) InitProducerID(ctx context.Context, id string, timeoutMs int32, reqPID int64,
	reqEpoch int16) (int64, int16, error) {
	timeout := time.Duration(timeoutMs) * time.Millisecond
	if timeoutMs <= 0 || timeout > c.cfg.MaxTimeout {
		return -1, -1, ErrInvalidTimeout
	}
	m, err := c.lockMeta(id, true)
	if err != nil {
		return -1, -1, err
	}
	defer m.mu.Unlock()
	d := m.data.clone()
	if reqPID >= 0 && d.producerID >= 0 && (reqPID != d.producerID || reqEpoch != d.epoch) {
		return -1, -1, ErrProducerFenced
	}
	switch d.state {
	case txnstate.PrepareCommit, txnstate.PrepareAbort:
		if err := c.finish(ctx, m); err != nil {
			return -1, -1, fmt.Errorf("%w: %w", ErrConcurrentTransactions, err)
		}
	case txnstate.Ongoing:
		if err := c.abortFenced(ctx, m); err != nil {
			return -1, -1, fmt.Errorf("%w: %w", ErrConcurrentTransactions, err)
		}
		// abortFenced already bumped the epoch past the old instance.
		d = m.data.clone()
		d.timeout, d.state, d.start = timeout, txnstate.Empty, time.Time{}
		if err := c.persist(ctx, m, d); err != nil {
			return -1, -1, err
		}
		return d.producerID, d.epoch, nil
	}
	d = m.data.clone()
	if d.producerID < 0 || d.epoch >= math.MaxInt16-1 {
		pid, err := c.cfg.NextProducerID()
		if err != nil {
			return -1, -1, fmt.Errorf("allocate producer id: %w", err)
		}
		d.producerID, d.epoch = pid, 0
	} else {
		d.epoch++
	}
	d.timeout, d.state, d.start, d.parts = timeout, txnstate.Empty, time.Time{}, map[TopicPartition]bool{}
	if err := c.persist(ctx, m, d); err != nil {
		return -1, -1, err
	}
	return d.producerID, d.epoch, nil
}

// checkProducer validates the producer id and epoch of a request against
// id's state. Called with m.mu.
func checkProducer(m *meta, pid int64, epoch int16) error {
	switch {
	case m == nil || m.data.producerID < 0 || m.data.producerID != pid:
		return ErrInvalidProducerIDMapping
	case epoch != m.data.epoch:
		return ErrProducerFenced
	}
	return nil
}

// AddPartitions adds partitions to the producer's transaction, starting
// one if none is open.
func (c *Coordinator) AddPartitions(ctx context.Context, id string, pid int64, epoch int16, parts []TopicPartition) error {
	m, err := c.lookup(id, false)
	if err != nil {
		return err
	}
	if m == nil {
		return ErrInvalidProducerIDMapping
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := checkProducer(m, pid, epoch); err != nil {
		return err
	}
	d := m.data.clone()
	switch d.state {
	case txnstate.PrepareCommit, txnstate.PrepareAbort, txnstate.PrepareEpochFence:
		return ErrConcurrentTransactions
	}
	added := false
	for _, tp := range parts {
		if !d.parts[tp] {
			d.parts[tp], added = true, true
		}
	}
	if !added && d.state == txnstate.Ongoing {
		return nil
	}
	if d.state != txnstate.Ongoing {
		d.state, d.start = txnstate.Ongoing, time.Now()
	}
	return c.persist(ctx, m, d)
}

// EndTxn commits or aborts the producer's transaction: the decision is
// written (PrepareCommit/PrepareAbort), the markers are written to every
// partition, then the completion. A retry of a finished EndTxn succeeds.
func (c *Coordinator) EndTxn(ctx context.Context, id string, pid int64, epoch int16, commit bool) error {
	m, err := c.lookup(id, false)
	if err != nil {
		return err
	}
	if m == nil {
		return ErrInvalidProducerIDMapping
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := checkProducer(m, pid, epoch); err != nil {
		return err
	}
	d := m.data.clone()
	switch {
	case d.state == txnstate.Ongoing:
	case d.state == txnstate.CompleteCommit && commit, d.state == txnstate.CompleteAbort && !commit:
		return nil
	case d.state == txnstate.PrepareCommit && commit, d.state == txnstate.PrepareAbort && !commit:
		return c.finish(ctx, m)
	case d.state == txnstate.Empty && !commit:
		return nil // nothing was added: nothing to abort
	default:
		return ErrInvalidTxnState
	}
	d.state = txnstate.PrepareAbort
	if commit {
		d.state = txnstate.PrepareCommit
	}
	if err := c.persist(ctx, m, d); err != nil {
		return err
	}
	if err := c.finish(ctx, m); err != nil {
		// The decision is durable; the markers are retried in the
		// background and the producer's next request waits for them
		// (CONCURRENT_TRANSACTIONS), as in Kafka.
		c.logger.Warn("write transaction markers; retrying", "transactional_id", m.id, "err", err)
		c.goOwned(func() { c.retryFinish(m) })
	}
	return nil
}

// retryFinish retries finishing m's prepared transaction with backoff
// until it is done, this node stops coordinating it, or Close.
func (c *Coordinator) retryFinish(m *meta) {
	backoff := 100 * time.Millisecond
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-time.After(backoff):
		}
		m.mu.Lock()
		st := m.data.state
		var err error
		if st == txnstate.PrepareCommit || st == txnstate.PrepareAbort {
			err = c.finish(c.ctx, m)
		}
		m.mu.Unlock()
		if err == nil || errors.Is(err, ErrNotCoordinator) {
			return
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// abortFenced aborts the ongoing transaction with a bumped epoch, so that
// the producer that opened it can no longer write or commit. Called with
// m.mu.
func (c *Coordinator) abortFenced(ctx context.Context, m *meta) error {
	d := m.data.clone()
	d.epoch++
	d.state = txnstate.PrepareAbort
	if err := c.persist(ctx, m, d); err != nil {
		return err
	}
	return c.finish(ctx, m)
}

// finish writes the markers of a prepared transaction and completes it.
// Called with m.mu; on failure the prepared state stays and the timeout
// loop retries.
func (c *Coordinator) finish(ctx context.Context, m *meta) error {
	d := m.data.clone()
	commit := d.state == txnstate.PrepareCommit
	cepoch, err := c.coordinatorEpoch(m)
	if err != nil {
		return err
	}
	mctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := c.markers.Write(mctx, d.producerID, d.epoch, cepoch, commit, d.sortedParts()); err != nil {
		return fmt.Errorf("write markers of %q: %w", m.id, err)
	}
	d.state = txnstate.CompleteAbort
	if commit {
		d.state = txnstate.CompleteCommit
	}
	d.parts, d.start = map[TopicPartition]bool{}, time.Time{}
	return c.persist(ctx, m, d)
}
