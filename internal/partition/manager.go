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
// loop); Partition and Partitions from any goroutine.
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

	cancel  context.CancelFunc
	wg      sync.WaitGroup
	cleaner cleanerSettings // see SetCleaner (cleaner.go)

	onISRChange atomic.Pointer[ISRChangeFunc]         // see OnISRChange (replica_manager.go)
	eligible    eligibleBrokers                       // from the latest image, shared with every partition
	onFsync     atomic.Pointer[storage.FsyncObserver] // see ObserveFsync (stats.go)

	// High-watermark checkpoint (hwcheckpoint.go): read once at start,
	// written by the background loop and at Close.
	hwOnce    sync.Once
	hwStart   map[TopicPartition]int64
	hwMu      sync.Mutex
	hwWritten map[string][]byte // log dir -> contents last written
}

// NewManager makes a Manager for the given broker config. Call Start to
// run background retention and Close to stop.
func NewManager(broker *config.Broker, logger *slog.Logger) *Manager {
	return &Manager{nodeID: broker.NodeID, broker: broker, logger: logger,
		parts: make(map[TopicPartition]*Partition), configs: make(map[string]map[string]string),
		offline: make(map[TopicPartition]offlineReplica)}
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

// ApplyImage brings hosted replicas in line with im. Errors opening one
// partition are logged and do not stop the others.
func (m *Manager) ApplyImage(im *metadata.Image) error {
	var errs []error
	m.eligible.update(im)
	want := make(map[TopicPartition]bool)
	for _, name := range im.SortedTopicNames() {
		t, _ := im.Topic(name)
		if err := m.applyTopic(t, want); err != nil {
			errs = append(errs, err)
		}
	}
	m.removeAbsent(want)
	return errors.Join(errs...)
}

func (m *Manager) applyTopic(t *metadata.Topic, want map[TopicPartition]bool) error {
	cfg, err := m.broker.ResolveTopicConfig(t.Configs)
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
		return fmt.Errorf("topic %s config: %w", t.Name, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	configChanged := !sameConfig(m.configs[t.Name], t.Configs)
	m.configs[t.Name] = t.Configs
	var errs []error
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
			if p.TopicID != t.ID { // deleted and recreated while we looked away
				m.dropLocked(tp, p)
			} else {
				if configChanged {
					p.setConfig(cfg)
				}
				p.applyMetadata(pm, m.nodeID)
				continue
			}
		}
		p, err := m.open(t, pm, cfg)
		if err != nil {
			m.markOfflineLocked(tp, t.ID, err)
			errs = append(errs, err)
			continue
		}
		p.onISRChange.Store(m.onISRChange.Load())
		p.eligible = &m.eligible
		if fn := m.onFsync.Load(); fn != nil {
			p.log.SetFsyncObserver(*fn)
		}
		p.applyMetadata(pm, m.nodeID)
		m.parts[tp] = p
	}
	return errors.Join(errs...)
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

func (m *Manager) removeAbsent(want map[TopicPartition]bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for tp, p := range m.parts {
		if !want[tp] {
			m.dropLocked(tp, p)
		}
	}
	for tp := range m.offline {
		if !want[tp] { // deleted or moved away: nothing left to serve
			delete(m.offline, tp)
		}
	}
	for topic := range m.configs {
		if !m.hostsTopicLocked(topic) {
			delete(m.configs, topic)
		}
	}
}

func (m *Manager) hostsTopicLocked(topic string) bool {
	for tp := range m.parts {
		if tp.Topic == topic {
			return true
		}
	}
	return false
}

func (m *Manager) dropLocked(tp TopicPartition, p *Partition) {
	delete(m.parts, tp)
	if err := p.delete(); err != nil {
		m.logger.Warn("delete partition", "topic", tp.Topic, "partition", tp.Partition, "err", err)
		return
	}
	m.logger.Info("deleted partition", "topic", tp.Topic, "partition", tp.Partition)
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
