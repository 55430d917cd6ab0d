package replication

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/samsa-io/samsa/internal/interbroker"
	"github.com/samsa-io/samsa/internal/partition"
)

// followed is one partition a fetcher copies. leaderEpoch and p never
// change; a new leader epoch replaces the whole entry. The other fields
// belong to the fetcher goroutine.
type followed struct {
	tp          partition.TopicPartition
	p           *partition.Partition
	leaderEpoch int32

	truncated    bool      // truncation by leader epoch done for leaderEpoch
	backoffUntil time.Time // skip until then (leader or epoch trouble)
}

// fetcher copies every partition this node follows from one source
// broker: one goroutine, one connection, one request in flight.
type fetcher struct {
	source int32
	addr   string
	cfg    *Config
	client *interbroker.Client
	logger *slog.Logger

	mu    sync.Mutex
	parts map[partition.TopicPartition]*followed
	wake  chan struct{}

	cancel context.CancelFunc
	done   chan struct{}
}

func startFetcher(source int32, addr string, cfg *Config) *fetcher {
	ctx, cancel := context.WithCancel(context.Background())
	f := &fetcher{source: source, addr: addr, cfg: cfg, client: interbroker.NewClientDial(addr, cfg.clientID(), cfg.Dial),
		logger: cfg.Logger.With("source_broker", source), parts: make(map[partition.TopicPartition]*followed),
		wake: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	go f.run(ctx)
	return f
}

// stop ends the goroutine and waits for it; an in-flight request is
// interrupted by closing the connection.
func (f *fetcher) stop() {
	f.cancel()
	f.client.Close()
	<-f.done
}

// setPartitions replaces the followed set, keeping the state of entries
// whose partition and leader epoch did not change. It reports whether any
// partition is left.
func (f *fetcher) setPartitions(want map[partition.TopicPartition]*followed) bool {
	f.mu.Lock()
	for tp, w := range want {
		if cur, ok := f.parts[tp]; ok && cur.p == w.p && cur.leaderEpoch == w.leaderEpoch {
			want[tp] = cur
		}
	}
	f.parts = want
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
	return len(want) > 0
}

// current reports whether fl is still followed by this fetcher.
func (f *fetcher) current(fl *followed) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.parts[fl.tp] == fl
}

// ready returns the followed partitions not in backoff and the time the
// earliest backoff ends (zero if none).
func (f *fetcher) ready(now time.Time) ([]*followed, time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*followed
	var next time.Time
	for _, fl := range f.parts {
		if fl.backoffUntil.After(now) {
			if next.IsZero() || fl.backoffUntil.Before(next) {
				next = fl.backoffUntil
			}
			continue
		}
		out = append(out, fl)
	}
	return out, next
}

// run is the fetch loop: truncate what needs it, fetch, apply; on a
// connection or protocol error back off (bounded, doubling) and retry.
func (f *fetcher) run(ctx context.Context) {
	defer close(f.done)
	backoff := f.cfg.minBackoff()
	for ctx.Err() == nil {
		parts, next := f.ready(time.Now())
		if len(parts) == 0 {
			f.idle(ctx, next)
			continue
		}
		err := f.truncate(ctx, parts)
		if err == nil {
			err = f.fetch(ctx, parts)
		}
		if err == nil {
			backoff = f.cfg.minBackoff()
			continue
		}
		if ctx.Err() != nil {
			return
		}
		f.logger.Warn("replica fetch failed; backing off", "addr", f.addr, "backoff", backoff, "err", err)
		sleep(ctx, backoff)
		backoff = min(2*backoff, f.cfg.maxBackoff())
	}
}

// idle waits for a partition change, the end of the earliest backoff or
// the end of ctx.
func (f *fetcher) idle(ctx context.Context, next time.Time) {
	var timer <-chan time.Time
	if !next.IsZero() {
		t := time.NewTimer(time.Until(next))
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-ctx.Done():
	case <-f.wake:
	case <-timer:
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// partitionBackoff parks one partition after a leader or epoch error; the
// metadata image will move it or the leader will catch up.
func (f *fetcher) partitionBackoff(fl *followed, code int16) {
	fl.backoffUntil = time.Now().Add(f.cfg.maxBackoff())
	f.logger.Debug("partition fetch error", "topic", fl.tp.Topic, "partition", fl.tp.Partition,
		"err", kerr.ErrorForCode(code))
}

// localError handles an error from the local replica: a moved-on replica
// (new epoch, became leader, closed) waits for the Manager to update it.
func (f *fetcher) localError(fl *followed, err error) {
	if !errors.Is(err, partition.ErrFencedLeaderEpoch) && !errors.Is(err, partition.ErrNotFollower) &&
		!errors.Is(err, partition.ErrClosed) {
		f.logger.Error("apply replicated data", "topic", fl.tp.Topic, "partition", fl.tp.Partition, "err", err)
	}
	fl.backoffUntil = time.Now().Add(f.cfg.maxBackoff())
}

// byTopic groups partitions by topic name in a stable order.
func byTopic(parts []*followed) (names []string, groups map[string][]*followed) {
	groups = make(map[string][]*followed)
	for _, fl := range parts {
		if _, ok := groups[fl.tp.Topic]; !ok {
			names = append(names, fl.tp.Topic)
		}
		groups[fl.tp.Topic] = append(groups[fl.tp.Topic], fl)
	}
	return names, groups
}

// find returns the followed partition a response names, or nil.
func find(groups map[string][]*followed, topic string, part int32) *followed {
	for _, fl := range groups[topic] {
		if fl.tp.Partition == part {
			return fl
		}
	}
	return nil
}
