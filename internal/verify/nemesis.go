package verify

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Fault kinds the nemesis injects.
const (
	FaultKill  = "kill"
	FaultPause = "pause"
)

// FaultKinds lists every fault kind --faults accepts.
var FaultKinds = []string{FaultKill, FaultPause}

// How long a killed node stays down and a paused node stays stopped. A
// pause is longer than the nodes' broker.session.timeout.ms, so a paused
// leader is fenced and leadership moves.
const (
	killDownTime = 3 * time.Second
	pauseTime    = 4 * time.Second
)

// Nemesis injects one fault at a time into a LocalCluster, about every
// interval.
//
// Threading: Run and Heal are called one after the other, never at once;
// while Run runs, the nemesis owns the cluster.
type Nemesis struct {
	cluster  *LocalCluster
	kinds    []string
	interval time.Duration
	topic    string
	rng      *rand.Rand
	log      *slog.Logger
	injected map[string]int
}

// ParseFaults parses a comma-separated --faults value; "" and "none" mean
// no fault.
func ParseFaults(s string) ([]string, error) {
	if s == "" || s == "none" {
		return nil, nil
	}
	var out []string
	for _, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(k)
		if !slices.Contains(FaultKinds, k) {
			return nil, fmt.Errorf("unknown fault %q (known: %s)", k, strings.Join(FaultKinds, ", "))
		}
		if k == FaultPause && !canPause {
			return nil, fmt.Errorf("fault %q needs SIGSTOP, which this platform does not have", k)
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out, nil
}

// NewNemesis returns a nemesis injecting kinds into c every interval
// (jittered), choosing with a generator seeded by seed.
func NewNemesis(c *LocalCluster, kinds []string, interval time.Duration, topic string, seed uint64, log *slog.Logger) *Nemesis {
	return &Nemesis{cluster: c, kinds: kinds, interval: interval, topic: topic,
		rng: rand.New(rand.NewPCG(seed, seed^0x5a5a)), log: log, injected: map[string]int{}}
}

// Injected counts the faults injected, by kind.
func (n *Nemesis) Injected() map[string]int { return n.injected }

// Run injects faults until ctx is done, undoing the fault in effect when it
// ends (Heal then waits until the cluster serves).
func (n *Nemesis) Run(ctx context.Context) {
	if len(n.kinds) == 0 {
		return
	}
	for round := 0; ; round++ {
		wait := n.interval/2 + time.Duration(n.rng.Int64N(int64(n.interval)+1))
		if !sleep(ctx, wait) {
			return
		}
		// The kinds take turns, so a short run still has each of them;
		// the node each one hits is random.
		switch kind := n.kinds[round%len(n.kinds)]; kind {
		case FaultKill:
			i := n.rng.IntN(n.cluster.Size())
			n.log.Info("nemesis: kill -9", "node", i+1)
			n.cluster.Kill(i)
			n.injected[kind]++
			// At the end of the run the node is restarted at once, so
			// producers draining their last sends need not wait for it.
			sleep(ctx, killDownTime)
			if err := n.cluster.Start(i); err != nil {
				n.log.Warn("nemesis: restart failed; Heal retries", "node", i+1, "err", err)
			}
		case FaultPause:
			i, role := n.pauseTarget(ctx)
			n.log.Info("nemesis: SIGSTOP", "node", i+1, "role", role)
			n.cluster.Pause(i)
			n.injected[kind]++
			sleep(ctx, pauseTime)
			n.cluster.Resume(i)
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// pauseTarget picks, half the time each, the leader of a random partition
// of the topic or the active controller; a random node when metadata does
// not say.
func (n *Nemesis) pauseTarget(ctx context.Context) (int, string) {
	md, err := metadataOf(ctx, n.cluster.Bootstrap(), n.topic)
	if err == nil {
		if n.rng.IntN(2) == 0 && md.Controller >= 1 && int(md.Controller) <= n.cluster.Size() {
			return int(md.Controller) - 1, "controller"
		}
		if ps := md.Topics[n.topic].Partitions.Sorted(); len(ps) > 0 {
			p := ps[n.rng.IntN(len(ps))]
			if p.Leader >= 1 && int(p.Leader) <= n.cluster.Size() {
				return int(p.Leader) - 1, fmt.Sprintf("leader of partition %d", p.Partition)
			}
		}
	}
	return n.rng.IntN(n.cluster.Size()), "random node"
}

// Heal continues paused nodes, restarts killed ones and waits until the
// cluster serves.
func (n *Nemesis) Heal(ctx context.Context) error { return n.cluster.Heal(ctx) }

// sleep waits d or until ctx is done, reporting whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
