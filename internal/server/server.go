package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/controller"
	"github.com/samsa-io/samsa/internal/group"
	"github.com/samsa-io/samsa/internal/handler"
	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/metrics"
	"github.com/samsa-io/samsa/internal/network"
	"github.com/samsa-io/samsa/internal/partition"
	"github.com/samsa-io/samsa/internal/security"
	"github.com/samsa-io/samsa/internal/storage"
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
	txnMarkers *txnMarkers
	pids       txn.NodeProducerIDs
	// dirIDs are the directory.id of the metadata log dir, then of the
	// other log dirs (meta_properties.go).
	dirIDs        [][16]byte
	prevEpoch     int64           // broker epoch of the last clean shutdown, -1 if none (clean_shutdown.go)
	cluster       *cluster        // replication and broker lifecycle (cluster.go); nil on a single node
	link          *controllerLink // broker-to-controller requests (cluster.go)
	listeners     []*network.Listener
	listenerNames []string
	// muxes share a port between Raft and the Kafka protocol: the
	// controller listener, and a broker-only node's inter-broker listener.
	muxes         map[string]*network.Mux
	limits        *network.ConnLimits // every listener's and Mux's connection limits
	ctrlListeners []*network.Listener // Kafka side of the controller listener
	opts          Options
	// interDial and ctrlDial open this node's connections to other nodes'
	// inter-broker and controller listeners (and, for transaction markers,
	// to its own inter-broker listener), with TLS and SASL when those
	// listeners are secured (security.DialerFor).
	interDial, ctrlDial network.DialFunc
	// raftDial is ctrlDial without SASL: Raft speaks its own protocol
	// after the Mux's magic byte, so it gets the controller listener's TLS
	// (and mTLS) but cannot run a Kafka SASL exchange.
	raftDial network.DialFunc

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
	s := &Server{cfg: cfg, logger: logger, opts: opts, muxes: map[string]*network.Mux{}}
	s.loops, s.cancel = context.WithCancel(context.Background())
	if err := s.initDials(); err != nil {
		return nil, err
	}
	s.link = newControllerLink(s)
	if err := s.start(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) start(ctx context.Context) error {
	if err := s.lockDirs(); err != nil {
		return err
	}
	s.prevEpoch = takeCleanShutdownEpoch(s.metadataDir(), s.logger)
	s.registry = metrics.NewRegistry()
	s.limits = s.connLimits()
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
	ids, err := writeMetaProperties(s.cfg, s.ctrl.Image().ClusterID, s.metadataDir())
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
		Forward: s.link.send,
	})
	s.registerMetrics()
	if err := checkDescriptorHeadroom(); err != nil {
		return err
	}
	if err := s.startListeners(h); err != nil {
		return err
	}
	if !s.brokerRole() {
		// A controller-only node registers no broker: it is in no
		// Metadata broker list and gets no replicas.
		s.followMetadata() // it hosts nothing; the image's loop runs all the same
		s.cluster.startController()
		s.ready.Store(true)
		s.logger.Info("samsa node started", s.startupSummary()...)
		return nil
	}
	adv, _ := s.clientListener()
	if adv.Port == 0 { // bound to port 0: advertise the port we got
		adv.Port = s.boundPort(adv.Name)
	}
	if s.cluster != nil {
		if err := s.cluster.start(ctx, h, adv, s.followMetadata); err != nil {
			return err
		}
	} else if err := s.ctrl.RegisterBroker(ctx, s.brokerRegistration(adv)); err != nil {
		return fmt.Errorf("register broker: %w", err)
	}
	s.ready.Store(true)
	s.logger.Info("samsa node started", s.startupSummary()...)
	return nil
}

// lockDirs creates every log dir and the metadata dir and locks each
// (storage.LockDir) before anything in them is opened: a second process
// on the same directories fails here at once, naming the locked file,
// instead of blocking on the metadata store's own lock.
func (s *Server) lockDirs() error {
	// One lock a directory: flock conflicts between two descriptors of the
	// same process too, so "/data" and "/data/" must not both be locked.
	var dirs []string
	for _, dir := range append(slices.Clone(s.cfg.LogDirs), s.metadataDir()) {
		if dir = filepath.Clean(dir); !slices.Contains(dirs, dir) {
			dirs = append(dirs, dir)
		}
	}
	for _, dir := range dirs {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create log dir: %w", err)
		}
		l, err := storage.LockDir(dir)
		if err != nil {
			return err
		}
		s.dirLocks = append(s.dirLocks, l)
	}
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
	dyn := s.ctrl.Image().DynamicBrokerConfig(s.cfg.NodeID)
	if len(dyn) == 0 {
		return s.cfg
	}
	b, err := s.cfg.WithDynamic(dyn)
	if err != nil {
		return s.cfg
	}
	return b
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
	if err := s.raftTransport(&cc); err != nil {
		return err
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

// startPartitions builds the partition manager, the replication side and
// the group and transaction coordinators. Nothing opens yet: followMetadata
// applies the image once it can be trusted.
func (s *Server) startPartitions() {
	s.parts = partition.NewManager(s.cfg, s.logger.With("component", "partitions"))
	// Kafka sizes the cleaner's offset map by log.cleaner.dedupe.buffer.size
	// at 24 bytes an entry (16-byte key hash and 8-byte offset).
	s.parts.SetCleaner(time.Duration(s.cfg.LogCleanerBackoffMs)*time.Millisecond,
		int(s.cfg.LogCleanerDedupeBufferSize/24), s.cfg.LogCleanerEnable)
	s.cluster = s.newCluster()
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
	if err := s.parts.ApplyImage(im); err != nil {
		// The partitions that failed are offline (KAFKA_STORAGE_ERROR);
		// the others serve.
		s.logger.Error("open partitions", "err", err)
	}
	s.cluster.applyImage(im)
	s.parts.RemoveOrphans(im)
	s.parts.Start()
	s.applyGroupLeadership(im)
	s.applyTxnLeadership(im)
	loopCtx := s.loops
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer unsubscribe()
		for {
			select {
			case <-loopCtx.Done():
				return
			case im := <-updates:
				// Cancelled at Close: a topic of thousands of partitions
				// still opening must not hold up the shutdown.
				if err := s.parts.ApplyImageContext(loopCtx, im); err != nil && loopCtx.Err() == nil {
					s.logger.Error("apply metadata image", "err", err)
				}
				s.cluster.applyImage(im)
				s.applyGroupLeadership(im)
				s.applyTxnLeadership(im)
			}
		}
	}()
}

// clientListener is the advertised listener clients and other brokers use:
// inter.broker.listener.name if set, else the first non-controller one.
func (s *Server) clientListener() (config.Listener, bool) {
	if name := s.cfg.InterBrokerListenerName; name != "" {
		if l, ok := s.cfg.AdvertisedListener(name); ok {
			return l, true
		}
	}
	for _, l := range s.cfg.AdvertisedListeners {
		if !slices.Contains(s.cfg.ControllerListenerNames, l.Name) {
			return l, true
		}
	}
	return config.Listener{}, false
}

// advertisedEndpoints returns every advertised non-controller listener,
// the inter-broker one (primary) first, with a port of 0 replaced by the
// port bound: the endpoints a broker registers so that clients are
// answered with the addresses of the listener they came in on.
func (s *Server) advertisedEndpoints(primary config.Listener) []config.Listener {
	out := []config.Listener{primary}
	for _, l := range s.cfg.AdvertisedListeners {
		if l.Name == primary.Name || slices.Contains(s.cfg.ControllerListenerNames, l.Name) {
			continue
		}
		if l.Port == 0 {
			l.Port = s.boundPort(l.Name)
		}
		out = append(out, l)
	}
	return out
}

// brokerRegistration is this node's registration for the single-node
// path (a cluster registers through BrokerRegistration instead).
func (s *Server) brokerRegistration(adv config.Listener) metadata.Broker {
	b := metadata.Broker{ID: s.cfg.NodeID, Host: adv.Host, Port: int32(adv.Port), ListenerName: adv.Name,
		Rack: s.cfg.BrokerRack, MetadataDirectoryID: s.dirIDs[0]}
	for _, l := range s.advertisedEndpoints(adv) {
		b.Endpoints = append(b.Endpoints, metadata.Endpoint{Name: l.Name, Host: l.Host, Port: int32(l.Port)})
	}
	return b
}

// raftTransport gives Raft a port shared with the Kafka protocol: the
// controller listener on a voter, the inter-broker listener on a
// broker-only node. A single node without voters needs no port.
func (s *Server) raftTransport(cc *controller.Config) error {
	if len(s.cfg.ControllerQuorumVoters) == 0 {
		return nil
	}
	var name string
	if s.cfg.IsController() {
		for _, l := range s.cfg.Listeners {
			if slices.Contains(s.cfg.ControllerListenerNames, l.Name) {
				name = l.Name
				break
			}
		}
	} else {
		adv, ok := s.clientListener()
		if !ok {
			return errors.New("broker-only node has no inter-broker listener")
		}
		name, cc.NonVoter = adv.Name, true
	}
	if name == "" {
		return errors.New("no controller listener configured (controller.listener.names)")
	}
	m, err := s.listenMux(name)
	if err != nil {
		return err
	}
	cc.RaftListener = m.Raft()
	// Raft dials peers' controller listeners (or, for a non-voter, is
	// dialed on its inter-broker listener): the controller listener's
	// TLS applies.
	dial := s.raftDial
	cc.RaftDial = func(addr string, timeout time.Duration) (net.Conn, error) {
		return network.DialRaft(dial, addr, timeout)
	}
	if cc.NonVoter {
		adv, _ := s.clientListener()
		if adv.Port == 0 {
			adv.Port = m.Addr().(*net.TCPAddr).Port
		}
		cc.AdvertiseAddr = net.JoinHostPort(adv.Host, strconv.Itoa(adv.Port))
	}
	return nil
}

// initDials builds the dialers to other nodes' inter-broker and
// controller listeners.
func (s *Server) initDials() error {
	inter, err := security.DialerFor(s.cfg.ListenerSecurity(s.cfg.InterBrokerListenerName))
	if !s.clustered() {
		// A single node dials no other node, but its transaction
		// coordinator sends WriteTxnMarkers to its own inter-broker
		// listener, with TLS and SASL like any broker. Without usable
		// credentials it still starts (it serves everything but
		// transactions), and says why transactions cannot complete.
		s.ctrlDial, s.raftDial = s.opts.Dial, s.opts.Dial
		if err != nil {
			s.logger.Warn("no inter-broker credentials: transactions cannot complete, their markers cannot reach this node's own inter-broker listener",
				"listener", s.cfg.InterBrokerListenerName, "err", err)
			s.interDial = s.opts.Dial
			return nil
		}
		s.interDial = network.SecureDial(s.opts.Dial, inter.TLS, inter.SASL)
		return nil
	}
	if err != nil {
		return err
	}
	ctrl := inter
	if len(s.cfg.ControllerListenerNames) > 0 {
		if ctrl, err = security.DialerFor(s.cfg.ListenerSecurity(s.cfg.ControllerListenerNames[0])); err != nil {
			return err
		}
	}
	s.interDial = network.SecureDial(s.opts.Dial, inter.TLS, inter.SASL)
	s.ctrlDial = network.SecureDial(s.opts.Dial, ctrl.TLS, ctrl.SASL)
	s.raftDial = network.SecureDial(s.opts.Dial, ctrl.TLS, nil)
	return nil
}

// scramLookup finds SCRAM credentials for SASL listeners in the current
// metadata image (AlterUserScramCredentials writes them there).
func (s *Server) scramLookup() security.ScramLookup { return imageScram{s.ctrl.Image} }

type imageScram struct{ image func() *metadata.Image }

func (i imageScram) ScramCredential(mechanism, user string) (security.ScramCredential, bool) {
	c, ok := i.image().ScramCredential(mechanism, user)
	return security.ScramCredential{Salt: c.Salt, StoredKey: c.StoredKey, ServerKey: c.ServerKey, Iterations: c.Iterations}, ok
}

// listenMux binds listener name as a Raft/Kafka mux and starts routing
// connections; its Kafka side is served once the handler exists.
func (s *Server) listenMux(name string) (*network.Mux, error) {
	for _, l := range s.cfg.Listeners {
		if l.Name != name {
			continue
		}
		m, err := network.ListenMux(name, net.JoinHostPort(l.Host, strconv.Itoa(l.Port)),
			s.logger.With("component", "network", "listener", name))
		if err != nil {
			return nil, err
		}
		sec, err := security.ForListener(s.cfg.ListenerSecurity(name), nil)
		if err != nil {
			m.Close()
			return nil, err
		}
		if sec.TLS != nil {
			m.UseTLS(sec.TLS)
		}
		m.Limit(s.limits)
		m.Serve()
		s.muxes[name] = m
		return m, nil
	}
	return nil, fmt.Errorf("listener %s is not in listeners", name)
}

// connLimits builds the connection limits every listener shares
// (max.connections and friends).
func (s *Server) connLimits() *network.ConnLimits {
	perListener := map[string]int{}
	for name, n := range s.cfg.ListenerMaxConnections {
		perListener[name] = int(n)
	}
	// Controller listeners are never held to the broker-wide limit (Kafka
	// counts them apart). The inter-broker listener is exempt only when
	// clients have a listener of their own, as in Kafka: when it is the
	// only one, exempting it would leave clients unbounded.
	exempt := slices.Clone(s.cfg.ControllerListenerNames)
	clientListeners := 0
	for _, l := range s.cfg.Listeners {
		if !slices.Contains(s.cfg.ControllerListenerNames, l.Name) {
			clientListeners++
		}
	}
	if clientListeners > 1 {
		exempt = append(exempt, s.cfg.InterBrokerListenerName)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return network.NewConnLimits(network.LimitsConfig{
		MaxConnections:  int(s.cfg.MaxConnections),
		ListenerMax:     perListener,
		ExemptListeners: exempt,
		MaxPerIP:        int(s.cfg.MaxConnectionsPerIP),
		PerIPOverrides:  network.ResolveOverrides(ctx, s.cfg.MaxConnectionsPerIPOverrides, s.logger),
	})
}

func (s *Server) startListeners(h *handler.Handler) error {
	limits := s.limits
	for _, l := range s.cfg.Listeners {
		nc := network.Config{
			Name: l.Name, Addr: net.JoinHostPort(l.Host, strconv.Itoa(l.Port)),
			MaxRequestBytes: s.cfg.SocketRequestMaxBytes, Versions: h.Versions(), Handler: s.requests.Wrap(h),
			Logger:              s.logger.With("component", "network", "listener", l.Name),
			SASLMaxReceiveBytes: s.cfg.SaslServerMaxReceiveSize,
			MaxIdle:             time.Duration(s.cfg.ConnectionsMaxIdleMs) * time.Millisecond,
			FailedAuthDelay:     time.Duration(s.cfg.ConnectionFailedAuthenticationDelayMs) * time.Millisecond,
			Limits:              limits,
		}
		sec, err := security.ForListener(s.cfg.ListenerSecurity(l.Name), s.scramLookup())
		if err != nil {
			return err
		}
		nc.TLS, nc.PrincipalMapper, nc.SASL = sec.TLS, sec.Mapper, sec.SASL
		nc.MaxReauthMs = s.cfg.ConnectionsMaxReauthMs
		isCtrl := slices.Contains(s.cfg.ControllerListenerNames, l.Name)
		var nl *network.Listener
		if m, ok := s.muxes[l.Name]; ok {
			nc.TLS = nil                // the Mux does the TLS handshake
			nc.IPCountedUpstream = true // and counts max.connections.per.ip
			nl = network.NewListener(nc, m.Kafka())
		} else if isCtrl {
			continue // a single node's controller listener: nothing to serve
		} else {
			var err error
			if nl, err = network.Listen(nc); err != nil {
				return err
			}
		}
		nl.Serve()
		if isCtrl {
			s.ctrlListeners = append(s.ctrlListeners, nl)
			continue
		}
		s.listeners = append(s.listeners, nl)
		s.listenerNames = append(s.listenerNames, l.Name)
	}
	if len(s.listeners) == 0 && s.brokerRole() {
		return errors.New("no client listener configured (listeners has only controller listeners)")
	}
	return nil
}

func (s *Server) boundPort(name string) int {
	if m, ok := s.muxes[name]; ok {
		return m.Addr().(*net.TCPAddr).Port
	}
	for i, l := range s.listeners {
		if s.listenerNames[i] == name {
			return l.Addr().(*net.TCPAddr).Port
		}
	}
	return 0
}

func (s *Server) listenerAddrs() []string {
	var out []string
	for _, l := range s.listeners {
		out = append(out, l.Addr().String())
	}
	return out
}

// Addrs are the bound client listener addresses.
func (s *Server) Addrs() []net.Addr {
	var out []net.Addr
	for _, l := range s.listeners {
		out = append(out, l.Addr())
	}
	return out
}

// Close stops listeners first (no new work), then the metadata loop, the
// group coordinator (it writes to partitions), partitions (logs flushed and
// checkpointed), then the controller.
func (s *Server) Close() error {
	s.logger.Info("shutting down", "node", s.cfg.NodeID)
	defer s.logger.Info("shut down", "node", s.cfg.NodeID)
	s.ready.Store(false)
	s.cluster.shutdown() // leadership moves away while we still serve
	if s.link != nil {
		s.link.close()
	}
	var errs []error
	for _, l := range slices.Concat(s.listeners, s.ctrlListeners) {
		errs = append(errs, l.Close())
	}
	s.cancel()
	s.wg.Wait()
	errs = append(errs, s.closeTxn())
	if s.groups != nil {
		errs = append(errs, s.groups.Close())
	}
	if s.parts != nil {
		err := s.parts.Close()
		if epoch := s.link.brokerEpoch(); err == nil && s.brokerRole() && epoch >= 0 {
			err = writeCleanShutdownEpoch(s.metadataDir(), epoch)
		}
		errs = append(errs, err)
	}
	if s.ctrl != nil {
		errs = append(errs, s.ctrl.Close())
	}
	for _, m := range s.muxes { // after Raft, which accepts through them
		errs = append(errs, m.Close())
	}
	if s.metrics != nil {
		errs = append(errs, s.metrics.Close())
	}
	for _, l := range s.dirLocks { // last: nothing in the dirs is open any more
		errs = append(errs, l.Release())
	}
	s.dirLocks = nil
	return errors.Join(errs...)
}
