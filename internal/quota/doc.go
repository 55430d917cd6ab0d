// Package quota enforces Kafka's client quotas (KIP-13, KIP-55, KIP-124,
// KIP-219): producer_byte_rate, consumer_byte_rate and request_percentage
// per user, client id, or both, with defaults.
//
// A quota applies to the most specific configured entity, in Kafka's order
// (user+client-id, user+default client, user, default user+client-id,
// default user+default client, default user, client-id, default client).
// The rate is measured per matched entity: a quota on a default entity
// gives each user or client id its own budget.
//
// Rates are sampled in quota.window.num windows of
// quota.window.size.seconds. When a recorded amount pushes the rate over
// the bound, the throttle time is Kafka's: (rate - bound) / bound times the
// measured window, at most the whole window. The caller reports it as
// throttle_time_ms and holds the client back that long: by delaying the
// response for old request versions, and for versions that throttle on the
// client (KIP-219) by holding the entity's next request until the time has
// passed, Kafka's muted channel.
//
// Manager is safe for concurrent use; one mutex guards its sensors.
package quota
