package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
)

// Broker is a node's configuration, with Kafka's key names (in the field
// comments) and Kafka's defaults (see Default).
type Broker struct {
	NodeID                      int32             // node.id, or its alias broker.id
	BrokerRack                  string            // broker.rack: replica placement spreads partitions over racks
	ProcessRoles                []string          // process.roles: "broker", "controller" or both
	Listeners                   []Listener        // listeners
	AdvertisedListeners         []Listener        // advertised.listeners; defaults to listeners, host "" as "localhost"
	ListenerSecurityProtocolMap map[string]string // listener.security.protocol.map: listener name -> protocol
	InterBrokerListenerName     string            // inter.broker.listener.name
	ControllerListenerNames     []string          // controller.listener.names
	// ControllerQuorumVoters is controller.quorum.voters. When it is empty a
	// node with the controller role is the only voter of its own quorum.
	ControllerQuorumVoters []Voter

	LogDirs        []string // log.dirs (comma list), or log.dir
	MetadataLogDir string   // metadata.log.dir; defaults to the first log dir

	NumPartitions            int32 // num.partitions
	DefaultReplicationFactor int16 // default.replication.factor
	MinInsyncReplicas        int16 // min.insync.replicas
	AutoCreateTopicsEnable   bool  // auto.create.topics.enable
	DeleteTopicEnable        bool  // delete.topic.enable

	SocketRequestMaxBytes int32 // socket.request.max.bytes
	MessageMaxBytes       int32 // message.max.bytes
	NumNetworkThreads     int   // num.network.threads (a hint)
	NumIoThreads          int   // num.io.threads (a hint)

	// Bounds on what a client can make the broker hold (Kafka's names and
	// defaults; docs/configuration.md, Requests and network).
	SaslServerMaxReceiveSize int32 // sasl.server.max.receive.size: largest frame before SASL authentication completes
	ConnectionsMaxIdleMs     int64 // connections.max.idle.ms: a connection silent this long is closed
	// ConnectionFailedAuthenticationDelayMs is
	// connection.failed.authentication.delay.ms: how long a failed
	// authentication's answer and close are held back.
	ConnectionFailedAuthenticationDelayMs int64
	MaxConnectionsPerIP                   int32            // max.connections.per.ip
	MaxConnectionsPerIPOverrides          map[string]int32 // max.connections.per.ip.overrides: host or IP -> limit
	MaxConnections                        int32            // max.connections: every listener together
	// ListenerMaxConnections holds listener.name.<name>.max.connections,
	// by upper-case listener name; a listener without one is unlimited.
	ListenerMaxConnections map[string]int32

	LogSegmentBytes             int64  // log.segment.bytes
	LogRollMs                   int64  // log.roll.ms, or log.roll.hours
	LogRetentionMs              int64  // log.retention.ms > .minutes > .hours; -1 = unlimited
	LogRetentionBytes           int64  // log.retention.bytes; -1 = unlimited
	LogRetentionCheckIntervalMs int64  // log.retention.check.interval.ms
	OffsetsTopicSegmentBytes    int64  // offsets.topic.segment.bytes
	LogCleanerEnable            bool   // log.cleaner.enable
	LogCleanerBackoffMs         int64  // log.cleaner.backoff.ms
	LogCleanerThreads           int32  // log.cleaner.threads
	LogCleanerDedupeBufferSize  int64  // log.cleaner.dedupe.buffer.size
	LogFlushIntervalMessages    int64  // log.flush.interval.messages
	LogFlushIntervalMs          int64  // log.flush.interval.ms; -1 = unset: never flush by time
	LogIndexIntervalBytes       int32  // log.index.interval.bytes
	LogCleanupPolicy            string // log.cleanup.policy: "delete", "compact" or "compact,delete"
	LogMessageTimestampType     string // log.message.timestamp.type
	CompressionType             string // compression.type
	LogSegmentDeleteDelayMs     int64  // log.segment.delete.delay.ms

	OffsetsTopicNumPartitions     int32 // offsets.topic.num.partitions
	OffsetsTopicReplicationFactor int16 // offsets.topic.replication.factor
	OffsetsRetentionMs            int64 // offsets.retention.minutes, in ms
	GroupInitialRebalanceDelayMs  int64 // group.initial.rebalance.delay.ms
	GroupMinSessionTimeoutMs      int64 // group.min.session.timeout.ms
	GroupMaxSessionTimeoutMs      int64 // group.max.session.timeout.ms

	ShareGroups ShareGroups // group.share.* (share_groups.go)
	// ConsumerGroups are the group.consumer.* settings (consumer_groups.go).
	ConsumerGroups ConsumerGroups

	TransactionStateLogNumPartitions     int32 // transaction.state.log.num.partitions
	TransactionStateLogReplicationFactor int16 // transaction.state.log.replication.factor
	TransactionStateLogMinIsr            int16 // transaction.state.log.min.isr
	TransactionMaxTimeoutMs              int64 // transaction.max.timeout.ms
	TransactionalIdExpirationMs          int64 // transactional.id.expiration.ms
	TransactionAbortCleanupIntervalMs    int64 // transaction.abort.timed.out.transaction.cleanup.interval.ms
	TransactionRemoveExpiredIntervalMs   int64 // transaction.remove.expired.transaction.cleanup.interval.ms
	ProducerIDExpirationMs               int64 // producer.id.expiration.ms
	ProducerIDExpirationCheckIntervalMs  int64 // producer.id.expiration.check.interval.ms

	ReplicaLagTimeMaxMs       int64 // replica.lag.time.max.ms
	BrokerSessionTimeoutMs    int64 // broker.session.timeout.ms
	BrokerHeartbeatIntervalMs int64 // broker.heartbeat.interval.ms

	AutoLeaderRebalanceEnable           bool  // auto.leader.rebalance.enable
	LeaderImbalanceCheckIntervalSeconds int64 // leader.imbalance.check.interval.seconds
	LeaderImbalancePerBrokerPercentage  int32 // leader.imbalance.per.broker.percentage

	// ConnectionsMaxReauthMs is connections.max.reauth.ms: the longest a
	// SASL session lasts before the client must re-authenticate (KIP-368);
	// 0 = forever. Per-listener security settings: ListenerSecurity.
	ConnectionsMaxReauthMs int64

	Authz Authz       // authorizer.class.name, super.users, allow.everyone.if.no.acl.found (authz.go)
	Quota QuotaConfig // quota.window.num, quota.window.size.seconds (authz.go)

	ClusterID       string // cluster.id (Samsa): when empty, generated at first start
	MetricsListener string // metrics.listener (Samsa), e.g. "http://localhost:9644"; "" = off
	MetricsPprof    bool   // metrics.pprof.enable (Samsa): Go's /debug/pprof on the metrics listener

	// Raw holds every key as given, after overrides.
	Raw map[string]string

	// origin maps a key to where it was set ("file:line" or "override").
	origin map[string]string
	// extra holds checked broker keys that only supply topic defaults
	// (log.cleaner.delete.retention.ms, log.preallocate, ...).
	extra map[string]string
}

// Default returns the configuration Kafka would use for an empty
// server.properties: node 1 with both roles, listening on PLAINTEXT://:9092.
func Default() *Broker {
	listeners := []Listener{{Name: "PLAINTEXT", Port: 9092}}
	return &Broker{
		NodeID:                                1,
		ProcessRoles:                          []string{"broker", "controller"},
		Listeners:                             listeners,
		AdvertisedListeners:                   advertise(listeners),
		ListenerSecurityProtocolMap:           defaultProtocolMap(),
		InterBrokerListenerName:               "PLAINTEXT",
		LogDirs:                               []string{"/tmp/kafka-logs"},
		MetadataLogDir:                        "/tmp/kafka-logs",
		NumPartitions:                         1,
		DefaultReplicationFactor:              1,
		MinInsyncReplicas:                     1,
		AutoCreateTopicsEnable:                true,
		DeleteTopicEnable:                     true,
		SocketRequestMaxBytes:                 104857600,
		MessageMaxBytes:                       1048588,
		NumNetworkThreads:                     3,
		NumIoThreads:                          8,
		SaslServerMaxReceiveSize:              524288,
		ConnectionsMaxIdleMs:                  600000,
		ConnectionFailedAuthenticationDelayMs: 100,
		MaxConnectionsPerIP:                   math.MaxInt32,
		MaxConnections:                        math.MaxInt32,
		LogSegmentBytes:                       1 << 30,
		LogRollMs:                             168 * hourMs,
		LogRetentionMs:                        168 * hourMs,
		LogRetentionBytes:                     -1,
		LogRetentionCheckIntervalMs:           300000,
		OffsetsTopicSegmentBytes:              104857600,
		LogCleanerEnable:                      true,
		LogCleanerBackoffMs:                   15000,
		LogCleanerThreads:                     1,
		LogCleanerDedupeBufferSize:            134217728,
		LogFlushIntervalMessages:              math.MaxInt64,
		LogFlushIntervalMs:                    -1,
		LogIndexIntervalBytes:                 4096,
		LogCleanupPolicy:                      "delete",
		LogMessageTimestampType:               "CreateTime",
		CompressionType:                       "producer",
		LogSegmentDeleteDelayMs:               60000,
		OffsetsTopicNumPartitions:             50,
		OffsetsTopicReplicationFactor:         3,
		OffsetsRetentionMs:                    7 * 24 * hourMs,
		GroupInitialRebalanceDelayMs:          3000,
		GroupMinSessionTimeoutMs:              6000,
		GroupMaxSessionTimeoutMs:              1800000,
		ShareGroups:                           defaultShareGroups(),
		ConsumerGroups:                        defaultConsumerGroups(),
		TransactionStateLogNumPartitions:      50,
		TransactionStateLogReplicationFactor:  3,
		TransactionStateLogMinIsr:             2,
		TransactionMaxTimeoutMs:               900000,
		TransactionalIdExpirationMs:           7 * 24 * hourMs,
		TransactionAbortCleanupIntervalMs:     10000,
		TransactionRemoveExpiredIntervalMs:    hourMs,
		ProducerIDExpirationMs:                24 * hourMs,
		ProducerIDExpirationCheckIntervalMs:   600000,
		ReplicaLagTimeMaxMs:                   30000,
		BrokerSessionTimeoutMs:                9000,
		BrokerHeartbeatIntervalMs:             2000,
		AutoLeaderRebalanceEnable:             true,
		LeaderImbalanceCheckIntervalSeconds:   300,
		LeaderImbalancePerBrokerPercentage:    10,
		Quota:                                 QuotaConfig{WindowNum: 11, WindowSizeSeconds: 1},
		Raw:                                   map[string]string{},
	}
}

const (
	minuteMs = 60 * 1000
	hourMs   = 60 * minuteMs
)

func defaultProtocolMap() map[string]string {
	return map[string]string{
		"CONTROLLER": "PLAINTEXT", "PLAINTEXT": "PLAINTEXT", "SSL": "SSL",
		"SASL_PLAINTEXT": "SASL_PLAINTEXT", "SASL_SSL": "SASL_SSL",
	}
}

// advertise derives advertised listeners from listeners: an empty host
// (all interfaces) is advertised as "localhost".
func advertise(ls []Listener) []Listener {
	out := slices.Clone(ls)
	for i := range out {
		if out[i].Host == "" {
			out[i].Host = "localhost"
		}
	}
	return out
}

// Load reads a server.properties file, applies overrides ("key=value", later
// ones win) and validates the result. It returns the keys it ignored, sorted:
// keys Kafka knows that Samsa does not use, and unknown keys. The error joins
// every problem found; the Broker is nil when there is one.
func Load(path string, overrides []string) (*Broker, []string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(data, path, overrides)
}

// Parse is Load for data already read; source names it in error messages.
func Parse(data []byte, source string, overrides []string) (*Broker, []string, error) {
	props, err := ParseProperties(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", source, err)
	}
	raw := make(map[string]string, len(props)+len(overrides))
	origin := make(map[string]string, len(props)+len(overrides))
	for _, p := range props {
		raw[p.Key] = p.Value
		origin[p.Key] = fmt.Sprintf("%s:%d", source, p.Line)
	}
	var errs []error
	for _, o := range overrides {
		k, v, ok := strings.Cut(o, "=")
		if k = strings.TrimSpace(k); !ok || k == "" {
			errs = append(errs, fmt.Errorf("override %q: want key=value", o))
			continue
		}
		raw[k] = v
		origin[k] = "override"
	}
	b, ignored, fillErrs := fromRaw(raw, origin)
	errs = append(errs, fillErrs...)
	errs = append(errs, b.problems(failedKeys(fillErrs))...)
	if err := errors.Join(errs...); err != nil {
		return nil, ignored, err
	}
	return b, ignored, nil
}

// AdvertisedListener returns the advertised listener with the given name
// (case-insensitive).
func (b *Broker) AdvertisedListener(name string) (Listener, bool) {
	for _, l := range b.AdvertisedListeners {
		if strings.EqualFold(l.Name, name) {
			return l, true
		}
	}
	return Listener{}, false
}

// IsController reports whether process.roles includes "controller".
func (b *Broker) IsController() bool { return slices.Contains(b.ProcessRoles, "controller") }

// IsBroker reports whether process.roles includes "broker".
func (b *Broker) IsBroker() bool { return slices.Contains(b.ProcessRoles, "broker") }
