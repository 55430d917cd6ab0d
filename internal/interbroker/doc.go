// Package interbroker holds every Kafka-protocol request this node sends to
// another node: Client (one connection to a peer, used by the replica
// fetchers), ControllerLink (broker-to-controller requests to the active
// controller, or to this node's own handler when it is the active one) and
// MarkerWriter (WriteTxnMarkers to partition leaders for the transaction
// coordinator). Connections are opened with a network.DialFunc that the
// server builds with the target listener's TLS and SASL.
//
// It imports the wire codec, protocol, network (for DialFunc), metadata and
// txn (the interface MarkerWriter implements); never server, handler,
// partition, group or controller.
package interbroker
