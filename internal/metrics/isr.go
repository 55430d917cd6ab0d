package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/samsa-io/samsa/internal/metadata"
)

// ISRChanges counts the ISR shrinks and expansions of partitions this node
// leads (Kafka's ReplicaManager IsrShrinksPerSec/IsrExpandsPerSec). It
// learns them by comparing successive metadata images rather than by a
// hook in the replication path: an ISR change only counts once the
// controller committed it, which is also when Kafka counts it. Images are
// delivered latest-wins, so a shrink and expansion committed between two
// deliveries may be seen as none; the counters are a rate signal, not an
// audit log.
type ISRChanges struct {
	node    int32
	shrinks prometheus.Counter
	expands prometheus.Counter
	prev    *metadata.Image
}

// NewISRChanges registers the counters on reg.
func NewISRChanges(reg prometheus.Registerer, node int32) *ISRChanges {
	c := &ISRChanges{
		node: node,
		shrinks: prometheus.NewCounter(prometheus.CounterOpts{Name: "kafka_server_replicamanager_isrshrinks_total",
			Help: "ISR shrinks of partitions led by this broker."}),
		expands: prometheus.NewCounter(prometheus.CounterOpts{Name: "kafka_server_replicamanager_isrexpands_total",
			Help: "ISR expansions of partitions led by this broker."}),
	}
	reg.MustRegister(c.shrinks, c.expands)
	return c
}

// Run observes images from updates, starting from first, until ctx is
// done or updates closes. The caller owns the goroutine that runs it.
func (c *ISRChanges) Run(ctx context.Context, first *metadata.Image, updates <-chan *metadata.Image) {
	c.prev = first
	for {
		select {
		case <-ctx.Done():
			return
		case im, ok := <-updates:
			if !ok {
				return
			}
			c.Observe(im)
		}
	}
}

// Observe compares im with the previous image and counts the changes.
// Only one goroutine may call it.
func (c *ISRChanges) Observe(im *metadata.Image) {
	prev := c.prev
	c.prev = im
	if prev == nil || im == nil {
		return
	}
	for name, t := range im.Topics {
		old, ok := prev.Topics[name]
		if !ok || old == t || old.ID != t.ID {
			continue // new topic, or the same unchanged *Topic
		}
		for i, p := range t.Partitions {
			if p.Leader != c.node || i >= len(old.Partitions) {
				continue
			}
			before := old.Partitions[i]
			if before.Leader != p.Leader || before.LeaderEpoch != p.LeaderEpoch {
				continue // a new leadership starts with the ISR it is given
			}
			switch {
			case len(p.ISR) < len(before.ISR):
				c.shrinks.Inc()
			case len(p.ISR) > len(before.ISR):
				c.expands.Inc()
			}
		}
	}
}
