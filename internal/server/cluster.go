package server

// The multi-node part of a server, started when controller.quorum.voters
// lists more than one voter or this node is broker-only.
//
// Design: every node holds the same metadata image: voters as Raft voters,
// broker-only nodes as Raft non-voters the active controller adds when they
// register (their Raft traffic shares the inter-broker listener). So every
// node knows the active controller (the Raft leader). The
// broker-to-controller requests are Kafka's own: BrokerRegistration (62),
// BrokerHeartbeat (63) and AlterPartition (56), sent to the active
// controller's controller listener (its controller.quorum.voters address,
// which carries Raft and the Kafka protocol, ARCHITECTURE.md §5), where the
// handler serves them only if that node is still the active controller
// (NOT_CONTROLLER otherwise, and the sender tries again). A node that does
// not know the active controller yet (a broker-only node before it joined)
// tries every voter. When this node is the active controller the same
// request goes straight to the local handler, so there is one code path
// and no special case for "self".
//
// Goroutines, all owned by cluster and stopped by close:
//   - lifecycle: register, then heartbeat every broker.heartbeat.interval.ms
//     (re-register when the controller no longer knows us);
//   - liveness: on the active controller, fence brokers whose session
//     (broker.session.timeout.ms) expired, which moves leadership away;
//   - isr: forward the ISR changes hosted leaders propose (AlterPartition);
//   - isr-expiry: the partition manager's replica.lag.time.max.ms checks.
// Replica fetchers are owned by the replication.Manager, fed every image.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/controller"
	"github.com/samsa-io/samsa/internal/handler"
	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/partition"
	"github.com/samsa-io/samsa/internal/replication"
	"github.com/samsa-io/samsa/protocol"
)

// isrQueue bounds queued ISR proposals; a dropped one is proposed again
// when the partition's pending change expires.
const isrQueue = 256

type cluster struct {
	s     *Server
	repl  *replication.Manager
	isrCh chan partition.ISRChange
	h     *handler.Handler // set by start, before any request is sent

	mu       sync.Mutex
	fenced   bool
	caughtUp bool // the controller saw us replay our own registration
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	stopped  bool
}

// isFenced reports whether the controller last answered that this broker
// is fenced (a controller-only node never is).
func (c *cluster) isFenced() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fenced
}

// clustered reports whether this node runs in a multi-node cluster: more
// than one voter, or a node with only one of the two roles (a broker-only
// node following the voters, or a controller-only voter serving brokers
// elsewhere).
func (s *Server) clustered() bool {
	return len(s.cfg.ControllerQuorumVoters) > 1 || !s.controllerRole() || !s.brokerRole()
}

// newCluster prepares replication before the first image is applied; nil
// for a single node.
func (s *Server) newCluster() *cluster {
	if !s.clustered() {
		return nil
	}
	c := &cluster{s: s, isrCh: make(chan partition.ISRChange, isrQueue)}
	c.repl = replication.New(replication.Config{NodeID: s.cfg.NodeID, Partitions: s.parts,
		Dial: replication.DialFunc(s.interDial), Logger: s.logger.With("component", "replication")})
	s.parts.OnISRChange(func(ch partition.ISRChange) {
		select {
		case c.isrCh <- ch:
		default:
		}
	})
	return c
}

// applyImage follows the image's leaders (after the partitions did).
func (c *cluster) applyImage(im *metadata.Image) {
	if c != nil {
		c.repl.Apply(im)
	}
}

// start registers this broker through the active controller (waiting up to
// a minute for one to accept it), runs caughtUp once the controller has
// seen the broker apply its own registration, asks to be unfenced and
// starts the background loops.
func (c *cluster) start(ctx context.Context, h *handler.Handler, adv config.Listener, caughtUp func()) error {
	c.h = h
	c.s.link.setHandler(h)
	loopCtx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	regCtx, stop := context.WithTimeout(ctx, 60*time.Second)
	defer stop()
	for {
		err := c.register(regCtx, adv)
		if err == nil {
			break
		}
		c.s.logger.Info("broker registration not accepted yet; retrying", "err", err)
		select {
		case <-regCtx.Done():
			return fmt.Errorf("register broker: %w", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
	if err := c.awaitUnfenced(ctx, adv, caughtUp); err != nil {
		return err
	}
	c.goRun(func(ctx context.Context) { c.lifecycle(ctx, adv) }, loopCtx)
	c.goRun(c.liveness, loopCtx)
	c.goRun(c.forwardISR, loopCtx)
	c.goRun(c.s.parts.RunISRChecks, loopCtx)
	// On the active controller: complete reassignments, balance leaders.
	c.goRun(func(ctx context.Context) { c.s.ctrl.RunOperations(ctx, operationsConfig(c.s.cfg)) }, loopCtx)
	return nil
}

// startController starts only the active controller's duties, for a
// controller-only node: it registers no broker, sends no heartbeats and
// hosts no replicas, so the lifecycle, ISR and fetcher work is skipped.
// Both loops act only while this node is the active controller.
func (c *cluster) startController() {
	loopCtx, cancel := context.WithCancel(context.Background())
	c.mu.Lock()
	c.cancel = cancel
	c.mu.Unlock()
	c.goRun(c.liveness, loopCtx)
	c.goRun(func(ctx context.Context) { c.s.ctrl.RunOperations(ctx, operationsConfig(c.s.cfg)) }, loopCtx)
}

func operationsConfig(cfg *config.Broker) controller.OperationsConfig {
	return controller.OperationsConfig{AutoLeaderRebalance: cfg.AutoLeaderRebalanceEnable,
		ImbalanceCheckInterval:       time.Duration(cfg.LeaderImbalanceCheckIntervalSeconds) * time.Second,
		ImbalancePerBrokerPercentage: int(cfg.LeaderImbalancePerBrokerPercentage)}
}

func (c *cluster) goRun(fn func(context.Context), ctx context.Context) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		fn(ctx)
	}()
}

// shutdown asks the controller to fence this broker, moving leadership
// away before the listeners close (controlled shutdown), then stops every
// loop and fetcher. After close it skips the controlled part.
func (c *cluster) shutdown() {
	if c == nil {
		return
	}
	c.mu.Lock()
	stopped := c.stopped
	c.mu.Unlock()
	if c.h != nil && !stopped && c.s.brokerRole() { // a controller-only node has no broker to fence
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c.heartbeat(ctx, heartbeatIntent{wantShutdown: true})
		cancel()
	}
	c.close()
}

func (c *cluster) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return
	}
	c.stopped = true
	if c.cancel != nil {
		c.cancel()
	}
	c.mu.Unlock()
	c.wg.Wait()
	c.repl.Close()
}

func (c *cluster) lifecycle(ctx context.Context, adv config.Listener) {
	t := time.NewTicker(c.heartbeatInterval())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := c.heartbeat(ctx, heartbeatIntent{}); mustReregister(err) {
			c.s.logger.Info("controller asks this broker to register again", "err", err)
			if err := c.register(ctx, adv); err != nil {
				c.s.logger.Warn("re-register broker", "err", err)
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
func (c *cluster) awaitUnfenced(ctx context.Context, adv config.Listener, caughtUp func()) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	start := time.Now()
	ready := false // caughtUp ran
	for {
		err := c.heartbeat(ctx, heartbeatIntent{wantFence: !ready})
		c.mu.Lock()
		fenced, isCaughtUp := c.fenced, c.caughtUp
		c.mu.Unlock()
		if err == nil && isCaughtUp && !ready {
			c.s.logger.Info("broker caught up with the metadata log", "after", time.Since(start))
			caughtUp()
			ready = true
			continue
		}
		if err == nil && ready && !fenced {
			c.s.logger.Info("broker unfenced", "after", time.Since(start))
			return nil
		}
		if mustReregister(err) {
			err = c.register(ctx, adv)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("broker not unfenced (caught up %v, last error %v): %w", isCaughtUp, err, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (c *cluster) liveness(ctx context.Context) {
	t := time.NewTicker(c.heartbeatInterval())
	defer t.Stop()
	session := time.Duration(c.s.cfg.BrokerSessionTimeoutMs) * time.Millisecond
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if err := c.s.ctrl.FenceExpiredBrokers(ctx, now, session); err != nil && ctx.Err() == nil {
				c.s.logger.Warn("fence expired brokers", "err", err)
			}
			// A late heartbeat and a refused connection: the process
			// is gone, so fail over now rather than after the session.
			if err := c.s.ctrl.FenceDeadBrokers(ctx, now, c.heartbeatInterval()*3/2, c.s.brokerGone); err != nil && ctx.Err() == nil {
				c.s.logger.Warn("fence dead brokers", "err", err)
			}
		}
	}
}

func (c *cluster) heartbeatInterval() time.Duration {
	if ms := c.s.cfg.BrokerHeartbeatIntervalMs; ms > 0 {
		return time.Duration(ms) * time.Millisecond
	}
	return 2 * time.Second
}

func (c *cluster) register(ctx context.Context, adv config.Listener) error {
	return c.s.link.register(ctx, adv)
}

// heartbeatIntent is what a heartbeat asks of the controller.
type heartbeatIntent struct {
	wantFence    bool // not ready to lead: stay fenced (start-up)
	wantShutdown bool // controlled shutdown: be fenced, leaderships moved away
}

// heartbeat sends one heartbeat with the epoch of our latest registration,
// the metadata index we have applied and what we ask for.
func (c *cluster) heartbeat(ctx context.Context, intent heartbeatIntent) error {
	req := kmsg.NewPtrBrokerHeartbeatRequest()
	req.SetVersion(0)
	req.BrokerID, req.BrokerEpoch = c.s.cfg.NodeID, c.s.link.brokerEpoch()
	req.CurrentMetadataOffset = int64(c.s.ctrl.Image().AppliedIndex)
	req.WantFence, req.WantShutdown = intent.wantFence, intent.wantShutdown
	r, err := c.toController(ctx, req)
	if err != nil {
		return err
	}
	resp := r.(*kmsg.BrokerHeartbeatResponse)
	if resp.ErrorCode != 0 {
		return kerr.ErrorForCode(resp.ErrorCode)
	}
	c.mu.Lock()
	changed := c.fenced != resp.IsFenced
	c.fenced, c.caughtUp = resp.IsFenced, resp.IsCaughtUp
	c.mu.Unlock()
	if changed {
		c.s.logger.Info("broker fencing changed", "fenced", resp.IsFenced)
	}
	return nil
}

func (c *cluster) forwardISR(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ch := <-c.isrCh:
			err := c.alterPartition(ctx, ch)
			if err == nil || ctx.Err() != nil {
				continue
			}
			c.s.logger.Warn("alter partition", "topic", ch.Topic, "partition", ch.Partition, "isr", ch.ISR, "err", err)
			if refusedISRChange(err) {
				if p := c.s.parts.Partition(ch.Topic, ch.Partition); p != nil {
					p.ISRChangeRefused(ch)
				}
			}
		}
	}
}

// refusedISRChange reports whether err is the controller's verdict that a
// proposed ISR will never commit. Anything else (a transport error, a
// timeout, a controller change) may still commit it, so the proposal stays
// pending and the ISR check asks again once it has waited long enough.
func refusedISRChange(err error) bool {
	for _, e := range []*kerr.Error{kerr.IneligibleReplica, kerr.FencedLeaderEpoch, kerr.InvalidUpdateVersion,
		kerr.NotLeaderForPartition, kerr.InvalidRequest, kerr.UnknownTopicOrPartition, kerr.UnknownTopicID} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func (c *cluster) alterPartition(ctx context.Context, ch partition.ISRChange) error {
	req := kmsg.NewPtrAlterPartitionRequest()
	req.SetVersion(2)
	req.BrokerID, req.BrokerEpoch = c.s.cfg.NodeID, c.s.link.brokerEpoch()
	rt := kmsg.NewAlterPartitionRequestTopic()
	rt.TopicID = ch.TopicID
	rp := kmsg.NewAlterPartitionRequestTopicPartition()
	rp.Partition, rp.LeaderEpoch, rp.PartitionEpoch, rp.NewISR = ch.Partition, ch.LeaderEpoch, ch.PartitionEpoch, ch.ISR
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	r, err := c.toController(ctx, req)
	if err != nil {
		return err
	}
	resp := r.(*kmsg.AlterPartitionResponse)
	if resp.ErrorCode != 0 {
		return kerr.ErrorForCode(resp.ErrorCode)
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 {
				return kerr.ErrorForCode(p.ErrorCode)
			}
		}
	}
	return nil
}

func (c *cluster) toController(ctx context.Context, req kmsg.Request) (kmsg.Response, error) {
	return c.s.link.send(ctx, req)
}

// controllerLink sends broker-to-controller requests to the active
// controller: the local handler when this node is it, else the active
// controller's controller listener, or every voter in turn while the
// active controller is unknown. It keeps one connection per voter.
type controllerLink struct {
	s *Server

	mu      sync.Mutex
	h       *handler.Handler
	clients map[string]*replication.Client
	closed  bool
	epoch   int64 // broker epoch of our latest registration; -1 before one
}

func newControllerLink(s *Server) *controllerLink {
	return &controllerLink{s: s, clients: map[string]*replication.Client{}, epoch: -1}
}

// brokerEpoch is the epoch the controller gave our latest registration,
// sent with every heartbeat and AlterPartition.
func (l *controllerLink) brokerEpoch() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.epoch
}

func (l *controllerLink) setHandler(h *handler.Handler) {
	l.mu.Lock()
	l.h = h
	l.mu.Unlock()
}

// register sends BrokerRegistration with every advertised non-controller
// listener, adv (the inter-broker one) first; for a broker-only node adv
// is also the address Raft dials to add it as a
// non-voter. Its log dirs (v2+) are the directory ids, the metadata log
// dir's first.
func (l *controllerLink) register(ctx context.Context, adv config.Listener) error {
	req := kmsg.NewPtrBrokerRegistrationRequest()
	req.SetVersion(3)
	req.BrokerID, req.ClusterID = l.s.cfg.NodeID, l.s.ctrl.Image().ClusterID
	// The epoch of the last clean shutdown (clean_shutdown.go); once this
	// process has registered, its own: its logs are as they were.
	req.PreviousBrokerEpoch = l.s.prevEpoch
	if epoch := l.brokerEpoch(); epoch >= 0 {
		req.PreviousBrokerEpoch = epoch
	}
	req.LogDirs = slices.Clone(l.s.dirIDs)
	for _, a := range l.s.advertisedEndpoints(adv) {
		lst := kmsg.NewBrokerRegistrationRequestListener()
		lst.Name, lst.Host, lst.Port = a.Name, a.Host, uint16(a.Port)
		req.Listeners = append(req.Listeners, lst)
	}
	if l.s.cfg.BrokerRack != "" {
		req.Rack = &l.s.cfg.BrokerRack
	}
	r, err := l.send(ctx, req)
	if err != nil {
		return err
	}
	resp := r.(*kmsg.BrokerRegistrationResponse)
	if resp.ErrorCode != 0 {
		return kerr.ErrorForCode(resp.ErrorCode)
	}
	l.mu.Lock()
	l.epoch = resp.BrokerEpoch
	l.mu.Unlock()
	l.s.logger.Info("broker registered", "epoch", resp.BrokerEpoch)
	return nil
}

// send delivers req to the active controller. With no known leader it
// tries each voter, passing over NOT_CONTROLLER answers and unreachable
// voters; it returns the last answer or error.
func (l *controllerLink) send(ctx context.Context, req kmsg.Request) (kmsg.Response, error) {
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if leader := l.s.ctrl.LeaderID(); leader >= 0 {
		return l.sendTo(rctx, leader, req)
	}
	var lastResp kmsg.Response
	lastErr := errors.New("no controller voters configured")
	for _, v := range l.s.cfg.ControllerQuorumVoters {
		resp, err := l.sendTo(rctx, v.ID, req)
		if err == nil && topErrorCode(resp) != kerr.NotController.Code {
			return resp, nil
		}
		lastResp, lastErr = resp, err
		if rctx.Err() != nil {
			break
		}
	}
	if lastErr == nil {
		return lastResp, nil
	}
	return nil, lastErr
}

func (l *controllerLink) sendTo(ctx context.Context, id int32, req kmsg.Request) (kmsg.Response, error) {
	if id == l.s.cfg.NodeID {
		l.mu.Lock()
		h := l.h
		l.mu.Unlock()
		if h == nil {
			return nil, errors.New("local handler not started yet")
		}
		resp := h.Handle(ctx, &protocol.Request{Header: protocol.Header{Key: req.Key(),
			Version: req.GetVersion(), ClientID: "samsa-broker"}, Body: req})
		if resp == nil {
			return nil, errors.New("local handler gave no response")
		}
		return resp, nil
	}
	addr, ok := l.voterAddr(id)
	if !ok {
		return nil, fmt.Errorf("active controller %d is not in controller.quorum.voters", id)
	}
	cl, err := l.clientFor(addr)
	if err != nil {
		return nil, err
	}
	return cl.Request(ctx, req)
}

func (l *controllerLink) voterAddr(id int32) (string, bool) {
	for _, v := range l.s.cfg.ControllerQuorumVoters {
		if v.ID == id {
			return v.Addr(), true
		}
	}
	return "", false
}

func (l *controllerLink) clientFor(addr string) (*replication.Client, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, replication.ErrClientClosed
	}
	cl, ok := l.clients[addr]
	if !ok {
		cl = replication.NewClientDial(addr, "samsa-broker-"+strconv.Itoa(int(l.s.cfg.NodeID)),
			replication.DialFunc(l.s.ctrlDial))
		l.clients[addr] = cl
	}
	return cl, nil
}

// close closes every connection and fails later requests.
func (l *controllerLink) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	for addr, cl := range l.clients {
		cl.Close()
		delete(l.clients, addr)
	}
}

// topErrorCode is the top-level error code of a broker-to-controller
// response.
func topErrorCode(resp kmsg.Response) int16 {
	switch r := resp.(type) {
	case *kmsg.BrokerRegistrationResponse:
		return r.ErrorCode
	case *kmsg.BrokerHeartbeatResponse:
		return r.ErrorCode
	case *kmsg.AlterPartitionResponse:
		return r.ErrorCode
	}
	return 0
}
