package group

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// OffsetsTopic is the internal topic holding groups and committed offsets.
const OffsetsTopic = "__consumer_offsets"

// Record is one __consumer_offsets record; a nil Value is a tombstone.
// Replay also reports transactions: a record of a transactional batch has
// Txn set and its ProducerID, and a transaction marker comes as a Record
// with Marker set and ProducerID (and no key).
type Record struct {
	Key, Value []byte
	Txn        bool  // written by ProducerID's transaction (replay only)
	ProducerID int64 // with Txn or Marker
	Marker     Marker
}

// Marker says whether a replayed Record is a transaction marker.
type Marker int8

const (
	NoMarker     Marker = iota
	CommitMarker        // the producer's transaction committed
	AbortMarker         // the producer's transaction aborted
)

// Log is the coordinator's view of the __consumer_offsets partitions this
// node leads.
//
// Threading: Append is called concurrently for different groups (never
// concurrently for one group) and must not call back into the Coordinator.
// Replay is called from one loader goroutine per partition.
type Log interface {
	// Append writes recs to partition p as one batch and returns once they
	// are committed (the high watermark covers them).
	Append(ctx context.Context, p int32, recs []Record) error
	// Replay calls fn for every record of partition p, in offset order,
	// from the log start to the log end offset at the time of the call: a
	// new leader holds records its high watermark does not cover yet (it
	// learns the old leader's one fetch late, or from a stale checkpoint
	// after a restart) but that are committed or will be, such as offset
	// commits and transaction markers the old leader acknowledged.
	// Kafka's GroupMetadataManager loads to the log end too.
	Replay(ctx context.Context, p int32, fn func(Record) error) error
}

// Config configures a Coordinator. Zero durations take Kafka's defaults
// where noted.
type Config struct {
	NumPartitions          int32 // offsets.topic.num.partitions
	InitialRebalanceDelay  time.Duration
	MinSessionTimeout      time.Duration
	MaxSessionTimeout      time.Duration
	OffsetsRetention       time.Duration // default 7 days
	RetentionCheckInterval time.Duration // default 10 minutes
	MaxMetadataBytes       int           // offset.metadata.max.bytes, default 4096
	// KIP-848 consumer groups: group.consumer.heartbeat.interval.ms
	// (default 5s), group.consumer.session.timeout.ms (default 45s) and
	// the partition count of a topic (0: unknown), for the assignors.
	ConsumerHeartbeatInterval time.Duration
	ConsumerSessionTimeout    time.Duration
	// ConsumerMaxSize is group.consumer.max.size (0: no limit), and
	// ConsumerAssignors group.consumer.assignors: the server-side
	// assignors members may ask for, the first the default ("uniform",
	// "range"; default both, uniform first).
	ConsumerMaxSize   int
	ConsumerAssignors []string
	PartitionCount    func(topic string) int32
	Clock             Clock        // default: real time
	Logger            *slog.Logger // default: discard
}

// PartitionStatus is this node's state for one __consumer_offsets partition.
type PartitionStatus int8

const (
	NotOwned PartitionStatus = iota // another node (or nobody) leads it
	Loading                         // led here, being replayed
	Loaded                          // led here and served
)

// Coordinator coordinates the groups of the offsets partitions this node
// leads. See the package documentation for the threading contract.
type Coordinator struct {
	cfg    Config
	log    Log
	clock  Clock
	logger *slog.Logger

	mu     sync.Mutex // guards groups and parts; taken before any Group.mu
	groups map[string]*Group
	parts  map[int32]PartitionStatus
	epochs map[int32]int32 // leader epoch each owned partition is loaded at
	// lateMarkers holds the transaction markers written to a partition
	// while it loads: the replay may have read the log before them and
	// the groups they end are installed only afterwards.
	lateMarkers map[int32][]txnEnd

	life   sync.Mutex // guards closed and wg.Add
	closed bool
	wg     sync.WaitGroup // loaders, the expiry loop, running timer callbacks
	ctx    context.Context
	cancel context.CancelFunc
}

// New makes a Coordinator that owns no partition yet and starts its offset
// expiry loop. Close stops it.
func New(cfg Config, log Log) *Coordinator {
	if cfg.NumPartitions < 1 {
		cfg.NumPartitions = 50
	}
	if cfg.OffsetsRetention <= 0 {
		cfg.OffsetsRetention = 7 * 24 * time.Hour
	}
	if cfg.RetentionCheckInterval <= 0 {
		cfg.RetentionCheckInterval = 10 * time.Minute
	}
	if cfg.MaxMetadataBytes <= 0 {
		cfg.MaxMetadataBytes = 4096
	}
	if cfg.ConsumerHeartbeatInterval <= 0 {
		cfg.ConsumerHeartbeatInterval = 5 * time.Second
	}
	if cfg.ConsumerSessionTimeout <= 0 {
		cfg.ConsumerSessionTimeout = consumerSessionTimeout
	}
	if len(cfg.ConsumerAssignors) == 0 {
		cfg.ConsumerAssignors = []string{"uniform", "range"}
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Coordinator{cfg: cfg, log: log, clock: cfg.Clock, logger: cfg.Logger,
		groups: make(map[string]*Group), parts: make(map[int32]PartitionStatus),
		epochs: make(map[int32]int32)}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.goOwned(c.expiryLoop)
	return c
}

// PartitionFor is the __consumer_offsets partition of a group: Kafka's
// Utils.abs(groupId.hashCode) % offsets.topic.num.partitions.
func (c *Coordinator) PartitionFor(groupID string) int32 {
	return PartitionFor(groupID, c.cfg.NumPartitions)
}

// PartitionFor is Kafka's partition of groupID among n offsets partitions.
func PartitionFor(groupID string, n int32) int32 {
	h := javaStringHash(groupID)
	if h == -1<<31 { // Utils.abs maps Integer.MIN_VALUE to 0
		h = 0
	} else if h < 0 {
		h = -h
	}
	return h % n
}

// javaStringHash is Java's String.hashCode: s[0]*31^(n-1) + ... over the
// UTF-16 code units, in int32 arithmetic.
func javaStringHash(s string) int32 {
	var h int32
	for _, r := range s {
		if r >= 0x10000 { // a surrogate pair in UTF-16
			r -= 0x10000
			h = 31*h + int32(0xD800+(r>>10))
			h = 31*h + int32(0xDC00+(r&0x3FF))
			continue
		}
		h = 31*h + int32(r)
	}
	return h
}

// Status reports this node's state for offsets partition p.
func (c *Coordinator) Status(p int32) PartitionStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.parts[p]
}

// goOwned runs f in a goroutine Close waits for; it does nothing once
// closed.
func (c *Coordinator) goOwned(f func()) {
	if !c.enter() {
		return
	}
	go func() {
		defer c.wg.Done()
		f()
	}()
}

// enter registers a unit of background work, or reports that the
// coordinator is closed.
func (c *Coordinator) enter() bool {
	c.life.Lock()
	defer c.life.Unlock()
	if c.closed {
		return false
	}
	c.wg.Add(1)
	return true
}

// after schedules f after d as owned work: it does not run once closed.
func (c *Coordinator) after(d time.Duration, f func()) Timer {
	return c.clock.AfterFunc(d, func() {
		if !c.enter() {
			return
		}
		defer c.wg.Done()
		f()
	})
}

// Close fails every waiting request with ErrNotCoordinator, stops timers
// and background work and waits for it.
func (c *Coordinator) Close() error {
	c.life.Lock()
	c.closed = true
	c.life.Unlock()
	c.cancel()
	c.mu.Lock()
	groups := c.groups
	c.groups = make(map[string]*Group)
	c.parts = make(map[int32]PartitionStatus)
	c.mu.Unlock()
	for _, g := range groups {
		g.mu.Lock()
		g.shutdown(ErrNotCoordinator)
		g.mu.Unlock()
	}
	c.wg.Wait()
	return nil
}

// lookup finds a group of a partition served here; with create it adds an
// Empty group when there is none. It returns (nil, nil) for a missing group
// without create.
func (c *Coordinator) lookup(id string, create bool) (*Group, error) {
	if id == "" {
		return nil, ErrInvalidGroupID
	}
	p := c.PartitionFor(id)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.parts[p] {
	case NotOwned:
		return nil, ErrNotCoordinator
	case Loading:
		return nil, ErrLoadInProgress
	}
	g := c.groups[id]
	if g == nil && create {
		g = newGroup(id, p, c.clock.Now())
		c.groups[id] = g
	}
	return g, nil
}

// removeIfDead drops g from the map if it is Dead. Called without g.mu.
func (c *Coordinator) removeIfDead(g *Group) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g.mu.Lock()
	dead := g.state == Dead
	g.mu.Unlock()
	if dead && c.groups[g.id] == g {
		delete(c.groups, g.id)
	}
}

// appendRecords writes recs to g's partition. Called with g.mu held.
func (c *Coordinator) appendRecords(g *Group, recs []Record) error {
	ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
	defer cancel()
	return c.log.Append(ctx, g.partition, recs)
}
