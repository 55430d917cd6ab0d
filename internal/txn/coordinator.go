package txn

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/samsa-io/samsa/protocol/txnstate"
)

// StateTopic is the internal topic holding transaction metadata.
const StateTopic = "__transaction_state"

// Errors, mapped to Kafka codes by the handler.
var (
	ErrNotCoordinator           = errors.New("txn: not the coordinator")
	ErrLoadInProgress           = errors.New("txn: coordinator load in progress")
	ErrConcurrentTransactions   = errors.New("txn: concurrent transactions")
	ErrProducerFenced           = errors.New("txn: producer fenced")
	ErrInvalidProducerIDMapping = errors.New("txn: invalid producer id mapping")
	ErrInvalidTxnState          = errors.New("txn: invalid transaction state")
	ErrInvalidTimeout           = errors.New("txn: invalid transaction timeout")
	ErrUnknownTransactionalID   = errors.New("txn: unknown transactional id")
)

// Record is one __transaction_state record; a nil Value is a tombstone.
type Record struct {
	Key, Value []byte
}

// TopicPartition names a partition in a transaction.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// Log is the coordinator's view of the __transaction_state partitions this
// node leads. Append is called concurrently for different ids; Replay from
// one loader goroutine per partition.
type Log interface {
	// Append writes recs to partition p and returns once they are
	// committed (the high watermark covers them).
	Append(ctx context.Context, p int32, recs []Record) error
	// Replay calls fn for every record of p from its start to its log end
	// offset: a new leader's log includes records its high watermark does
	// not cover yet but that are committed (or will be), such as the
	// completion of a transaction whose successor already began.
	Replay(ctx context.Context, p int32, fn func(Record) error) error
}

// Markers writes transaction markers to data partitions.
type Markers interface {
	// Write appends a commit or abort marker for producerID at epoch to
	// every partition of parts (through its leader) and returns once all
	// are written and replicated, or with the first failure.
	Write(ctx context.Context, producerID int64, epoch int16, coordinatorEpoch int32, commit bool,
		parts []TopicPartition) error
}

// Config configures a Coordinator.
type Config struct {
	NumPartitions  int32         // transaction.state.log.num.partitions
	MaxTimeout     time.Duration // transaction.max.timeout.ms
	AbortInterval  time.Duration // how often timed-out transactions are looked for; default 10s
	IDExpiration   time.Duration // transactional.id.expiration.ms; default 7 days
	ExpireInterval time.Duration // how often expired ids are looked for; default 1h
	NextProducerID func() (int64, error)
	Logger         *slog.Logger
}

type partStatus struct {
	loaded bool
	epoch  int32 // the partition's leader epoch: the coordinator epoch
}

// Coordinator is the transaction coordinator of the __transaction_state
// partitions this node leads.
type Coordinator struct {
	cfg     Config
	log     Log
	markers Markers
	logger  *slog.Logger

	mu    sync.Mutex
	parts map[int32]partStatus
	txns  map[string]*meta

	life   sync.Mutex
	closed bool
	wg     sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc
}

// New makes a Coordinator that leads nothing yet and starts its timeout
// and expiration loops; Close stops them.
func New(cfg Config, log Log, markers Markers) *Coordinator {
	if cfg.NumPartitions < 1 {
		cfg.NumPartitions = 50
	}
	if cfg.MaxTimeout <= 0 {
		cfg.MaxTimeout = 15 * time.Minute
	}
	if cfg.AbortInterval <= 0 {
		cfg.AbortInterval = 10 * time.Second
	}
	if cfg.IDExpiration <= 0 {
		cfg.IDExpiration = 7 * 24 * time.Hour
	}
	if cfg.ExpireInterval <= 0 {
		cfg.ExpireInterval = time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Coordinator{cfg: cfg, log: log, markers: markers, logger: cfg.Logger,
		parts: make(map[int32]partStatus), txns: make(map[string]*meta)}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.goOwned(c.timeoutLoop)
	c.goOwned(c.expireLoop) // expire.go
	return c
}

// PartitionFor is the __transaction_state partition of a transactional id
// (Kafka's Utils.abs(id.hashCode) % numPartitions).
func (c *Coordinator) PartitionFor(id string) int32 {
	h := javaStringHash(id)
	if h == -1<<31 {
		h = 0
	} else if h < 0 {
		h = -h
	}
	return h % c.cfg.NumPartitions
}

func javaStringHash(s string) int32 {
	var h int32
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			h = 31*h + int32(0xD800+(r>>10))
			h = 31*h + int32(0xDC00+(r&0x3FF))
			continue
		}
		h = 31*h + int32(r)
	}
	return h
}

// Status reports whether this node leads partition p (owned) and has
// loaded it.
func (c *Coordinator) Status(p int32) (owned, loaded bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.parts[p]
	return ok, st.loaded
}

// SetLeaders tells the coordinator which partitions it leads, with their
// leader epochs. Newly led partitions are loaded in the background. Called
// from one goroutine (the metadata loop).
func (c *Coordinator) SetLeaders(parts map[int32]int32) {
	c.mu.Lock()
	var gained []int32
	for p, epoch := range parts {
		st, ok := c.parts[p]
		if !ok || st.epoch != epoch {
			c.parts[p] = partStatus{epoch: epoch}
			gained = append(gained, p)
		}
	}
	for p := range c.parts {
		if _, ok := parts[p]; !ok {
			delete(c.parts, p)
		}
	}
	for id, m := range c.txns {
		if st, ok := c.parts[m.partition]; !ok || !st.loaded {
			delete(c.txns, id)
		}
	}
	c.mu.Unlock()
	for _, p := range gained {
		epoch := parts[p]
		c.goOwned(func() { c.load(p, epoch) })
	}
}

func (c *Coordinator) load(p, epoch int32) {
	state := make(map[string]*meta)
	err := c.log.Replay(c.ctx, p, func(r Record) error {
		id, err := txnstate.DecodeKey(r.Key)
		if errors.Is(err, txnstate.ErrUnknownKey) {
			return nil
		}
		if err != nil {
			return err
		}
		if r.Value == nil {
			delete(state, id)
			return nil
		}
		v, err := txnstate.Decode(r.Value)
		if err != nil {
			return err
		}
		m := &meta{id: id, partition: p}
		m.data = fromValue(v)
		state[id] = m
		return nil
	})
	c.mu.Lock()
	st, ok := c.parts[p]
	if !ok || st.epoch != epoch || st.loaded {
		c.mu.Unlock()
		return
	}
	if err != nil {
		delete(c.parts, p)
		c.mu.Unlock()
		c.logger.Error("load transaction state partition", "partition", p, "err", err)
		return
	}
	// The prepared entries are picked before they are published: once in
	// c.txns, a request may lock and change one at any time.
	var prepared []*meta
	for id, m := range state {
		if m.data.state == txnstate.PrepareCommit || m.data.state == txnstate.PrepareAbort {
			prepared = append(prepared, m)
		}
		c.txns[id] = m
	}
	c.parts[p] = partStatus{loaded: true, epoch: epoch}
	c.mu.Unlock()
	c.logger.Info("loaded transaction state partition", "partition", p, "transactional_ids", len(state))
	for _, m := range prepared {
		c.goOwned(func() {
			m.mu.Lock()
			defer m.mu.Unlock()
			// The producer's EndTxn retry may have finished it first, and
			// begun the next transaction: finishing that one here would
			// abort it (finish aborts what is not PrepareCommit).
			if st := m.data.state; st != txnstate.PrepareCommit && st != txnstate.PrepareAbort {
				return
			}
			if err := c.finish(c.ctx, m); err != nil {
				c.logger.Warn("finish transaction after failover", "transactional_id", m.id, "err", err)
			}
		})
	}
}

// lookup finds id's metadata on a loaded partition led here; with create
// it adds an empty entry.
func (c *Coordinator) lookup(id string, create bool) (*meta, error) {
	p := c.PartitionFor(id)
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.parts[p]
	switch {
	case !ok:
		return nil, ErrNotCoordinator
	case !st.loaded:
		return nil, ErrLoadInProgress
	}
	m := c.txns[id]
	if m == nil && create {
		m = &meta{id: id, partition: p, data: data{producerID: -1, epoch: -1}}
		c.txns[id] = m
	}
	return m, nil
}

// coordinatorEpoch is the leader epoch of m's partition while m is still
// the entry this coordinator loaded or created for its id, or
// ErrNotCoordinator. An entry goes stale when the partition is lost or
// reloaded (even if this node leads it again, at a newer epoch, with a
// fresh entry from the log): a background completion or an operation that
// found m before that must not write markers or state from m's outdated
// view, or it could re-send the markers of a transaction another
// coordinator already completed, committing or aborting the producer's
// next transaction (as Kafka checks the cache entry's coordinator epoch
// around every transaction log append).
func (c *Coordinator) coordinatorEpoch(m *meta) (int32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.parts[m.partition]
	if !ok || !st.loaded || c.txns[m.id] != m {
		return 0, ErrNotCoordinator
	}
	return st.epoch, nil
}

func (c *Coordinator) goOwned(f func()) {
	c.life.Lock()
	defer c.life.Unlock()
	if c.closed {
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
}

// Close stops background work and waits for it.
func (c *Coordinator) Close() error {
	c.life.Lock()
	c.closed = true
	c.life.Unlock()
	c.cancel()
	c.wg.Wait()
	return nil
}

// timeoutLoop aborts transactions open longer than their timeout (Kafka's
// abortTimedOutTransactions) and retries unfinished completions.
func (c *Coordinator) timeoutLoop() {
	t := time.NewTicker(c.cfg.AbortInterval)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
			c.abortExpired(time.Now())
		}
	}
}

func (c *Coordinator) abortExpired(now time.Time) {
	c.mu.Lock()
	var ms []*meta
	for _, m := range c.txns {
		ms = append(ms, m)
	}
	c.mu.Unlock()
	for _, m := range ms {
		if c.ctx.Err() != nil {
			return
		}
		m.mu.Lock()
		var err error
		switch d := m.data; {
		case d.state == txnstate.Ongoing && now.Sub(d.start) > d.timeout:
			c.logger.Info("aborting timed-out transaction", "transactional_id", m.id, "producer_id", d.producerID,
				"epoch", d.epoch)
			err = c.abortFenced(c.ctx, m)
		case d.state == txnstate.PrepareCommit || d.state == txnstate.PrepareAbort:
			err = c.finish(c.ctx, m)
		}
		m.mu.Unlock()
		if err != nil {
			c.logger.Warn("abort timed-out transaction", "transactional_id", m.id, "err", err)
		}
	}
}

// Info describes one transactional id (DescribeTransactions and
// ListTransactions).
type Info struct {
	TransactionalID string
	ProducerID      int64
	Epoch           int16
	State           txnstate.State
	TimeoutMs       int32
	StartMs         int64 // -1 when no transaction is open
	Partitions      []TopicPartition
}

// Describe returns id's state.
func (c *Coordinator) Describe(id string) (Info, error) {
	m, err := c.lookup(id, false)
	if err != nil {
		return Info{}, err
	}
	if m == nil {
		return Info{}, ErrUnknownTransactionalID
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data.producerID < 0 {
		return Info{}, ErrUnknownTransactionalID
	}
	return m.info(), nil
}

// List returns every transactional id of the partitions led here.
func (c *Coordinator) List() []Info {
	c.mu.Lock()
	var ms []*meta
	for _, m := range c.txns {
		ms = append(ms, m)
	}
	c.mu.Unlock()
	var out []Info
	for _, m := range ms {
		m.mu.Lock()
		if m.data.producerID >= 0 {
			out = append(out, m.info())
		}
		m.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TransactionalID < out[j].TransactionalID })
	return out
}
