package controller

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	"github.com/samsa-io/samsa/internal/metadata"
)

// Voter is a member of the Raft voter set.
type Voter struct {
	ID   int32
	Addr string // "host:port" of the voter's Raft transport
}

// Config configures a Controller.
type Config struct {
	NodeID  int32
	DataDir string
	// Voters is the Raft voter set. Empty means a single-voter cluster of
	// this node over an in-memory transport (no port needed).
	Voters []Voter
	// BindAddr is the Raft TCP bind address when Voters is non-empty; ""
	// binds this node's own voter address.
	BindAddr string
	// RaftListener, when set, is where Raft accepts connections (the Raft
	// side of a network.Mux, so the port also serves the Kafka protocol);
	// BindAddr is then unused. RaftDial, when set, opens Raft connections
	// to peers (writing the mux's magic byte; tests inject faults there).
	// Without them Raft binds a Raft-only port and dials plain TCP.
	RaftListener net.Listener
	RaftDial     func(addr string, timeout time.Duration) (net.Conn, error)
	// NonVoter makes this node follow the metadata log without voting (a
	// broker-only node): it is not in Voters, never bootstraps, and waits
	// until the active controller adds it (AddNonvoter) at AdvertiseAddr,
	// its Raft address.
	NonVoter      bool
	AdvertiseAddr string
	// ClusterID is written to a fresh metadata log by its first leader;
	// "" generates a random 22-character base64url ID.
	ClusterID string
	// ValidateConfig checks a topic config key and value (nil accepts all).
	ValidateConfig func(name, value string) error
	// DefaultTopicConfig returns a topic config key's default, the base
	// for OpAppend/OpSubtract on a key without override (nil: "").
	DefaultTopicConfig func(name string) (string, bool)
	// MinInsyncReplicas is this node's static min.insync.replicas: the
	// cluster-level dynamic value the active controller writes when the
	// metadata log has none (eligible leader replicas need one, KIP-966).
	// 0 falls back to DefaultTopicConfig, then 1.
	MinInsyncReplicas int16
	Logger            *slog.Logger

	// HeartbeatTimeout and ElectionTimeout tune Raft; zero means 1s.
	HeartbeatTimeout time.Duration
	ElectionTimeout  time.Duration

	// storeFault, set only by tests, is called before every write to the
	// metadata log's store ("store logs", "set", ...); an error it returns
	// replaces the write's result (see failFastStore).
	storeFault func(op string) error
}

// DefaultRaftTimeout is the Raft heartbeat and election timeout used when
// Config leaves them zero.
const DefaultRaftTimeout = time.Second

// defaultApplyTimeout bounds a proposal when the context has no deadline.
const defaultApplyTimeout = 10 * time.Second

// Controller is one node of the metadata quorum.
type Controller struct {
	cfg    Config
	logger *slog.Logger
	pub    *metadata.Publisher
	fsm    *fsm
	st     *stores
	raft   *raft.Raft

	// proposeMu serializes validate-then-propose sequences on this node.
	proposeMu sync.Mutex
	live      liveness // broker heartbeats, on the active controller

	observations chan raft.Observation
	observer     *raft.Observer
	done         chan struct{}
	wg           sync.WaitGroup
	closeOnce    sync.Once
	closeErr     error
}

// New opens the stores under cfg.DataDir, starts Raft and bootstraps the
// voter set when the store is empty. It returns without waiting for a
// leader; call WaitReady for that.
func New(cfg Config) (*Controller, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ClusterID == "" {
		cfg.ClusterID = RandomClusterID()
	}
	c := &Controller{
		cfg:          cfg,
		logger:       cfg.Logger.With("node", cfg.NodeID),
		pub:          metadata.NewPublisher(nil),
		observations: make(chan raft.Observation, 64),
		done:         make(chan struct{}),
	}
	c.fsm = newFSM(c.pub, c.logger)
	st, err := openStores(cfg, c.logger, c.storeFailed)
	if err != nil {
		return nil, err
	}
	c.st = st
	if err := c.startRaft(); err != nil {
		_ = st.close()
		return nil, err
	}
	c.observer = raft.NewObserver(c.observations, false, func(o *raft.Observation) bool {
		_, ok := o.Data.(raft.LeaderObservation)
		return ok
	})
	c.raft.RegisterObserver(c.observer)
	c.wg.Add(1)
	go c.watchLeader()
	return c, nil
}

// raftConfig builds the hashicorp/raft configuration for cfg.
func raftConfig(cfg Config, logger *slog.Logger) *raft.Config {
	rc := raft.DefaultConfig()
	rc.LocalID = serverID(cfg.NodeID)
	rc.Logger = newHclog(logger, "raft")
	rc.HeartbeatTimeout = orDefault(cfg.HeartbeatTimeout, DefaultRaftTimeout)
	rc.ElectionTimeout = orDefault(cfg.ElectionTimeout, DefaultRaftTimeout)
	rc.LeaderLeaseTimeout = rc.HeartbeatTimeout / 2
	if rc.CommitTimeout > rc.HeartbeatTimeout/4 {
		rc.CommitTimeout = rc.HeartbeatTimeout / 4
	}
	return rc
}

func (c *Controller) startRaft() error {
	rc := raftConfig(c.cfg, c.logger)
	existing, err := raft.HasExistingState(c.st.log, c.st.log, c.st.snaps)
	if err != nil {
		return fmt.Errorf("check raft state: %w", err)
	}
	if !existing && !c.cfg.NonVoter {
		if err := raft.BootstrapCluster(rc, c.st.log, c.st.log, c.st.snaps, c.st.trans, c.st.voters); err != nil {
			return fmt.Errorf("bootstrap raft: %w", err)
		}
		c.logger.Info("bootstrapped metadata log", "voters", len(c.st.voters.Servers))
	}
	r, err := c.newRaft(rc)
	if err != nil {
		return fmt.Errorf("start raft: %w", err)
	}
	c.raft = r
	return nil
}

// newRaft is raft.NewRaft, except that the panic it raises when it cannot
// persist the current term (a full disk) becomes that write's error. It
// starts no goroutine before that point, so nothing is left running.
func (c *Controller) newRaft(rc *raft.Config) (r *raft.Raft, err error) {
	defer func() {
		if p := recover(); p != nil {
			ferr := c.st.log.failed()
			if ferr == nil {
				panic(p) // not ours to handle
			}
			r, err = nil, ferr
		}
	}()
	return raft.NewRaft(rc, c.fsm, c.st.log, c.st.log, c.st.snaps, c.st.trans)
}

// Close stops Raft, closes the stores and waits for every goroutine.
func (c *Controller) Close() error {
	c.closeOnce.Do(func() {
		close(c.done)
		c.raft.DeregisterObserver(c.observer)
		// Shut Raft down before waiting: it fails a Barrier or Apply that
		// watchLeader may be blocked in.
		if err := c.raft.Shutdown().Error(); err != nil {
			c.closeErr = fmt.Errorf("shutdown raft: %w", err)
		}
		c.wg.Wait()
		if err := c.st.close(); err != nil && c.closeErr == nil {
			c.closeErr = err
		}
	})
	return c.closeErr
}

// Image returns the current metadata image.
func (c *Controller) Image() *metadata.Image { return c.pub.Load() }

// Subscribe delivers the latest image after every change (latest wins).
func (c *Controller) Subscribe() (<-chan *metadata.Image, func()) { return c.pub.Subscribe() }

// Publisher exposes the image publisher (Load, Subscribe, Changed).
func (c *Controller) Publisher() *metadata.Publisher { return c.pub }

// storeFailed reports the first failed write to the metadata log as fatal:
// Raft would otherwise retry it for ever (an election a heartbeat timeout
// on a full disk) and the node would never serve.
func (c *Controller) storeFailed(err error) {
	c.logger.Error("metadata log write failed; the node must stop", "err", err)
	select {
	case c.fsm.fatal <- err:
	default: // a fatal error is already pending
	}
}

// Fatal receives an error when the FSM stops because it met a record it
// cannot apply, or when a write to the metadata log fails
// (ErrMetadataStoreFailed). The node must then shut down.
func (c *Controller) Fatal() <-chan error { return c.fsm.fatal }

// IsLeader reports whether this node is the active controller.
func (c *Controller) IsLeader() bool { return c.raft.State() == raft.Leader }

// LeaderID returns the node ID of the active controller, or -1.
func (c *Controller) LeaderID() int32 {
	_, id := c.raft.LeaderWithID()
	return parseServerID(id)
}

// WaitReady waits until a leader exists and this node has applied the
// metadata log up to the leader's commit index, and the cluster ID is set.
// On the leader a Barrier proves it; a follower waits until it has heard
// from the leader recently and applied everything it knows to be committed.
func (c *Controller) WaitReady(ctx context.Context) error {
	for {
		if ok, err := c.ready(ctx); ok || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for metadata quorum: %w", ctx.Err())
		case <-c.done:
			return ErrClosed
		case <-c.pub.Changed():
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (c *Controller) ready(ctx context.Context) (bool, error) {
	if err := c.fsm.err(); err != nil {
		return false, err
	}
	if err := c.st.log.failed(); err != nil {
		return false, err
	}
	if c.Image().ClusterID == "" {
		return false, nil
	}
	switch c.raft.State() {
	case raft.Leader:
		return c.raft.Barrier(timeoutFrom(ctx)).Error() == nil, nil
	case raft.Follower:
		if _, id := c.raft.LeaderWithID(); id == "" {
			return false, nil
		}
		recent := time.Since(c.raft.LastContact()) < 2*orDefault(c.cfg.HeartbeatTimeout, DefaultRaftTimeout)
		return recent && c.raft.AppliedIndex() >= c.raft.CommitIndex(), nil
	default:
		return false, nil
	}
}

// watchLeader keeps the image's ControllerID current and, on the leader,
// writes the cluster ID and the cluster-level min.insync.replicas that
// eligible leader replicas need (elr_config.go) into a fresh log.
// Observations may be dropped, so a ticker re-checks the state.
func (c *Controller) watchLeader() {
	defer c.wg.Done()
	tick := time.NewTicker(orDefault(c.cfg.HeartbeatTimeout, DefaultRaftTimeout))
	defer tick.Stop()
	for {
		c.fsm.setControllerID(c.LeaderID())
		if im := c.Image(); c.IsLeader() && (im.ClusterID == "" || needsELRSafetyConfig(im)) {
			c.bootstrap()
		}
		select {
		case <-c.done:
			return
		case <-c.observations:
		case <-tick.C:
		}
	}
}

// bootstrap writes what a metadata log must hold once this node has
// applied all of it: the cluster-level min.insync.replicas (first, so that
// a node that sees the cluster ID sees it too), then the cluster ID.
func (c *Controller) bootstrap() {
	if err := c.raft.Barrier(defaultApplyTimeout).Error(); err != nil {
		return
	}
	if needsELRSafetyConfig(c.Image()) {
		c.proposeELRSafetyConfig()
	}
	if c.Image().ClusterID != "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), defaultApplyTimeout)
	defer cancel()
	if err := c.propose(ctx, RecordClusterID, &ClusterIDRecord{ClusterID: c.cfg.ClusterID}); err != nil {
		c.logger.Warn("write cluster id", "err", err)
		return
	}
	c.logger.Info("initialised metadata log", "cluster_id", c.Image().ClusterID)
}

// propose replicates one record and waits until this node applied it. It
// returns the FSM's rejection error, if any.
func (c *Controller) propose(ctx context.Context, typ RecordType, payload any) error {
	data, err := encodeRecord(typ, payload)
	if err != nil {
		return err
	}
	if c.raft.State() != raft.Leader {
		return c.notController()
	}
	f := c.raft.Apply(data, timeoutFrom(ctx))
	if err := f.Error(); err != nil {
		if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) {
			return fmt.Errorf("%w: %w", c.notController(), err)
		}
		return fmt.Errorf("apply metadata record: %w", err)
	}
	if res, ok := f.Response().(applyResult); ok && res.err != nil {
		return res.err
	}
	c.pushCommit(ctx)
	return nil
}

// pushCommit makes the other nodes learn at once that the record just
// applied here is committed. Raft tells followers the commit index only
// with the next AppendEntries, which an idle leader sends after
// CommitTimeout; until then a client that created a topic through this
// node and asks another one (kafka-topics --create, then --list) would not
// see it. A barrier is one more, empty, entry whose AppendEntries carries
// the new commit index to every follower now.
func (c *Controller) pushCommit(ctx context.Context) {
	if len(c.cfg.Voters) < 2 && !c.hasNonVoters() {
		return
	}
	if err := c.raft.Barrier(timeoutFrom(ctx)).Error(); err != nil {
		c.logger.Debug("barrier after a metadata record", "err", err)
	}
}

// hasNonVoters reports whether broker-only nodes follow the log.
func (c *Controller) hasNonVoters() bool {
	f := c.raft.GetConfiguration()
	if f.Error() != nil {
		return false
	}
	for _, s := range f.Configuration().Servers {
		if s.Suffrage == raft.Nonvoter {
			return true
		}
	}
	return false
}

func (c *Controller) notController() error {
	return domainErr(ErrNotController,
		fmt.Sprintf("This node is not the active controller (leader is %d).", c.LeaderID()))
}

// RandomClusterID returns a random 22-character base64url cluster ID, the
// form Kafka uses.
func RandomClusterID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func timeoutFrom(ctx context.Context) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		if d := time.Until(dl); d > 0 {
			return d
		}
		return time.Millisecond
	}
	return defaultApplyTimeout
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func serverID(id int32) raft.ServerID { return raft.ServerID(strconv.Itoa(int(id))) }

func parseServerID(id raft.ServerID) int32 {
	n, err := strconv.ParseInt(string(id), 10, 32)
	if err != nil || id == "" {
		return -1
	}
	return int32(n)
}
