package config

import (
	"errors"
	"math"
	"slices"
	"strings"
)

// reader turns raw key/values into Broker fields, remembering which keys it
// used and every value it could not parse.
type reader struct {
	raw    map[string]string
	origin map[string]string
	used   map[string]bool
	errs   []error
}

// fromRaw builds a Broker from raw keys over Default. It returns the keys it
// did not use, sorted, and one error per value it could not parse; range
// checks are left to Validate.
func fromRaw(raw, origin map[string]string) (*Broker, []string, []error) {
	b := Default()
	b.Raw, b.origin, b.extra = raw, origin, map[string]string{}
	r := &reader{raw: raw, origin: origin, used: map[string]bool{}}
	r.identity(b)
	r.network(b)
	r.storage(b)
	r.logTimes(b)
	r.coordination(b)
	r.topicDefaults(b)
	r.security(b)
	r.authz(b)
	var ignored []string
	for k := range raw {
		if !r.used[k] {
			ignored = append(ignored, k)
		}
	}
	slices.Sort(ignored)
	return b, ignored, r.errs
}

// get returns a key's value and marks the key used.
func (r *reader) get(key string) (string, bool) {
	v, ok := r.raw[key]
	if ok {
		r.used[key] = true
	}
	return v, ok
}

func (r *reader) fail(key, value, allowed string) {
	r.errs = append(r.errs, &ValueError{Where: r.origin[key], Key: key, Value: value, Allowed: allowed})
}

// failErr records err, adding the source location to a *ValueError.
func (r *reader) failErr(err error) {
	if ve, ok := errors.AsType[*ValueError](err); ok {
		ve.Where = r.origin[ve.Key]
	}
	r.errs = append(r.errs, err)
}

func (r *reader) str(key string, dst *string) bool {
	v, ok := r.get(key)
	if ok {
		*dst = strings.TrimSpace(v)
	}
	return ok
}

func (r *reader) list(key string, dst *[]string) bool {
	v, ok := r.get(key)
	if ok {
		*dst = splitList(v)
	}
	return ok
}

func (r *reader) boolean(key string, dst *bool) {
	if v, ok := r.get(key); ok {
		if b, bad := parseBool(v); bad != "" {
			r.fail(key, v, bad)
		} else {
			*dst = b
		}
	}
}

// readInt parses key into dst, which bounds the value's size.
func readInt[T ~int | ~int16 | ~int32 | ~int64](r *reader, key string, dst *T) bool {
	v, ok := r.get(key)
	if !ok {
		return false
	}
	bits := 64
	switch any(*dst).(type) {
	case int16:
		bits = 16
	case int32:
		bits = 32
	}
	n, bad := parseInt(v, bits)
	if bad != "" {
		r.fail(key, v, bad)
		return false
	}
	*dst = T(n)
	return true
}

func (r *reader) identity(b *Broker) {
	var nodeID, brokerID int32
	hasNode := readInt(r, "node.id", &nodeID)
	hasBroker := readInt(r, "broker.id", &brokerID)
	switch {
	case hasNode && hasBroker && nodeID != brokerID:
		r.fail("node.id", r.raw["node.id"], "must equal broker.id ("+itoa(brokerID)+") when both are set")
	case hasNode:
		b.NodeID = nodeID
	case hasBroker:
		b.NodeID = brokerID
	}
	var roles []string
	if r.list("process.roles", &roles) && len(roles) > 0 {
		b.ProcessRoles = slices.Compact(slices.Sorted(slices.Values(roles)))
	}
	r.str("cluster.id", &b.ClusterID)
	r.str("broker.rack", &b.BrokerRack)
	r.str("metrics.listener", &b.MetricsListener)
	r.boolean("metrics.pprof.enable", &b.MetricsPprof)
}

func (r *reader) network(b *Broker) {
	if v, ok := r.get("listeners"); ok {
		ls, err := parseListeners("listeners", v)
		if err != nil {
			r.failErr(err)
		} else {
			b.Listeners = ls
		}
	}
	b.AdvertisedListeners = advertise(b.Listeners)
	if v, ok := r.get("advertised.listeners"); ok && strings.TrimSpace(v) != "" {
		ls, err := parseListeners("advertised.listeners", v)
		if err != nil {
			r.failErr(err)
		} else {
			b.AdvertisedListeners = ls
		}
	}
	if v, ok := r.get("listener.security.protocol.map"); ok {
		r.protocolMap(b, v)
	}
	var proto string
	if r.str("security.inter.broker.protocol", &proto) && proto != "" {
		b.InterBrokerListenerName = strings.ToUpper(proto)
	}
	if r.str("inter.broker.listener.name", &b.InterBrokerListenerName) {
		b.InterBrokerListenerName = strings.ToUpper(b.InterBrokerListenerName)
	}
	if r.list("controller.listener.names", &b.ControllerListenerNames) {
		for i, n := range b.ControllerListenerNames {
			b.ControllerListenerNames[i] = strings.ToUpper(n)
		}
	}
	if v, ok := r.get("controller.quorum.voters"); ok {
		vs, err := parseVoters("controller.quorum.voters", v)
		if err != nil {
			r.failErr(err)
		} else {
			b.ControllerQuorumVoters = vs
		}
	}
	readInt(r, "socket.request.max.bytes", &b.SocketRequestMaxBytes)
	readInt(r, "message.max.bytes", &b.MessageMaxBytes)
	readInt(r, "num.network.threads", &b.NumNetworkThreads)
	readInt(r, "num.io.threads", &b.NumIoThreads)
	r.connectionBounds(b)
}

// connectionBounds reads the limits on connections and on what an
// unauthenticated or idle connection may hold.
func (r *reader) connectionBounds(b *Broker) {
	readInt(r, "sasl.server.max.receive.size", &b.SaslServerMaxReceiveSize)
	readInt(r, "connections.max.idle.ms", &b.ConnectionsMaxIdleMs)
	readInt(r, "connection.failed.authentication.delay.ms", &b.ConnectionFailedAuthenticationDelayMs)
	readInt(r, "max.connections.per.ip", &b.MaxConnectionsPerIP)
	readInt(r, "max.connections", &b.MaxConnections)
	if v, ok := r.get("max.connections.per.ip.overrides"); ok {
		m, err := parseConnectionOverrides("max.connections.per.ip.overrides", v)
		if err != nil {
			r.failErr(err)
		} else {
			b.MaxConnectionsPerIPOverrides = m
		}
	}
	for k := range r.raw {
		rest, ok := strings.CutPrefix(k, "listener.name.")
		if !ok {
			continue
		}
		name, ok := strings.CutSuffix(rest, ".max.connections")
		if !ok || strings.Contains(name, ".") {
			continue
		}
		var n int32
		if readInt(r, k, &n) {
			if b.ListenerMaxConnections == nil {
				b.ListenerMaxConnections = map[string]int32{}
			}
			b.ListenerMaxConnections[strings.ToUpper(name)] = n
		}
	}
}

// parseConnectionOverrides parses "host:n,ip:n,...". The last colon
// splits, so an IPv6 address may stand unbracketed.
func parseConnectionOverrides(key, v string) (map[string]int32, error) {
	m := map[string]int32{}
	for _, item := range splitList(v) {
		i := strings.LastIndex(item, ":")
		if i <= 0 {
			return nil, &ValueError{Key: key, Value: v, Allowed: `must be a comma-separated list of host:limit, e.g. "hostName:100,127.0.0.1:200"`}
		}
		host := strings.Trim(strings.TrimSpace(item[:i]), "[]")
		n, bad := parseInt(item[i+1:], 32)
		if bad == "" && n < 0 {
			bad = "must be at least 0"
		}
		if bad != "" {
			return nil, &ValueError{Key: key, Value: v, Allowed: "the limit of " + host + " " + bad}
		}
		m[host] = int32(n)
	}
	return m, nil
}

// protocolMap parses listener.security.protocol.map, "NAME:PROTOCOL,...".
func (r *reader) protocolMap(b *Broker, v string) {
	m := map[string]string{}
	for _, item := range splitList(v) {
		name, proto, ok := strings.Cut(item, ":")
		name, proto = strings.TrimSpace(name), strings.TrimSpace(proto)
		if !ok || !isListenerName(name) || proto == "" {
			r.fail("listener.security.protocol.map", v,
				`must be a comma-separated list of NAME:PROTOCOL, e.g. "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"`)
			return
		}
		m[strings.ToUpper(name)] = strings.ToUpper(proto)
	}
	b.ListenerSecurityProtocolMap = m
}

func (r *reader) storage(b *Broker) {
	var dir string
	hasDir := r.str("log.dir", &dir)
	var dirs []string
	switch {
	case r.list("log.dirs", &dirs):
		b.LogDirs = dirs
	case hasDir:
		b.LogDirs = splitList(dir)
	}
	b.MetadataLogDir = ""
	if len(b.LogDirs) > 0 {
		b.MetadataLogDir = b.LogDirs[0]
	}
	var meta string
	if r.str("metadata.log.dir", &meta) && meta != "" {
		b.MetadataLogDir = meta
	}
	readInt(r, "num.partitions", &b.NumPartitions)
	readInt(r, "default.replication.factor", &b.DefaultReplicationFactor)
	readInt(r, "min.insync.replicas", &b.MinInsyncReplicas)
	r.boolean("auto.create.topics.enable", &b.AutoCreateTopicsEnable)
	r.boolean("delete.topic.enable", &b.DeleteTopicEnable)
	readInt(r, "log.segment.bytes", &b.LogSegmentBytes)
	readInt(r, "log.retention.bytes", &b.LogRetentionBytes)
	readInt(r, "log.retention.check.interval.ms", &b.LogRetentionCheckIntervalMs)
	readInt(r, "offsets.topic.segment.bytes", &b.OffsetsTopicSegmentBytes)
	r.boolean("log.cleaner.enable", &b.LogCleanerEnable)
	readInt(r, "log.cleaner.backoff.ms", &b.LogCleanerBackoffMs)
	readInt(r, "log.cleaner.threads", &b.LogCleanerThreads)
	readInt(r, "log.cleaner.dedupe.buffer.size", &b.LogCleanerDedupeBufferSize)
	readInt(r, "log.flush.interval.messages", &b.LogFlushIntervalMessages)
	readInt(r, "log.flush.interval.ms", &b.LogFlushIntervalMs)
	readInt(r, "log.index.interval.bytes", &b.LogIndexIntervalBytes)
	r.str("log.message.timestamp.type", &b.LogMessageTimestampType)
	r.str("compression.type", &b.CompressionType)
	readInt(r, "log.segment.delete.delay.ms", &b.LogSegmentDeleteDelayMs)
	if v, ok := r.get("log.cleanup.policy"); ok {
		if p, bad := normalizeCleanupPolicy(v); bad != "" {
			r.fail("log.cleanup.policy", v, bad)
		} else {
			b.LogCleanupPolicy = p
		}
	}
}

// unit is one key of a duration that can be given in several units.
type unit struct {
	key string
	ms  int64
}

// logTimes reads log.roll.* and log.retention.*, the most precise key
// winning, as Kafka does.
func (r *reader) logTimes(b *Broker) {
	r.millis(&b.LogRollMs, 1, unit{"log.roll.ms", 1}, unit{"log.roll.hours", hourMs})
	r.millis(&b.LogRetentionMs, -1, unit{"log.retention.ms", 1},
		unit{"log.retention.minutes", minuteMs}, unit{"log.retention.hours", hourMs})
}

// millis sets dst from the first of units that is set, in milliseconds.
// Values below lo are errors; -1 stays -1 (unlimited).
func (r *reader) millis(dst *int64, lo int64, units ...unit) {
	var chosen *unit
	for i := range units {
		if _, ok := r.get(units[i].key); ok && chosen == nil {
			chosen = &units[i]
		}
	}
	if chosen == nil {
		return
	}
	bits := 64
	if chosen.ms != 1 {
		bits = 32 // Kafka's minutes and hours keys are INT
	}
	v := r.raw[chosen.key]
	n, bad := parseInt(v, bits)
	if bad == "" {
		bad = atLeast(n, lo)
	}
	if bad == "" && n > math.MaxInt64/chosen.ms {
		bad = "too large when converted to milliseconds"
	}
	if bad != "" {
		r.fail(chosen.key, v, bad)
		return
	}
	if n == -1 {
		*dst = -1
		return
	}
	*dst = n * chosen.ms
}

func (r *reader) coordination(b *Broker) {
	readInt(r, "offsets.topic.num.partitions", &b.OffsetsTopicNumPartitions)
	readInt(r, "offsets.topic.replication.factor", &b.OffsetsTopicReplicationFactor)
	r.millis(&b.OffsetsRetentionMs, 1, unit{"offsets.retention.minutes", minuteMs})
	readInt(r, "group.initial.rebalance.delay.ms", &b.GroupInitialRebalanceDelayMs)
	readInt(r, "group.min.session.timeout.ms", &b.GroupMinSessionTimeoutMs)
	readInt(r, "group.max.session.timeout.ms", &b.GroupMaxSessionTimeoutMs)
	r.shareGroups(&b.ShareGroups)
	r.consumerGroups(&b.ConsumerGroups)
	readInt(r, "transaction.state.log.num.partitions", &b.TransactionStateLogNumPartitions)
	readInt(r, "transaction.state.log.replication.factor", &b.TransactionStateLogReplicationFactor)
	readInt(r, "transaction.state.log.min.isr", &b.TransactionStateLogMinIsr)
	readInt(r, "transaction.max.timeout.ms", &b.TransactionMaxTimeoutMs)
	readInt(r, "transactional.id.expiration.ms", &b.TransactionalIdExpirationMs)
	readInt(r, "transaction.abort.timed.out.transaction.cleanup.interval.ms", &b.TransactionAbortCleanupIntervalMs)
	readInt(r, "transaction.remove.expired.transaction.cleanup.interval.ms", &b.TransactionRemoveExpiredIntervalMs)
	readInt(r, "producer.id.expiration.ms", &b.ProducerIDExpirationMs)
	readInt(r, "producer.id.expiration.check.interval.ms", &b.ProducerIDExpirationCheckIntervalMs)
	readInt(r, "replica.lag.time.max.ms", &b.ReplicaLagTimeMaxMs)
	readInt(r, "broker.session.timeout.ms", &b.BrokerSessionTimeoutMs)
	readInt(r, "broker.heartbeat.interval.ms", &b.BrokerHeartbeatIntervalMs)
	r.boolean("auto.leader.rebalance.enable", &b.AutoLeaderRebalanceEnable)
	readInt(r, "leader.imbalance.check.interval.seconds", &b.LeaderImbalanceCheckIntervalSeconds)
	readInt(r, "leader.imbalance.per.broker.percentage", &b.LeaderImbalancePerBrokerPercentage)
}

// topicDefaults reads the broker keys that only supply topic defaults.
func (r *reader) topicDefaults(b *Broker) {
	for _, d := range topicDefs {
		if d.BrokerKey == "" || d.fromBroker != nil {
			continue
		}
		v, ok := r.get(d.BrokerKey)
		if !ok {
			continue
		}
		if bad := d.check(v); bad != "" {
			r.fail(d.BrokerKey, v, bad)
			continue
		}
		b.extra[d.BrokerKey] = strings.TrimSpace(v)
	}
}
