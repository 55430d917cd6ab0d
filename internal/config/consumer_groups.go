package config

import (
	"math"
	"strings"
)

// ConsumerGroups are the broker settings of KIP-848 consumer groups
// (group.protocol=consumer), with Kafka 4.4's names, defaults and rules.
type ConsumerGroups struct {
	SessionTimeoutMs       int64 // group.consumer.session.timeout.ms
	MinSessionTimeoutMs    int64 // group.consumer.min.session.timeout.ms
	MaxSessionTimeoutMs    int64 // group.consumer.max.session.timeout.ms
	HeartbeatIntervalMs    int64 // group.consumer.heartbeat.interval.ms
	MinHeartbeatIntervalMs int64 // group.consumer.min.heartbeat.interval.ms
	MaxHeartbeatIntervalMs int64 // group.consumer.max.heartbeat.interval.ms
	MaxSize                int32 // group.consumer.max.size
	// Assignors are group.consumer.assignors as assignor names ("uniform",
	// "range"); the first is the default. Kafka also takes its built-in
	// assignors' class names, which read as their names here.
	Assignors []string
}

func defaultConsumerGroups() ConsumerGroups {
	return ConsumerGroups{SessionTimeoutMs: 45000, MinSessionTimeoutMs: 45000, MaxSessionTimeoutMs: 60000,
		HeartbeatIntervalMs: 5000, MinHeartbeatIntervalMs: 5000, MaxHeartbeatIntervalMs: 15000,
		MaxSize: math.MaxInt32, Assignors: []string{"uniform", "range"}}
}

// builtinAssignors maps Kafka's names and class names of its server-side
// assignors to the names Samsa implements.
var builtinAssignors = map[string]string{
	"uniform": "uniform", "org.apache.kafka.coordinator.group.assignor.UniformAssignor": "uniform",
	"range": "range", "org.apache.kafka.coordinator.group.assignor.RangeAssignor": "range",
}

func (r *reader) consumerGroups(g *ConsumerGroups) {
	readInt(r, "group.consumer.session.timeout.ms", &g.SessionTimeoutMs)
	readInt(r, "group.consumer.min.session.timeout.ms", &g.MinSessionTimeoutMs)
	readInt(r, "group.consumer.max.session.timeout.ms", &g.MaxSessionTimeoutMs)
	readInt(r, "group.consumer.heartbeat.interval.ms", &g.HeartbeatIntervalMs)
	readInt(r, "group.consumer.min.heartbeat.interval.ms", &g.MinHeartbeatIntervalMs)
	readInt(r, "group.consumer.max.heartbeat.interval.ms", &g.MaxHeartbeatIntervalMs)
	readInt(r, "group.consumer.max.size", &g.MaxSize)
	var assignors []string
	if r.list("group.consumer.assignors", &assignors) {
		g.Assignors = nil
		for _, a := range assignors {
			name, ok := builtinAssignors[a]
			if !ok {
				r.fail("group.consumer.assignors", strings.Join(assignors, ","),
					"uniform, range or their class names (Samsa loads no assignor classes)")
				return
			}
			g.Assignors = append(g.Assignors, name)
		}
	}
}

// consumerGroups checks Kafka's rules: positive values, each timeout and
// interval within its bounds, and the heartbeat shorter than the session.
func (c *checker) consumerGroups() {
	g := c.b.ConsumerGroups
	c.min("group.consumer.min.session.timeout.ms", g.MinSessionTimeoutMs, 1)
	c.min("group.consumer.min.heartbeat.interval.ms", g.MinHeartbeatIntervalMs, 1)
	c.min("group.consumer.max.size", int64(g.MaxSize), 1)
	within := func(key string, v, lo, hi int64, loKey, hiKey string) {
		switch {
		case v < lo:
			c.fail(key, itoa(v), "at least "+loKey+" ("+itoa(lo)+")")
		case v > hi:
			c.fail(key, itoa(v), "at most "+hiKey+" ("+itoa(hi)+")")
		}
	}
	within("group.consumer.session.timeout.ms", g.SessionTimeoutMs, g.MinSessionTimeoutMs, g.MaxSessionTimeoutMs,
		"group.consumer.min.session.timeout.ms", "group.consumer.max.session.timeout.ms")
	within("group.consumer.heartbeat.interval.ms", g.HeartbeatIntervalMs, g.MinHeartbeatIntervalMs, g.MaxHeartbeatIntervalMs,
		"group.consumer.min.heartbeat.interval.ms", "group.consumer.max.heartbeat.interval.ms")
	if g.HeartbeatIntervalMs >= g.SessionTimeoutMs {
		c.fail("group.consumer.heartbeat.interval.ms", itoa(g.HeartbeatIntervalMs),
			"less than group.consumer.session.timeout.ms ("+itoa(g.SessionTimeoutMs)+")")
	}
	if len(g.Assignors) == 0 {
		c.fail("group.consumer.assignors", "", "at least one assignor")
	}
}
