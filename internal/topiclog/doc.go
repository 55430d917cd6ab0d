// Package topiclog is the coordinators' internal topics (__consumer_offsets
// for the group coordinator, __transaction_state for the transaction
// coordinator, and the share-group state topic to come) over this node's
// partition replicas. Log[R] appends a coordinator's records of type R as
// one batch and waits until the high watermark covers it, and replays a
// partition from its start to its log end offset when the coordinator
// loads it; a Codec[R] turns R into record keys and values and back.
// Leadership tells a coordinator, at every metadata image, which of its
// topic's partitions this node leads.
//
// It imports partition, metadata, the record format and the coordinators
// whose record types it carries (group, txn); never server, handler,
// network or controller.
package topiclog
