package config

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Validate checks the configuration and returns every problem found, joined
// with errors.Join. Each problem is a *ValueError naming the key, the value
// and what is allowed.
func (b *Broker) Validate() error { return errors.Join(b.problems(nil)...) }

// failedKeys returns the keys named by errs, whose values could not be
// parsed; problems skips them rather than report the default in their place.
func failedKeys(errs []error) map[string]bool {
	keys := map[string]bool{}
	for _, err := range errs {
		if ve, ok := errors.AsType[*ValueError](err); ok {
			keys[ve.Key] = true
		}
	}
	return keys
}

// checker gathers problems, skipping keys already reported.
type checker struct {
	b    *Broker
	skip map[string]bool
	errs []error
}

func (c *checker) fail(key, value, allowed string) {
	if !c.skip[key] {
		c.errs = append(c.errs, &ValueError{Where: c.b.origin[key], Key: key, Value: value, Allowed: allowed})
	}
}

func (c *checker) min(key string, n, lo int64) {
	if bad := atLeast(n, lo); bad != "" {
		c.fail(key, strconv.FormatInt(n, 10), bad)
	}
}

func (b *Broker) problems(skip map[string]bool) []error {
	c := &checker{b: b, skip: skip}
	c.identity()
	c.listeners()
	c.controller()
	c.numbers()
	c.shareGroups()
	c.consumerGroups()
	c.enums()
	c.security()
	return c.errs
}

func (c *checker) identity() {
	b := c.b
	c.min("node.id", int64(b.NodeID), 0)
	roles := strings.Join(b.ProcessRoles, ",")
	if len(b.ProcessRoles) == 0 {
		c.fail("process.roles", roles, `must list "broker", "controller" or both`)
	}
	for _, r := range b.ProcessRoles {
		if r != "broker" && r != "controller" {
			c.fail("process.roles", roles, `must list "broker", "controller" or both`)
			break
		}
	}
	if b.IsController() && !b.IsBroker() && len(b.ControllerQuorumVoters) == 0 {
		// A controller-only node serves no clients; alone it would be a
		// cluster with no brokers.
		c.fail("process.roles", roles, "a controller-only node needs controller.quorum.voters")
	}
	if len(b.LogDirs) == 0 || slices.Contains(b.LogDirs, "") {
		c.fail("log.dirs", strings.Join(b.LogDirs, ","), "must list at least one directory")
	}
	if b.MetadataLogDir == "" && len(b.LogDirs) > 0 {
		c.fail("metadata.log.dir", "", "must name a directory")
	}
	if b.ClusterID != "" && !isClusterID(b.ClusterID) {
		c.fail("cluster.id", b.ClusterID, "must contain only letters, digits, '-' and '_'")
	}
	if m := b.MetricsListener; m != "" {
		u, err := url.Parse(m)
		if err != nil || u.Scheme != "http" || u.Port() == "" || (u.Path != "" && u.Path != "/") {
			c.fail("metrics.listener", m, `must be "" (off) or http://host:port, e.g. "http://localhost:9644"`)
		}
	}
}

func isClusterID(s string) bool {
	for _, r := range s {
		if r != '-' && r != '_' && !('0' <= r && r <= '9') && !('a' <= r && r <= 'z') && !('A' <= r && r <= 'Z') {
			return false
		}
	}
	return true
}

var securityProtocols = []string{"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}

func (c *checker) listeners() {
	b := c.b
	all := listenersText(b.Listeners)
	if b.IsBroker() && len(b.Listeners) == 0 {
		c.fail("listeners", all, "must list at least one listener for a broker")
	}
	if b.IsController() && !b.IsBroker() {
		// As Kafka: a controller-only node binds only its controller
		// listeners; it has no client or inter-broker listener.
		for _, l := range b.Listeners {
			if !slices.Contains(b.ControllerListenerNames, l.Name) {
				c.fail("listeners", all, "a controller-only node (process.roles=controller) must list only controller listeners (controller.listener.names); "+l.Name+" is not one")
			}
		}
	}
	if b.IsBroker() && len(b.Listeners) > 0 && !slices.ContainsFunc(b.Listeners, func(l Listener) bool {
		return !slices.Contains(b.ControllerListenerNames, l.Name)
	}) {
		c.fail("listeners", all, "a broker needs a listener that is not a controller listener")
	}
	names := map[string]bool{}
	ports := map[string]bool{}
	for _, l := range b.Listeners {
		if names[l.Name] {
			c.fail("listeners", all, "listener name "+l.Name+" appears twice")
		}
		names[l.Name] = true
		if addr := l.Addr(); l.Port != 0 && ports[addr] {
			c.fail("listeners", all, "address "+addr+" appears twice")
		}
		ports[l.Addr()] = true
		proto := b.protocol(l.Name)
		if !slices.Contains(securityProtocols, proto) {
			c.fail("listener.security.protocol.map", mapText(b.ListenerSecurityProtocolMap),
				"must map listener "+l.Name+" to one of "+strings.Join(securityProtocols, ", "))
		}
	}
	adv := listenersText(b.AdvertisedListeners)
	for _, l := range b.AdvertisedListeners {
		if !names[l.Name] {
			c.fail("advertised.listeners", adv, "listener "+l.Name+" is not in listeners")
		}
		if l.Host == "0.0.0.0" || l.Host == "::" {
			c.fail("advertised.listeners", adv, "cannot advertise the non-routable address "+l.Host+"; set advertised.listeners")
		}
	}
	if ib := b.InterBrokerListenerName; b.IsBroker() && len(names) > 0 && !names[ib] {
		c.fail("inter.broker.listener.name", ib, "must name one of listeners ("+all+")")
	}
}

// protocol returns a listener's security protocol: its mapping, or its own
// name when that is a protocol.
func (b *Broker) protocol(name string) string {
	if p, ok := b.ListenerSecurityProtocolMap[name]; ok {
		return p
	}
	return name
}

func (c *checker) controller() {
	b := c.b
	voters := votersText(b.ControllerQuorumVoters)
	ids := map[int32]bool{}
	for _, v := range b.ControllerQuorumVoters {
		if ids[v.ID] {
			c.fail("controller.quorum.voters", voters, "voter id "+itoa(v.ID)+" appears twice")
		}
		ids[v.ID] = true
	}
	if len(ids) > 0 && b.IsController() && !ids[b.NodeID] {
		c.fail("controller.quorum.voters", voters, "must include this controller's node.id "+itoa(b.NodeID))
	}
	names := strings.Join(b.ControllerListenerNames, ",")
	if len(ids) > 0 && len(b.ControllerListenerNames) == 0 {
		c.fail("controller.listener.names", names, "must name the controller listener when controller.quorum.voters is set")
	}
	for _, n := range b.ControllerListenerNames {
		_, listed := b.listener(n)
		switch {
		case b.IsController() && !listed:
			c.fail("controller.listener.names", names, "listener "+n+" is not in listeners")
		case !b.IsController() && listed:
			c.fail("controller.listener.names", names, "a broker-only node must not listen on controller listener "+n)
		case n == b.InterBrokerListenerName && b.IsBroker():
			c.fail("inter.broker.listener.name", n, "must not be a controller listener")
		}
	}
}

func (b *Broker) listener(name string) (Listener, bool) {
	for _, l := range b.Listeners {
		if l.Name == name {
			return l, true
		}
	}
	return Listener{}, false
}

func (c *checker) numbers() {
	b := c.b
	c.min("num.partitions", int64(b.NumPartitions), 1)
	c.min("default.replication.factor", int64(b.DefaultReplicationFactor), 1)
	c.min("min.insync.replicas", int64(b.MinInsyncReplicas), 1)
	c.min("socket.request.max.bytes", int64(b.SocketRequestMaxBytes), 1)
	c.min("message.max.bytes", int64(b.MessageMaxBytes), 0)
	c.min("num.network.threads", int64(b.NumNetworkThreads), 1)
	c.min("num.io.threads", int64(b.NumIoThreads), 1)
	c.connectionBounds()
	c.min("log.segment.bytes", b.LogSegmentBytes, 14)
	if b.LogSegmentBytes > 1<<31-1 {
		c.fail("log.segment.bytes", itoa(b.LogSegmentBytes), "must be at most 2147483647")
	}
	c.min("log.roll.ms", b.LogRollMs, 1)
	c.min("log.retention.ms", b.LogRetentionMs, -1)
	c.min("log.retention.bytes", b.LogRetentionBytes, -1)
	c.min("log.retention.check.interval.ms", b.LogRetentionCheckIntervalMs, 1)
	c.min("log.cleaner.backoff.ms", b.LogCleanerBackoffMs, 1)
	c.min("log.cleaner.threads", int64(b.LogCleanerThreads), 1)
	c.min("offsets.topic.segment.bytes", b.OffsetsTopicSegmentBytes, 14)
	c.min("log.cleaner.dedupe.buffer.size", b.LogCleanerDedupeBufferSize, 1<<20)
	c.min("log.flush.interval.messages", b.LogFlushIntervalMessages, 1)
	c.min("log.flush.interval.ms", b.LogFlushIntervalMs, -1)
	c.min("log.index.interval.bytes", int64(b.LogIndexIntervalBytes), 0)
	c.min("log.segment.delete.delay.ms", b.LogSegmentDeleteDelayMs, 0)
	c.min("offsets.topic.num.partitions", int64(b.OffsetsTopicNumPartitions), 1)
	c.min("offsets.topic.replication.factor", int64(b.OffsetsTopicReplicationFactor), 1)
	c.min("offsets.retention.minutes", b.OffsetsRetentionMs/minuteMs, 1)
	c.min("group.initial.rebalance.delay.ms", b.GroupInitialRebalanceDelayMs, 0)
	c.min("group.min.session.timeout.ms", b.GroupMinSessionTimeoutMs, 0)
	if b.GroupMaxSessionTimeoutMs < b.GroupMinSessionTimeoutMs {
		c.fail("group.max.session.timeout.ms", itoa(b.GroupMaxSessionTimeoutMs),
			"must be at least group.min.session.timeout.ms ("+itoa(b.GroupMinSessionTimeoutMs)+")")
	}
	c.min("transaction.state.log.num.partitions", int64(b.TransactionStateLogNumPartitions), 1)
	c.min("transaction.state.log.replication.factor", int64(b.TransactionStateLogReplicationFactor), 1)
	c.min("transaction.state.log.min.isr", int64(b.TransactionStateLogMinIsr), 1)
	c.min("transaction.max.timeout.ms", b.TransactionMaxTimeoutMs, 1)
	c.min("transactional.id.expiration.ms", b.TransactionalIdExpirationMs, 1)
	c.min("transaction.abort.timed.out.transaction.cleanup.interval.ms", b.TransactionAbortCleanupIntervalMs, 1)
	c.min("transaction.remove.expired.transaction.cleanup.interval.ms", b.TransactionRemoveExpiredIntervalMs, 1)
	c.min("producer.id.expiration.ms", b.ProducerIDExpirationMs, 1)
	c.min("producer.id.expiration.check.interval.ms", b.ProducerIDExpirationCheckIntervalMs, 1)
	c.min("replica.lag.time.max.ms", b.ReplicaLagTimeMaxMs, 1)
	c.min("broker.session.timeout.ms", b.BrokerSessionTimeoutMs, 1)
	c.min("broker.heartbeat.interval.ms", b.BrokerHeartbeatIntervalMs, 1)
	c.min("leader.imbalance.check.interval.seconds", b.LeaderImbalanceCheckIntervalSeconds, 1)
	c.min("leader.imbalance.per.broker.percentage", int64(b.LeaderImbalancePerBrokerPercentage), 0)
	if b.BrokerSessionTimeoutMs >= 1 && b.BrokerHeartbeatIntervalMs >= b.BrokerSessionTimeoutMs {
		c.fail("broker.heartbeat.interval.ms", itoa(b.BrokerHeartbeatIntervalMs),
			"must be less than broker.session.timeout.ms ("+itoa(b.BrokerSessionTimeoutMs)+")")
	}
}

// connectionBounds checks the connection limits as Kafka's KafkaConfig
// does.
func (c *checker) connectionBounds() {
	b := c.b
	c.min("sasl.server.max.receive.size", int64(b.SaslServerMaxReceiveSize), 1)
	c.min("connections.max.idle.ms", b.ConnectionsMaxIdleMs, 1)
	c.min("connection.failed.authentication.delay.ms", b.ConnectionFailedAuthenticationDelayMs, 0)
	if b.ConnectionsMaxIdleMs >= 1 && b.ConnectionFailedAuthenticationDelayMs >= b.ConnectionsMaxIdleMs {
		c.fail("connection.failed.authentication.delay.ms", itoa(b.ConnectionFailedAuthenticationDelayMs),
			"must be less than connections.max.idle.ms ("+itoa(b.ConnectionsMaxIdleMs)+")")
	}
	c.min("max.connections.per.ip", int64(b.MaxConnectionsPerIP), 0)
	if b.MaxConnectionsPerIP == 0 && len(b.MaxConnectionsPerIPOverrides) == 0 {
		c.fail("max.connections.per.ip", "0", "may be 0 only when max.connections.per.ip.overrides is set")
	}
	c.min("max.connections", int64(b.MaxConnections), 0)
	for name, n := range b.ListenerMaxConnections {
		key := "listener.name." + strings.ToLower(name) + ".max.connections"
		c.min(key, int64(n), 0)
		if _, ok := b.listener(name); !ok {
			c.fail(key, itoa(n), "names listener "+name+", which is not in listeners")
		}
	}
}

func (c *checker) enums() {
	b := c.b
	if bad := oneOf(b.CompressionType, compressionTypes...); bad != "" {
		c.fail("compression.type", b.CompressionType, bad)
	}
	if bad := oneOf(b.LogMessageTimestampType, timestampTypes...); bad != "" {
		c.fail("log.message.timestamp.type", b.LogMessageTimestampType, bad)
	}
	if p, bad := normalizeCleanupPolicy(b.LogCleanupPolicy); bad != "" || p != b.LogCleanupPolicy {
		c.fail("log.cleanup.policy", b.LogCleanupPolicy, `must be "delete", "compact" or "compact,delete"`)
	}
}

func listenersText(ls []Listener) string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = l.String()
	}
	return strings.Join(s, ",")
}

func votersText(vs []Voter) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = itoa(v.ID) + "@" + v.Addr()
	}
	return strings.Join(s, ",")
}

func mapText(m map[string]string) string {
	s := make([]string, 0, len(m))
	for k, v := range m {
		s = append(s, k+":"+v)
	}
	slices.Sort(s)
	return strings.Join(s, ",")
}
