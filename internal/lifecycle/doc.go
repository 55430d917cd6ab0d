// Package lifecycle is a broker's life cycle against the active
// controller, on a multi-node cluster: registration (BrokerRegistration,
// and a broker-only node's joining of the metadata quorum as a Raft
// non-voter), heartbeats carrying the broker epoch, the start-up rule
// (heartbeat with WantFence until the controller says the broker caught up
// with the metadata log, then open partitions, then ask to be unfenced),
// controlled shutdown, liveness (the active controller fences brokers
// whose session expired or whose process is gone), and the forwarding of
// the ISR changes hosted leaders propose (AlterPartition).
//
// Every request goes through an interbroker.ControllerLink, to the active
// controller's controller listener or, when this node is the active
// controller, to its own handler: one code path, no special case for
// "self". The handler serves them only while that node is still the
// active controller (NOT_CONTROLLER otherwise, and the link tries again).
//
// It imports config, controller, metadata, partition and interbroker;
// never server, handler, network listeners, group or txn.
package lifecycle
