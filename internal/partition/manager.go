package partition

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/storage"
)

// TopicPartition names a partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// Manager hosts this node's replicas and keeps them in step with the
// metadata image: ApplyImage opens replicas assigned here, reconfigures them
// when topic configs change and deletes those whose topic is gone.
//
// Threading: ApplyImage is called from one goroutine (the server's metadata
// loop); Partition and Partitions from any goroutine. mu guards only the
// maps and, but for Close at shutdown, is never held across disk work:
// opening or deleting a log (files, indexes, fsyncs) happens outside it,
// so a topic of thousands of partitions being created or deleted does not
// hold up the produce and fetch requests that look their partition up
// under mu. Lock order: mu before a Partition's mu (dropping takes the
// partition's after removing it from the map, not under mu).
type Manager struct {
	nodeID int32
	broker *config.Broker
	logger *slog.Logger

	mu      sync.RWMutex
	parts   map[TopicPartition]*Partition
	configs map[string]map[string]string // topic -> applied overrides
	// offline (guarded by mu) holds the replicas assigned here whose log
	// failed to open (offline.go). They stay offline, answering
	// KAFKA_STORAGE_ERROR, until the process restarts; their directories
	// are never removed while the image assigns them here.
	offline map[TopicPartition]offlineReplica
	// opening (guarded by mu) holds the replicas ApplyImage is opening,
	// each with its batch's channel, closed once the batch is installed
	// (AwaitPartition).
	opening map[TopicPartition]chan struct{}
	// announcedIndex (guarded by mu) is the raft index of the newest image
	// whose opens are announced; announced is closed and replaced when it
	// grows (AwaitPartition).
	announcedIndex uint64
	announced      chan struct{}

	// openWorkers bounds how many partitions ApplyImage opens at once.
	openWorkers int

	// dynamic (dynamic.go) is the static broker config with the image's
	// dynamic broker configs applied; only ApplyImage touches it.
	dynamic dynamicConfig

	cancel  context.CancelFunc
	wg      sync.WaitGroup
	cleaner cleanerSettings // see SetCleaner (cleaner.go)
	// cleanerThreads is log.cleaner.threads, static or dynamic (dynamic.go).
	cleanerThreads atomic.Int32
	// cleaningMu guards cleaning, the logs a cleaner worker is compacting.
	cleaningMu sync.Mutex
	cleaning   map[*Partition]bool

	onISRChange atomic.Pointer[ISRChangeFunc]         // see OnISRChange (replica_manager.go)
	eligible    eligibleBrokers                       // from the latest image, shared with every partition
	onFsync     atomic.Pointer[storage.FsyncObserver] // see ObserveFsync (stats.go)

	// High-watermark checkpoint (hwcheckpoint.go): read once at start,
	// written by the background loop and at Close.
	hwOnce    sync.Once
	hwStart   map[TopicPartition]int64
	hwMu      sync.Mutex
	hwWritten map[string][]byte // log dir -> contents last written
	// imageApplied is set once an ApplyImage opened every replica its
	// image assigns here: until then a checkpoint written from the open
	// ones would erase the others' entries (a node whose start-up failed
	// before it caught up, or was stopped while opening, closes so).
	imageApplied atomic.Bool
}

// defaultOpenWorkers is how many partitions ApplyImage opens at once.
// Opening is mostly waiting on the file system (creating files, fsyncs).
// Two let one slow open overlap the next; on the 2-core test VM 2,000
// partitions took 17.2 s with one, 16.6 s with two, 24.6 s with four and
// 31.7 s with eight (BenchmarkApplyImageManyPartitions): more only queue
// on the same disk.
const defaultOpenWorkers = 2

// NewManager makes a Manager for the given broker config. Call Start to
// run background retention and Close to stop.
func NewManager(broker *config.Broker, logger *slog.Logger) *Manager {
	m := &Manager{nodeID: broker.NodeID, broker: broker, logger: logger, openWorkers: defaultOpenWorkers,
		parts: make(map[TopicPartition]*Partition), configs: make(map[string]map[string]string),
		offline: make(map[TopicPartition]offlineReplica), opening: make(map[TopicPartition]chan struct{}),
		announced: make(chan struct{})}
	m.cleanerThreads.Store(broker.LogCleanerThreads)
	return m
}

// Partition returns the hosted replica, or nil.
func (m *Manager) Partition(topic string, index int32) *Partition {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.parts[TopicPartition{topic, index}]
}

// Partitions lists every hosted replica.
func (m *Manager) Partitions() []*Partition {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]*Partition, 0, len(m.parts))
	for _, p := range m.parts {
		out = append(out, p)
	}
	return out
}

// pendingOpen is a replica the image assigns here that is not open yet.
type pendingOpen struct {
	topic *metadata.Topic
	pm    metadata.Partition
	cfg   config.TopicConfig
}

// ApplyImage brings hosted replicas in line with im. Errors opening one
// partition are logged and do not stop the others. It returns once every
// replica im assigns here is open (or failed to open), so what runs after
// it (the replica fetchers, the coordinators) finds them.
//
// It works in three steps, only the first and each install under mu:
// update what is hosted and take out what must go; delete those logs;
// open the new replicas, a few at a time, installing them a topic (or
// installBatch replicas of a large topic) at a time (openAll).
// Deleting comes first because a topic deleted and created again under the
// same name reuses the directory name.
func (m *Manager) ApplyImage(im *metadata.Image) error {
	return m.ApplyImageContext(context.Background(), im)
}

// ApplyImageContext is ApplyImage that stops opening replicas once ctx is
// done (the node is shutting down), returning ctx's error with the others;
// those not opened are opened by the next call, at the next start at the
// latest.
func (m *Manager) ApplyImageContext(ctx context.Context, im *metadata.Image) error {
	var errs []error
	m.eligible.update(im)
	if err := m.applyDynamicConfig(im); err != nil {
		errs = append(errs, err)
	}
	want := make(map[TopicPartition]bool)
	var opens []pendingOpen
	var drops []*Partition
	for _, name := range im.SortedTopicNames() {
		t, _ := im.Topic(name)
		o, d, err := m.applyTopic(t, want)
		if err != nil {
			errs = append(errs, err)
		}
		opens, drops = append(opens, o...), append(drops, d...)
	}
	drops = append(drops, m.removeAbsent(want)...)
	batches := openBatches(opens)
	done := m.announceOpens(batches, im.AppliedIndex)
	for _, p := range drops {
		m.deletePartition(p)
	}
	errs = append(errs, m.openAll(ctx, batches, done)...)
	m.dynamic.changed = false
	if ctx.Err() == nil {
		// Every replica im assigns here is open or offline: checkpoints
		// written from now on cover them all.
		m.imageApplied.Store(true)
	}
	return errors.Join(errs...)
}

// applyTopic updates the hosted replicas of t under mu and returns those
// to open and those taken out to delete (the topic was deleted and created
// again while this node looked away).
func (m *Manager) applyTopic(t *metadata.Topic, want map[TopicPartition]bool) ([]pendingOpen, []*Partition, error) {
	cfg, err := m.dynamic.topicDefaults(m.broker).ResolveTopicConfig(t.Configs)
	if err != nil {
		// The image still assigns the replicas here: mark them wanted, or
		// removeAbsent would delete them as if the topic were gone. Open
		// ones keep their configuration; the others open with a later
		// image whose configuration resolves.
		for _, pm := range t.Partitions {
			if hostedHere(pm, m.nodeID) {
				want[TopicPartition{t.Name, pm.Index}] = true
			}
		}
		return nil, nil, fmt.Errorf("topic %s config: %w", t.Name, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	configChanged := m.dynamic.changed || !sameConfig(m.configs[t.Name], t.Configs)
	m.configs[t.Name] = t.Configs
	var opens []pendingOpen
	var drops []*Partition
	for _, pm := range t.Partitions {
		if !hostedHere(pm, m.nodeID) {
			continue
		}
		tp := TopicPartition{t.Name, pm.Index}
		want[tp] = true
		if m.isOfflineLocked(tp, t.ID) {
			continue
		}
		if p, ok := m.parts[tp]; ok {
			if p.TopicID == t.ID {
				if configChanged {
					p.setConfig(cfg)
				}
				p.applyMetadata(pm, m.nodeID)
				continue
			}
			delete(m.parts, tp)
			drops = append(drops, p)
		}
		opens = append(opens, pendingOpen{topic: t, pm: pm, cfg: cfg})
	}
	return opens, drops, nil
}

// installBatch is how many replicas of one topic are opened before they
// are installed together. Metadata answers LEADER_NOT_AVAILABLE for a
// replica led here that is not installed yet, and producers spread records
// only over the partitions that have a leader, so a new topic that became
// usable one partition at a time got the first records produced to it
// piled on a few partitions. A topic of up to installBatch partitions now
// appears at once; a larger one appears installBatch at a time, so its
// first partitions serve long before thousands more have opened.
const installBatch = 256

// openBatches splits opens (grouped by topic, as applyTopic returns them)
// into the batches openAll installs together: one topic's, at most
// installBatch.
func openBatches(opens []pendingOpen) [][]pendingOpen {
	var batches [][]pendingOpen
	for start := 0; start < len(opens); {
		end := start + 1
		for end < len(opens) && end-start < installBatch && opens[end].topic.Name == opens[start].topic.Name {
			end++
		}
		batches = append(batches, opens[start:end])
		start = end
	}
	return batches
}

// openAll opens batches in turn and installs each as it finishes,
// closing its channel in done. It returns the errors of those that
// failed, and ctx's if it ended before all were tried.
func (m *Manager) openAll(ctx context.Context, batches [][]pendingOpen, done []chan struct{}) []error {
	var errs []error
	for i, batch := range batches {
		if ctx.Err() != nil {
			notOpened := 0
			m.mu.Lock()
			for j := i; j < len(batches); j++ {
				m.endOpeningLocked(batches[j], done[j])
				notOpened += len(batches[j])
			}
			m.mu.Unlock()
			return append(errs, fmt.Errorf("open partitions: %d not opened: %w", notOpened, context.Cause(ctx)))
		}
		errs = append(errs, m.openBatch(batch, done[i])...)
	}
	return errs
}

// announceOpens records, under mu, every replica about to be opened with
// a channel closed when its batch is installed (or given up), and that
// the image at raft index imageIndex is now known here, so AwaitPartition
// can wait for both. It returns each batch's channel.
func (m *Manager) announceOpens(batches [][]pendingOpen, imageIndex uint64) []chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	done := make([]chan struct{}, len(batches))
	for i, batch := range batches {
		done[i] = make(chan struct{})
		for _, o := range batch {
			m.opening[TopicPartition{o.topic.Name, o.pm.Index}] = done[i]
		}
	}
	if imageIndex > m.announcedIndex {
		m.announcedIndex = imageIndex
		close(m.announced)
		m.announced = make(chan struct{})
	}
	return done
}

// endOpeningLocked forgets batch's announcement and wakes its waiters.
// Called with mu held.
func (m *Manager) endOpeningLocked(batch []pendingOpen, done chan struct{}) {
	for _, o := range batch {
		delete(m.opening, TopicPartition{o.topic.Name, o.pm.Index})
	}
	select {
	case <-done:
	default:
		close(done)
	}
}

// maxOpenWait bounds how long AwaitPartition waits for a replica being
// opened, so a request never waits on a large topic's whole creation.
const maxOpenWait = 5 * time.Second

// AwaitPartition is Partition for a request judged against the image at
// raft index imageIndex. When the replica is being opened (a topic just
// created), or this manager has not yet seen that image (the request
// raced the metadata loop), it waits for the replica to be installed, at
// most maxOpenWait or until ctx ends. A producer writing right after
// CreateTopics is then served instead of answered NOT_LEADER_OR_FOLLOWER;
// an idempotent one whose first batch was refused while a later one was
// taken could never have that first batch accepted again
// (OUT_OF_ORDER_SEQUENCE_NUMBER).
func (m *Manager) AwaitPartition(ctx context.Context, topic string, index int32, imageIndex uint64) *Partition {
	tp := TopicPartition{topic, index}
	var timeout <-chan time.Time
	for {
		m.mu.RLock()
		p, opening, behind, announced := m.parts[tp], m.opening[tp], m.announcedIndex < imageIndex, m.announced
		m.mu.RUnlock()
		var wait <-chan struct{}
		switch {
		case p != nil:
			return p
		case opening != nil:
			wait = opening
		case behind:
			wait = announced
		default:
			return nil
		}
		if timeout == nil {
			t := time.NewTimer(maxOpenWait)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-wait:
		case <-timeout:
			return m.Partition(topic, index)
		case <-ctx.Done():
			return m.Partition(topic, index)
		}
	}
}

// openBatch opens the replicas of batch with at most m.openWorkers at a
// time, outside mu, then installs under mu those that opened and marks
// the others offline.
func (m *Manager) openBatch(batch []pendingOpen, done chan struct{}) []error {
	opened := make([]*Partition, len(batch))
	failed := make([]error, len(batch))
	var next atomic.Int64 // index of the next replica to claim
	var wg sync.WaitGroup
	for range min(max(m.openWorkers, 1), len(batch)) {
		wg.Add(1)
		go func() { // owned by openBatch, which waits for it
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(len(batch)); i = next.Add(1) - 1 {
				o := batch[i]
				opened[i], failed[i] = m.open(o.topic, o.pm, o.cfg)
			}
		}()
	}
	wg.Wait()
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	for i, o := range batch {
		tp := TopicPartition{o.topic.Name, o.pm.Index}
		if failed[i] != nil {
			m.markOfflineLocked(tp, o.topic.ID, failed[i])
			errs = append(errs, failed[i])
			continue
		}
		p := opened[i]
		p.eligible = &m.eligible
		p.applyMetadata(o.pm, m.nodeID)
		// The callbacks are read under mu so that OnISRChange and
		// ObserveFsync, which set them and then walk Partitions, reach
		// every replica: this one sees the new value or is in their walk.
		p.onISRChange.Store(m.onISRChange.Load())
		if fn := m.onFsync.Load(); fn != nil {
			p.log.SetFsyncObserver(*fn)
		}
		m.parts[tp] = p
	}
	m.endOpeningLocked(batch, done)
	return errs
}

func (m *Manager) open(t *metadata.Topic, pm metadata.Partition, cfg config.TopicConfig) (*Partition, error) {
	dir, err := m.partitionDir(t.Name, pm.Index, t.ID)
	if err != nil {
		return nil, err
	}
	logger := m.logger.With("topic", t.Name, "partition", pm.Index)
	p, err := openPartition(t.Name, pm.Index, t.ID, dir, cfg, pm.LeaderEpoch, logger)
	if err != nil {
		return nil, err
	}
	p.checkpointHW = m.checkpointedHW(TopicPartition{t.Name, pm.Index})
	return p, nil
}

// removeAbsent takes out, under mu, the replicas not in want and returns
// them for the caller to delete outside mu.
func (m *Manager) removeAbsent(want map[TopicPartition]bool) []*Partition {
	m.mu.Lock()
	defer m.mu.Unlock()
	var drops []*Partition
	for tp, p := range m.parts {
		if !want[tp] {
			delete(m.parts, tp)
			drops = append(drops, p)
		}
	}
	for tp := range m.offline {
		if !want[tp] { // deleted or moved away: nothing left to serve
			delete(m.offline, tp)
		}
	}
	hosted := make(map[string]bool)
	for tp := range want {
		hosted[tp.Topic] = true
	}
	for topic := range m.configs {
		if !hosted[topic] {
			delete(m.configs, topic)
		}
	}
	return drops
}

// deletePartition deletes the log of a replica already taken out of
// m.parts; requests still holding it get ErrClosed.
func (m *Manager) deletePartition(p *Partition) {
	if err := p.delete(); err != nil {
		m.logger.Warn("delete partition", "topic", p.Topic, "partition", p.Index, "err", err)
		return
	}
	m.logger.Info("deleted partition", "topic", p.Topic, "partition", p.Index)
}

func hostedHere(pm metadata.Partition, node int32) bool {
	for _, r := range pm.Replicas {
		if r == node {
			return true
		}
	}
	return false
}

func sameConfig(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

// Start runs the retention check every log.retention.check.interval.ms,
// the log cleaner (cleaner.go) and the producer-id expiration (expire.go).
func (m *Manager) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.startCleaner(ctx)
	m.startProducerExpiry(ctx) // expire.go
	interval := time.Duration(m.broker.LogRetentionCheckIntervalMs) * time.Millisecond
	if interval <= 0 {
		interval = 5 * time.Minute
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(hwCheckpointEvery * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := m.writeHWCheckpoints(); err != nil {
					m.logger.Warn("write high watermark checkpoint", "err", err)
				}
			}
		}
	}()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				for _, p := range m.Partitions() {
					p.applyRetention(now)
				}
			}
		}
	}()
}

// Close stops background work and closes every log cleanly.
func (m *Manager) Close() error {
	if m.cancel != nil {
		m.cancel()
	}
	m.wg.Wait()
	var errs []error
	if err := m.writeHWCheckpoints(); err != nil {
		errs = append(errs, fmt.Errorf("write high watermark checkpoint: %w", err))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for tp, p := range m.parts {
		if err := p.close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s-%d: %w", tp.Topic, tp.Partition, err))
		}
	}
	m.parts = map[TopicPartition]*Partition{}
	return errors.Join(errs...)
}
