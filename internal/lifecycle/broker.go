package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/controller"
	"github.com/samsa-io/samsa/internal/interbroker"
	"github.com/samsa-io/samsa/internal/network"
	"github.com/samsa-io/samsa/internal/partition"
)

// isrQueue bounds queued ISR proposals; a dropped one is proposed again
// when the partition's pending change expires.
const isrQueue = 256

// Deps is what a Broker needs.
type Deps struct {
	Config     *config.Broker
	Controller *controller.Controller
	Link       *interbroker.ControllerLink
	Registrar  *Registrar
	// Partitions are this node's replicas: their ISR proposals are
	// forwarded, their ISR checks run here.
	Partitions *partition.Manager
	// ProbeDial opens the liveness probes' connections (nil: plain TCP); a
	// test passes a faulty network's dialer.
	ProbeDial network.DialFunc
	Logger    *slog.Logger
}

// Broker runs this node's life cycle against the active controller.
//
// Goroutines, all owned by the Broker and stopped by Close:
//   - heartbeats: every broker.heartbeat.interval.ms (registering again
//     when the controller no longer knows this incarnation);
//   - liveness: on the active controller, fence brokers whose session
//     (broker.session.timeout.ms) expired or whose process is gone, which
//     moves leadership away;
//   - isr: forward the ISR changes hosted leaders propose (AlterPartition);
//   - isr-expiry: the partition manager's replica.lag.time.max.ms checks;
//   - operations: on the active controller, complete reassignments and
//     balance leaders.
//
// Threading: Start or StartController once, from the goroutine starting
// the node; Shutdown and Close from the one stopping it; Fenced from any.
type Broker struct {
	deps  Deps
	isrCh chan partition.ISRChange

	mu       sync.Mutex
	fenced   bool
	caughtUp bool // the controller saw us replay our own registration
	started  bool // Start ran: a registered broker that can shut down controlled
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	stopped  bool
}

// New makes a Broker and routes the partitions' ISR proposals to it; it
// sends nothing before Start.
func New(deps Deps) *Broker {
	b := &Broker{deps: deps, isrCh: make(chan partition.ISRChange, isrQueue)}
	deps.Partitions.OnISRChange(func(ch partition.ISRChange) {
		select {
		case b.isrCh <- ch:
		default:
		}
	})
	return b
}

// Fenced reports whether the controller last answered that this broker
// is fenced (a controller-only node never is).
func (b *Broker) Fenced() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.fenced
}

// Start registers this broker through the active controller (waiting up to
// a minute for one to accept it), runs caughtUp once the controller has
// seen the broker apply its own registration, asks to be unfenced and
// starts the background loops.
func (b *Broker) Start(ctx context.Context, adv config.Listener, caughtUp func()) error {
	loopCtx, cancel := context.WithCancel(context.Background())
	b.mu.Lock()
	b.cancel, b.started = cancel, true
	b.mu.Unlock()
	regCtx, stop := context.WithTimeout(ctx, 60*time.Second)
	defer stop()
	for {
		err := b.deps.Registrar.Register(regCtx, adv)
		if err == nil {
			break
		}
		b.deps.Logger.Info("broker registration not accepted yet; retrying", "err", err)
		select {
		case <-regCtx.Done():
			return fmt.Errorf("register broker: %w", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
	if err := b.awaitUnfenced(ctx, adv, caughtUp); err != nil {
		return err
	}
	b.goRun(loopCtx, func(ctx context.Context) { b.heartbeats(ctx, adv) })
	b.goRun(loopCtx, b.liveness)
	b.goRun(loopCtx, b.forwardISR)
	b.goRun(loopCtx, b.deps.Partitions.RunISRChecks)
	b.goRun(loopCtx, b.operations)
	return nil
}

// StartController starts only the active controller's duties, for a
// controller-only node: it registers no broker, sends no heartbeats and
// hosts no replicas, so the heartbeat and ISR work is skipped. Both loops
// act only while this node is the active controller.
func (b *Broker) StartController() {
	loopCtx, cancel := context.WithCancel(context.Background())
	b.mu.Lock()
	b.cancel = cancel
	b.mu.Unlock()
	b.goRun(loopCtx, b.liveness)
	b.goRun(loopCtx, b.operations)
}

func (b *Broker) operations(ctx context.Context) {
	cfg := b.deps.Config
	b.deps.Controller.RunOperations(ctx, controller.OperationsConfig{AutoLeaderRebalance: cfg.AutoLeaderRebalanceEnable,
		ImbalanceCheckInterval:       time.Duration(cfg.LeaderImbalanceCheckIntervalSeconds) * time.Second,
		ImbalancePerBrokerPercentage: int(cfg.LeaderImbalancePerBrokerPercentage)})
}

func (b *Broker) goRun(ctx context.Context, fn func(context.Context)) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		fn(ctx)
	}()
}

// Shutdown asks the controller to fence this broker, moving leadership
// away before the listeners close (controlled shutdown), then stops every
// loop. After Close it skips the controlled part, as it does on a node
// that never started as a broker.
func (b *Broker) Shutdown() {
	b.mu.Lock()
	controlled := b.started && !b.stopped
	b.mu.Unlock()
	if controlled {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		b.heartbeat(ctx, heartbeatIntent{wantShutdown: true})
		cancel()
	}
	b.Close()
}

// Close stops every loop without telling the controller (a crash, as far
// as the controller can tell) and waits for them.
func (b *Broker) Close() {
	b.mu.Lock()
	if b.stopped {
		b.mu.Unlock()
		return
	}
	b.stopped = true
	if b.cancel != nil {
		b.cancel()
	}
	b.mu.Unlock()
	b.wg.Wait()
}

func (b *Broker) heartbeats(ctx context.Context, adv config.Listener) {
	t := time.NewTicker(b.heartbeatInterval())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := b.heartbeat(ctx, heartbeatIntent{}); mustReregister(err) {
			b.deps.Logger.Info("controller asks this broker to register again", "err", err)
			if err := b.deps.Registrar.Register(ctx, adv); err != nil {
				b.deps.Logger.Warn("re-register broker", "err", err)
			}
		}
	}
}

// mustReregister reports whether a heartbeat's error means the controller
// does not know this incarnation: it lost the registration, or a newer one
// (ours, whose answer we missed, or a zombie's) replaced it.
func mustReregister(err error) bool {
	return errors.Is(err, kerr.BrokerIDNotRegistered) || errors.Is(err, kerr.StaleBrokerEpoch)
}

// awaitUnfenced heartbeats at a short interval after registration, asking
// to stay fenced, until the controller has seen this broker replay the
// metadata log up to its own registration (IsCaughtUp); then it runs
// caughtUp (the partitions open from an image that can be trusted) and
// heartbeats without WantFence until the controller unfences it, as a
// Kafka broker starts its logs after the initial catch-up and only then
// becomes eligible for leadership. It registers again if the controller
// asks, and gives up after a minute.
func (b *Broker) awaitUnfenced(ctx context.Context, adv config.Listener, caughtUp func()) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	start := time.Now()
	ready := false // caughtUp ran
	for {
		err := b.heartbeat(ctx, heartbeatIntent{wantFence: !ready})
		b.mu.Lock()
		fenced, isCaughtUp := b.fenced, b.caughtUp
		b.mu.Unlock()
		if err == nil && isCaughtUp && !ready {
			b.deps.Logger.Info("broker caught up with the metadata log", "after", time.Since(start))
			caughtUp()
			ready = true
			continue
		}
		if err == nil && ready && !fenced {
			b.deps.Logger.Info("broker unfenced", "after", time.Since(start))
			return nil
		}
		if mustReregister(err) {
			err = b.deps.Registrar.Register(ctx, adv)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("broker not unfenced (caught up %v, last error %v): %w", isCaughtUp, err, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (b *Broker) heartbeatInterval() time.Duration {
	if ms := b.deps.Config.BrokerHeartbeatIntervalMs; ms > 0 {
		return time.Duration(ms) * time.Millisecond
	}
	return 2 * time.Second
}

// heartbeatIntent is what a heartbeat asks of the controller.
type heartbeatIntent struct {
	wantFence    bool // not ready to lead: stay fenced (start-up)
	wantShutdown bool // controlled shutdown: be fenced, leaderships moved away
}

// heartbeat sends one heartbeat with the epoch of our latest registration,
// the metadata index we have applied and what we ask for.
func (b *Broker) heartbeat(ctx context.Context, intent heartbeatIntent) error {
	req := kmsg.NewPtrBrokerHeartbeatRequest()
	req.SetVersion(0)
	req.BrokerID, req.BrokerEpoch = b.deps.Config.NodeID, b.deps.Registrar.Epoch()
	req.CurrentMetadataOffset = int64(b.deps.Controller.Image().AppliedIndex)
	req.WantFence, req.WantShutdown = intent.wantFence, intent.wantShutdown
	r, err := b.deps.Link.Send(ctx, req)
	if err != nil {
		return err
	}
	resp := r.(*kmsg.BrokerHeartbeatResponse)
	if resp.ErrorCode != 0 {
		return kerr.ErrorForCode(resp.ErrorCode)
	}
	b.mu.Lock()
	changed := b.fenced != resp.IsFenced
	b.fenced, b.caughtUp = resp.IsFenced, resp.IsCaughtUp
	b.mu.Unlock()
	if changed {
		b.deps.Logger.Info("broker fencing changed", "fenced", resp.IsFenced)
	}
	return nil
}
