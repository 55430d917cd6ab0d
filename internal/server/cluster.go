package server

// The multi-node part of a server, started only when
// controller.quorum.voters lists more than one voter.
//
// Design: every node is a Raft voter and holds the same metadata image, so
// it always knows the active controller (the Raft leader) and, from the
// image, that node's client listener. The broker-to-controller requests
// are Kafka's own: BrokerRegistration (62), BrokerHeartbeat (63) and
// AlterPartition (56), sent with the replication client to the active
// controller's client listener, where the handler serves them only if that
// node is still the active controller (NOT_CONTROLLER otherwise, and the
// sender re-resolves). When this node is the active controller the same
// request goes straight to the local handler, so there is one code path
// and no special case for "self". Serving them on the client listener
// instead of the controller listener keeps the Raft port Raft-only; it
// costs nothing in security today because neither listener authenticates.
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
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/config"
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

	mu      sync.Mutex
	client  *replication.Client // to the active controller's client listener
	fenced  bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	stopped bool
}

// clustered reports whether this node runs in a multi-voter cluster.
func (s *Server) clustered() bool { return len(s.cfg.ControllerQuorumVoters) > 1 }

// newCluster prepares replication before the first image is applied; nil
// for a single node.
func (s *Server) newCluster() *cluster {
	if !s.clustered() {
		return nil
	}
	c := &cluster{s: s, isrCh: make(chan partition.ISRChange, isrQueue)}
	c.repl = replication.New(replication.Config{NodeID: s.cfg.NodeID, Partitions: s.parts,
		Logger: s.logger.With("component", "replication")})
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
// a minute for one to accept it) and starts the background loops.
func (c *cluster) start(ctx context.Context, h *handler.Handler, adv config.Listener) error {
	c.h = h
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
	c.heartbeat(regCtx, false) // unfence now rather than one interval later
	c.goRun(func(ctx context.Context) { c.lifecycle(ctx, adv) }, loopCtx)
	c.goRun(c.liveness, loopCtx)
	c.goRun(c.forwardISR, loopCtx)
	c.goRun(c.s.parts.RunISRChecks, loopCtx)
	return nil
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
	if c.h != nil && !stopped {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c.heartbeat(ctx, true)
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
	c.mu.Lock()
	if c.client != nil {
		c.client.Close()
	}
	c.mu.Unlock()
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
		if errors.Is(c.heartbeat(ctx, false), kerr.BrokerIDNotRegistered) {
			if err := c.register(ctx, adv); err != nil {
				c.s.logger.Warn("re-register broker", "err", err)
			}
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
	req := kmsg.NewPtrBrokerRegistrationRequest()
	req.SetVersion(0)
	req.BrokerID, req.ClusterID = c.s.cfg.NodeID, c.s.ctrl.Image().ClusterID
	l := kmsg.NewBrokerRegistrationRequestListener()
	l.Name, l.Host, l.Port = adv.Name, adv.Host, uint16(adv.Port)
	req.Listeners = append(req.Listeners, l)
	r, err := c.toController(ctx, req)
	if err != nil {
		return err
	}
	if code := r.(*kmsg.BrokerRegistrationResponse).ErrorCode; code != 0 {
		return kerr.ErrorForCode(code)
	}
	return nil
}

// heartbeat sends one heartbeat; wantShutdown asks to be fenced for a
// controlled shutdown.
func (c *cluster) heartbeat(ctx context.Context, wantShutdown bool) error {
	req := kmsg.NewPtrBrokerHeartbeatRequest()
	req.SetVersion(0)
	req.BrokerID, req.BrokerEpoch = c.s.cfg.NodeID, -1
	req.CurrentMetadataOffset = int64(c.s.ctrl.Image().AppliedIndex)
	req.WantShutdown = wantShutdown
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
	c.fenced = resp.IsFenced
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
			if err := c.alterPartition(ctx, ch); err != nil && ctx.Err() == nil {
				c.s.logger.Warn("alter partition", "topic", ch.Topic, "partition", ch.Partition, "isr", ch.ISR, "err", err)
			}
		}
	}
}

func (c *cluster) alterPartition(ctx context.Context, ch partition.ISRChange) error {
	req := kmsg.NewPtrAlterPartitionRequest()
	req.SetVersion(2)
	req.BrokerID, req.BrokerEpoch = c.s.cfg.NodeID, -1
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

// toController sends req to the active controller: the local handler when
// this node is it, else the controller's client listener from the image.
func (c *cluster) toController(ctx context.Context, req kmsg.Request) (kmsg.Response, error) {
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	leader := c.s.ctrl.LeaderID()
	if leader < 0 {
		return nil, errors.New("no active controller")
	}
	if leader == c.s.cfg.NodeID {
		resp := c.h.Handle(rctx, &protocol.Request{Header: protocol.Header{Key: req.Key(),
			Version: req.GetVersion(), ClientID: "samsa-broker"}, Body: req})
		if resp == nil {
			return nil, errors.New("local handler gave no response")
		}
		return resp, nil
	}
	b, ok := c.s.ctrl.Image().Brokers[leader]
	if !ok {
		return nil, fmt.Errorf("active controller %d has not registered its listener yet", leader)
	}
	return c.clientFor(net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port)))).Request(rctx, req)
}

func (c *cluster) clientFor(addr string) *replication.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client == nil || c.client.Addr() != addr {
		if c.client != nil {
			c.client.Close()
		}
		c.client = replication.NewClient(addr, "samsa-broker-"+strconv.Itoa(int(c.s.cfg.NodeID)))
	}
	return c.client
}
