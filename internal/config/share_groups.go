package config

// ShareGroups are the broker settings of share groups (KIP-932), with
// Kafka 4.4's names, defaults and bounds.
type ShareGroups struct {
	RecordLockDurationMs    int64 // group.share.record.lock.duration.ms
	DeliveryCountLimit      int32 // group.share.delivery.count.limit
	PartitionMaxRecordLocks int32 // group.share.partition.max.record.locks
	SessionTimeoutMs        int64 // group.share.session.timeout.ms
	HeartbeatIntervalMs     int64 // group.share.heartbeat.interval.ms
	MaxSize                 int32 // group.share.max.size
	MaxShareSessions        int32 // group.share.max.share.sessions
}

func defaultShareGroups() ShareGroups {
	return ShareGroups{RecordLockDurationMs: 30000, DeliveryCountLimit: 5, PartitionMaxRecordLocks: 2000,
		SessionTimeoutMs: 45000, HeartbeatIntervalMs: 5000, MaxSize: 200, MaxShareSessions: 2000}
}

func (r *reader) shareGroups(s *ShareGroups) {
	readInt(r, "group.share.record.lock.duration.ms", &s.RecordLockDurationMs)
	readInt(r, "group.share.delivery.count.limit", &s.DeliveryCountLimit)
	readInt(r, "group.share.partition.max.record.locks", &s.PartitionMaxRecordLocks)
	readInt(r, "group.share.session.timeout.ms", &s.SessionTimeoutMs)
	readInt(r, "group.share.heartbeat.interval.ms", &s.HeartbeatIntervalMs)
	readInt(r, "group.share.max.size", &s.MaxSize)
	readInt(r, "group.share.max.share.sessions", &s.MaxShareSessions)
}

// shareGroups checks Kafka's lower bounds (and the delivery limit's upper
// one, 10).
func (c *checker) shareGroups() {
	s := c.b.ShareGroups
	c.min("group.share.record.lock.duration.ms", s.RecordLockDurationMs, 1000)
	c.min("group.share.delivery.count.limit", int64(s.DeliveryCountLimit), 2)
	if s.DeliveryCountLimit > 10 {
		c.fail("group.share.delivery.count.limit", itoa(int64(s.DeliveryCountLimit)), "at most 10")
	}
	c.min("group.share.partition.max.record.locks", int64(s.PartitionMaxRecordLocks), 100)
	c.min("group.share.session.timeout.ms", s.SessionTimeoutMs, 1)
	c.min("group.share.heartbeat.interval.ms", s.HeartbeatIntervalMs, 1)
	c.min("group.share.max.size", int64(s.MaxSize), 1)
	c.min("group.share.max.share.sessions", int64(s.MaxShareSessions), 1)
}
