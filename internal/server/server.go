package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/controller"
	"github.com/samsa-io/samsa/internal/group"
	"github.com/samsa-io/samsa/internal/handler"
	"github.com/samsa-io/samsa/internal/interbroker"
	"github.com/samsa-io/samsa/internal/lifecycle"
	"github.com/samsa-io/samsa/internal/listeners"
	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/metrics"
	"github.com/samsa-io/samsa/internal/nodedir"
	"github.com/samsa-io/samsa/internal/partition"
	"github.com/samsa-io/samsa/internal/replication"
	"github.com/samsa-io/samsa/internal/storage"
	"github.com/samsa-io/samsa/internal/topiclog"
	"github.com/samsa-io/samsa/internal/txn"
)

// Server is one running node.
type Server struct {
	cfg    *config.Broker
	logger *slog.Logger

	registry *prometheus.Registry
	metrics  *metrics.Server
	requests *metrics.Requests // request counts and times (metrics.go)
	ready    atomic.Bool

	ctrl       *controller.Controller
	parts      *partition.Manager
	groups     *group.Coordinator
	txns       *txn.Coordinator // transaction coordinator (txn.go)
	txnMarkers *interbroker.MarkerWriter
	pids       txn.NodeProducerIDs
	// dirIDs are the directory.id of the metadata log dir, then of the
	// other log dirs (nodedir.WriteMetaProperties).
	dirIDs [][16]byte
	// prevEpoch is the broker epoch of the last clean shutdown, -1 if
	// none (nodedir.TakeCleanShutdownEpoch), sent when registering.
	prevEpoch int64
	// link carries every broker-to-controller request (registration,
	// heartbeats, AlterPartition, forwarded admin requests).
	link      *interbroker.ControllerLink
	registrar *lifecycle.Registrar
	// life (the broker's life cycle against the controller) and repl (the
	// replica fetchers) run on a multi-node cluster only; nil on a single
	// node. fencing is life, or nil: a single node is never fenced.
	life    *lifecycle.Broker
	repl    *replication.Manager
	fencing interface{ Fenced() bool }
	net     *listeners.Set    // every bound listener
	dial    listeners.Dialers // connections to other nodes' listeners
	opts    Options

	// dirLocks are the .lock files of every log dir and the metadata dir,
	// taken before anything in them is opened and released last.
	dirLocks []*storage.DirLock

	// loops is cancelled at Close; the node's own loops (metadata,
	// metrics) run under it and are waited for on wg.
	loops  context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Run starts a node and blocks until ctx is cancelled or the node fails,
// then shuts it down.
func Run(ctx context.Context, cfg *config.Broker, logger *slog.Logger) error {
	s, err := Start(ctx, cfg, logger)
	if err != nil {
		return err
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-s.ctrl.Fatal():
		logger.Error("metadata controller failed; stopping", "err", runErr)
	}
	return errors.Join(runErr, s.Close())
}

// Options are test hooks; the zero value is production behaviour.
type Options struct {
	// Dial, when set, opens every connection this node makes to another
	// node: Raft, replica fetchers and broker-to-controller requests. A test
	// passes a netfault.Network's dialer to disconnect and partition nodes.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)

	// txnStateAppend, settable only by this package's tests (no config
	// reaches it), runs around every __transaction_state append of the
	// transaction coordinator: with appended false before the batch goes
	// into the leader's log, with true after, before the wait for the
	// followers. A test stops there to kill the coordinator between a
	// transaction's markers and the replication of its completion; an
	// error fails the append.
	txnStateAppend func(ctx context.Context, recs []txn.Record, appended bool) error

	// firstImage, settable only by this package's tests, sees the image
	// the partitions first open from (followMetadata).
	firstImage func(*metadata.Image)
}

// Start builds and starts a node; it returns once the node serves clients.
func Start(ctx context.Context, cfg *config.Broker, logger *slog.Logger) (*Server, error) {
	return StartWithOptions(ctx, cfg, logger, Options{})
}

// StartWithOptions is Start with test hooks.
func StartWithOptions(ctx context.Context, cfg *config.Broker, logger *slog.Logger, opts Options) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !cfg.IsController() && len(cfg.ControllerQuorumVoters) == 0 {
		return nil, errors.New("process.roles=broker (a broker-only node) needs controller.quorum.voters listing the controllers")
	}
	s := &Server{cfg: cfg, logger: logger, opts: opts}
	s.loops, s.cancel = context.WithCancel(context.Background())
	dial, err := listeners.NewDialers(cfg, opts.Dial, s.clustered(), logger)
	if err != nil {
		return nil, err
	}
	s.dial = dial
	if err := s.start(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) start(ctx context.Context) error {
	locks, err := nodedir.Lock(s.cfg.LogDirs, s.metadataDir())
	if err != nil {
		return err
	}
	s.dirLocks = locks
	s.prevEpoch = nodedir.TakeCleanShutdownEpoch(s.metadataDir(), s.logger)
	s.registry = metrics.NewRegistry()
	s.net = listeners.New(s.cfg, s.logger)
	if s.cfg.MetricsListener != "" {
		ms, err := metrics.Listen(s.cfg.MetricsListener, s.registry, s.serving, s.cfg.MetricsPprof, s.logger)
		if err != nil {
			return err
		}
		s.metrics = ms
	}
	if err := s.startController(ctx); err != nil {
		return err
	}
	ids, err := nodedir.WriteMetaProperties(s.cfg, s.ctrl.Image().ClusterID, s.metadataDir())
	if err != nil {
		return err
	}
	s.dirIDs = ids
	pids, err := txn.OpenProducerIDs(s.metadataDir())
	if err != nil {
		return err
	}
	s.pids = txn.NodeProducerIDs{IDs: pids, Node: s.cfg.NodeID}
	s.startPartitions()
	if !s.clustered() {
		s.followMetadata()
	}
	h := handler.New(handler.Deps{
		NodeID: s.cfg.NodeID, Config: s.cfg, Image: s.ctrl.Image, Controller: s.ctrl, Cluster: s.ctrl,
		Partitions: s.parts, ProducerIDs: s.pids, Groups: s.groups, Txn: s.txns, Metrics: metrics.NewBrokerTopic(s.registry), Logger: s.logger,
		Forward: s.link.Send,
	})
	s.link.SetLocal(h) // broker-to-controller requests while this node is the active controller
	s.registerMetrics()
	if err := s.net.Serve(s.requests.Wrap(h), h.Versions(), listeners.ImageScram(s.ctrl.Image)); err != nil {
		return err
	}
	if !s.brokerRole() {
		// A controller-only node registers no broker: it is in no
		// Metadata broker list and gets no replicas.
		s.followMetadata() // it hosts nothing; the image's loop runs all the same
		s.life.StartController()
		s.ready.Store(true)
		s.logger.Info("samsa node started", s.startupSummary()...)
		return nil
	}
	adv, _ := listeners.ClientListener(s.cfg)
	if adv.Port == 0 { // bound to port 0: advertise the port we got
		adv.Port = s.net.BoundPort(adv.Name)
	}
	if s.life != nil {
		if err := s.life.Start(ctx, adv, s.followMetadata); err != nil {
			return err
		}
	} else if err := s.ctrl.RegisterBroker(ctx, s.registrar.Registration(adv)); err != nil {
		return fmt.Errorf("register broker: %w", err)
	}
	s.ready.Store(true)
	s.logger.Info("samsa node started", s.startupSummary()...)
	return nil
}

// brokerRole reports whether this node serves as a broker: it registers,
// hosts partitions and serves clients. A controller-only node
// (process.roles=controller) does none of that.
func (s *Server) brokerRole() bool { return s.cfg.IsBroker() }

// controllerRole reports whether this node is a Raft voter of the metadata
// quorum, running the controller's duties while it is the active one.
func (s *Server) controllerRole() bool { return s.cfg.IsController() }

// topicDefaults is the broker config topic defaults come from: the static
// one with this node's dynamic broker configs applied (the base of an
// APPEND to a topic config that has no override).
func (s *Server) topicDefaults() *config.Broker {
	if s.ctrl == nil {
		return s.cfg
	}
	return s.cfg.WithDynamicIfValid(s.ctrl.Image().DynamicBrokerConfig(s.cfg.NodeID))
}

func (s *Server) metadataDir() string {
	if s.cfg.MetadataLogDir != "" {
		return s.cfg.MetadataLogDir
	}
	return s.cfg.LogDirs[0]
}

func (s *Server) startController(ctx context.Context) error {
	cc := controller.Config{
		NodeID:         s.cfg.NodeID,
		DataDir:        s.metadataDir(),
		ClusterID:      s.cfg.ClusterID,
		ValidateConfig: config.ValidateTopicConfig,
		DefaultTopicConfig: func(name string) (string, bool) {
			_, ok := config.LookupTopicConfig(name)
			return s.topicDefaults().TopicDefault(name), ok
		},
		MinInsyncReplicas: s.cfg.MinInsyncReplicas,
		Logger:            s.logger.With("component", "controller"),
	}
	for _, v := range s.cfg.ControllerQuorumVoters {
		cc.Voters = append(cc.Voters, controller.Voter{ID: v.ID, Addr: v.Addr()})
	}
	raft, ok, err := s.net.RaftTransport(s.dial.Raft)
	if err != nil {
		return err
	}
	if ok {
		cc.RaftListener, cc.RaftDial, cc.NonVoter, cc.AdvertiseAddr = raft.Listener, raft.Dial, raft.NonVoter, raft.AdvertiseAddr
	}
	if len(cc.Voters) == 0 {
		// A lone in-memory voter has no peers to hear from; short timeouts
		// let it elect itself in a fraction of a second at start-up.
		cc.HeartbeatTimeout, cc.ElectionTimeout = 100*time.Millisecond, 100*time.Millisecond
	}
	ctrl, err := controller.New(cc)
	if err != nil {
		return fmt.Errorf("start controller: %w", err)
	}
	s.ctrl = ctrl
	s.startControllerLink()
	readyCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if !s.controllerRole() {
		return s.joinQuorum(readyCtx)
	}
	if err := ctrl.WaitReady(readyCtx); err != nil {
		return fmt.Errorf("wait for metadata quorum: %w", err)
	}
	return nil
}

// startControllerLink builds the link every broker-to-controller request
// takes and the registration that goes over it.
func (s *Server) startControllerLink() {
	voters := make([]interbroker.Voter, 0, len(s.cfg.ControllerQuorumVoters))
	for _, v := range s.cfg.ControllerQuorumVoters {
		voters = append(voters, interbroker.Voter{ID: v.ID, Addr: v.Addr()})
	}
	s.link = interbroker.NewControllerLink(interbroker.ControllerLinkConfig{
		NodeID: s.cfg.NodeID, Voters: voters, LeaderID: s.ctrl.LeaderID, Dial: s.dial.Controller})
	s.registrar = lifecycle.NewRegistrar(lifecycle.RegistrarDeps{NodeID: s.cfg.NodeID, Rack: s.cfg.BrokerRack,
		Link: s.link, Image: s.ctrl.Image, Endpoints: s.net.AdvertisedEndpoints, Logger: s.logger,
		// Written by start before any registration but a broker-only
		// node's first (joinQuorum), which goes without them.
		DirIDs: func() [][16]byte { return s.dirIDs }, PreviousEpoch: s.prevEpoch})
}

// joinQuorum registers this broker-only node until the active controller
// has added it to the metadata quorum and it has caught up with the log.
func (s *Server) joinQuorum(ctx context.Context) error {
	adv, ok := listeners.ClientListener(s.cfg)
	if !ok {
		return errors.New("broker-only node has no inter-broker listener")
	}
	if adv.Port == 0 {
		adv.Port = s.net.BoundPort(adv.Name)
	}
	if err := s.registrar.JoinQuorum(ctx, adv, s.ctrl.WaitReady); err != nil {
		return err
	}
	s.logger.Info("joined the metadata quorum as a non-voter", "leader", s.ctrl.LeaderID())
	return nil
}

// clustered reports whether this node runs in a multi-node cluster: more
// than one voter, or a node with only one of the two roles (a broker-only
// node following the voters, or a controller-only voter serving brokers
// elsewhere).
func (s *Server) clustered() bool {
	return len(s.cfg.ControllerQuorumVoters) > 1 || !s.controllerRole() || !s.brokerRole()
}

// startPartitions builds the partition manager, on a cluster the replica
// fetchers and the broker's life cycle, and the group and transaction
// coordinators. Nothing opens yet: followMetadata applies the image once
// it can be trusted.
func (s *Server) startPartitions() {
	s.parts = partition.NewManager(s.cfg, s.logger.With("component", "partitions"))
	// Kafka sizes the cleaner's offset map by log.cleaner.dedupe.buffer.size
	// at 24 bytes an entry (16-byte key hash and 8-byte offset).
	s.parts.SetCleaner(time.Duration(s.cfg.LogCleanerBackoffMs)*time.Millisecond,
		int(s.cfg.LogCleanerDedupeBufferSize/24), s.cfg.LogCleanerEnable)
	if s.clustered() {
		s.repl = replication.New(replication.Config{NodeID: s.cfg.NodeID, Partitions: s.parts,
			Dial: s.dial.Inter, Logger: s.logger.With("component", "replication")})
		s.life = lifecycle.New(lifecycle.Deps{Config: s.cfg, Controller: s.ctrl, Link: s.link, Registrar: s.registrar,
			Partitions: s.parts, ProbeDial: s.opts.Dial, Logger: s.logger})
		s.fencing = s.life
	}
	s.startGroups()
	s.startTxn(s.pids)
}

// followMetadata opens the replicas the image assigns here, starts the
// partitions' background work and the coordinators' leadership, and
// follows image changes from then on. It runs once the image has caught
// up with the metadata log: on a cluster, after the controller has seen
// this broker apply its own registration and before the broker asks to be
// unfenced; on a single node, whose controller is the Raft leader and
// applied its whole log before WaitReady returned, before the listeners
// start. A restarted follower's image can lag the quorum until then (its
// Raft counts entries applied before the state machine has them, and a
// heartbeat carries no commit index), and acting on it would open
// partitions at leader epochs long gone and take topics created since for
// deleted; as in Kafka, which starts its logs after the initial catch-up.
func (s *Server) followMetadata() {
	updates, unsubscribe := s.ctrl.Subscribe()
	im := s.ctrl.Image()
	if s.opts.firstImage != nil {
		s.opts.firstImage(im)
	}
	pipe := s.metadataPipeline()
	pipe.Apply(s.loops, im)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer unsubscribe()
		pipe.Run(s.loops, updates)
	}()
}

// metadataPipeline is what happens when metadata changes, in order: the
// partitions open, close and reconfigure replicas (at the first image they
// also remove orphaned replica dirs and start their background work:
// retention, cleaning, high watermark checkpoints, which must not run
// before every replica has opened); the replica fetchers follow the
// leaders; then the group and transaction coordinators take or give up
// their internal topics' partitions, which they can load only once hosted.
// The pipeline's context is the node's: cancelled at Close, so a topic of
// thousands of partitions still opening does not hold up the shutdown.
func (s *Server) metadataPipeline() *metadata.Pipeline {
	started := false // read and written by one image application at a time (metadata.Listener)
	partitions := metadata.ListenerFunc(func(ctx context.Context, im *metadata.Image) error {
		err := s.parts.ApplyImageContext(ctx, im)
		if !started {
			started = true
			s.parts.RemoveOrphans(im)
			s.parts.Start()
		}
		return err
	})
	stages := []metadata.Stage{{Name: "partitions", Listener: partitions}}
	if s.repl != nil {
		stages = append(stages, metadata.Stage{Name: "replication", Listener: s.repl})
	}
	stages = append(stages,
		metadata.Stage{Name: "groups", Listener: topiclog.Leadership{Topic: group.OffsetsTopic, NodeID: s.cfg.NodeID,
			Parts: s.parts, Set: s.groups.SetLeaders}},
		metadata.Stage{Name: "transactions", Listener: topiclog.Leadership{Topic: txn.StateTopic, NodeID: s.cfg.NodeID,
			Parts: s.parts, Set: s.txns.SetLeaders}})
	return metadata.NewPipeline(s.logger, stages...)
}

// Addrs are the bound client listener addresses.
func (s *Server) Addrs() []net.Addr { return s.net.Addrs() }

// Close stops listeners first (no new work), then the metadata loop, the
// group coordinator (it writes to partitions), partitions (logs flushed and
// checkpointed), then the controller.
func (s *Server) Close() error {
	s.logger.Info("shutting down", "node", s.cfg.NodeID)
	defer s.logger.Info("shut down", "node", s.cfg.NodeID)
	s.ready.Store(false)
	if s.life != nil {
		s.life.Shutdown() // leadership moves away while we still serve
	}
	if s.repl != nil {
		s.repl.Close()
	}
	if s.link != nil {
		s.link.Close()
	}
	var errs []error
	if s.net != nil {
		errs = append(errs, s.net.CloseListeners())
	}
	s.cancel()
	s.wg.Wait()
	errs = append(errs, s.closeTxn())
	if s.groups != nil {
		errs = append(errs, s.groups.Close())
	}
	if s.parts != nil {
		err := s.parts.Close()
		// Every log flushed and closed: the next start may say it shut down
		// cleanly (KIP-966), which keeps its replicas eligible leaders.
		if s.registrar != nil && err == nil && s.brokerRole() && s.registrar.Epoch() >= 0 {
			err = nodedir.WriteCleanShutdownEpoch(s.metadataDir(), s.registrar.Epoch())
		}
		errs = append(errs, err)
	}
	if s.ctrl != nil {
		errs = append(errs, s.ctrl.Close())
	}
	if s.net != nil {
		errs = append(errs, s.net.CloseMuxes()) // after Raft, which accepts through them
	}
	if s.metrics != nil {
		errs = append(errs, s.metrics.Close())
	}
	errs = append(errs, nodedir.Release(s.dirLocks)) // last: nothing in the dirs is open any more
	s.dirLocks = nil
	return errors.Join(errs...)
}
