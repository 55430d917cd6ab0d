package replication

import (
	"context"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/network"
	"github.com/samsa-io/samsa/internal/partition"
)

// Config configures a Manager.
type Config struct {
	NodeID     int32
	Partitions *partition.Manager
	Logger     *slog.Logger

	// MaxWait is replica.fetch.wait.max.ms (default 500ms).
	MaxWait time.Duration
	// MaxBytes and PartitionMaxBytes are replica.fetch.response.max.bytes
	// (10 MiB) and replica.fetch.max.bytes (1 MiB).
	MaxBytes, PartitionMaxBytes int32
	// MinBackoff and MaxBackoff bound the retry delay after an error
	// (replica.fetch.backoff.ms: default 100ms, doubling up to 1s).
	MinBackoff, MaxBackoff time.Duration
	// RequestTimeout bounds one request beyond its MaxWait (default 10s).
	RequestTimeout time.Duration
	// Dial opens connections to leaders (nil: plain TCP); tests inject
	// network faults through it.
	Dial network.DialFunc
}

func (c *Config) clientID() string { return "samsa-replica-" + strconv.Itoa(int(c.NodeID)) }
func (c *Config) maxWait() time.Duration {
	return orDefault(c.MaxWait, 500*time.Millisecond)
}
func (c *Config) minBackoff() time.Duration {
	return orDefault(c.MinBackoff, 100*time.Millisecond)
}
func (c *Config) maxBackoff() time.Duration { return orDefault(c.MaxBackoff, time.Second) }
func (c *Config) requestTimeout() time.Duration {
	return orDefault(c.RequestTimeout, 10*time.Second)
}
func (c *Config) maxBytes() int32 { return orDefaultInt(c.MaxBytes, 10<<20) }
func (c *Config) partitionMaxBytes() int32 {
	return orDefaultInt(c.PartitionMaxBytes, 1<<20)
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func orDefaultInt(n, def int32) int32 {
	if n <= 0 {
		return def
	}
	return n
}

// Manager runs one fetcher per source broker for the partitions this node
// follows, and keeps that assignment in step with the metadata image.
//
// Threading: ApplyMetadata is called from one goroutine (the server's
// metadata pipeline), after the partition manager applied the same image;
// Close once at shutdown. Each fetcher is owned by the Manager and stopped by it.
type Manager struct {
	cfg Config

	mu       sync.Mutex
	fetchers map[int32]*fetcher
	closed   bool
}

// New makes a Manager; it starts fetchers on the first ApplyMetadata.
func New(cfg Config) *Manager {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Manager{cfg: cfg, fetchers: make(map[int32]*fetcher)}
}

// ApplyMetadata assigns every hosted follower replica to the fetcher of
// its leader, starting, re-pointing and stopping fetchers as needed
// (metadata.Listener, after the partition manager). It never fails.
func (m *Manager) ApplyMetadata(_ context.Context, im *metadata.Image) error {
	want := m.plan(im)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	for source, f := range m.fetchers {
		addr, ok := brokerAddr(im, source)
		if _, wanted := want[source]; !wanted || !ok || addr != f.addr {
			f.stop()
			delete(m.fetchers, source)
		}
	}
	for source, parts := range want {
		f, ok := m.fetchers[source]
		if !ok {
			addr, known := brokerAddr(im, source)
			if !known {
				continue
			}
			f = startFetcher(source, addr, &m.cfg)
			m.fetchers[source] = f
			m.cfg.Logger.Info("started replica fetcher", "source_broker", source, "addr", addr)
		}
		f.setPartitions(parts)
	}
	return nil
}

// plan groups the followed partitions by leader.
func (m *Manager) plan(im *metadata.Image) map[int32]map[partition.TopicPartition]*followed {
	want := make(map[int32]map[partition.TopicPartition]*followed)
	for _, name := range im.SortedTopicNames() {
		t, _ := im.Topic(name)
		for _, pm := range t.Partitions {
			if pm.Leader < 0 || pm.Leader == m.cfg.NodeID || !slices.Contains(pm.Replicas, m.cfg.NodeID) {
				continue
			}
			p := m.cfg.Partitions.Partition(name, pm.Index)
			if p == nil || p.TopicID != t.ID {
				continue
			}
			if want[pm.Leader] == nil {
				want[pm.Leader] = make(map[partition.TopicPartition]*followed)
			}
			tp := partition.TopicPartition{Topic: name, Partition: pm.Index}
			want[pm.Leader][tp] = &followed{tp: tp, p: p, leaderEpoch: pm.LeaderEpoch}
		}
	}
	return want
}

func brokerAddr(im *metadata.Image, id int32) (string, bool) {
	b, ok := im.Brokers[id]
	if !ok || b.Host == "" {
		return "", false
	}
	return net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port))), true
}

// Close stops every fetcher and waits for them.
func (m *Manager) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	for source, f := range m.fetchers {
		f.stop()
		delete(m.fetchers, source)
	}
}

// Sources lists the brokers this node currently fetches from.
func (m *Manager) Sources() []int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]int32, 0, len(m.fetchers))
	for id := range m.fetchers {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}
