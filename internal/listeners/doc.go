// Package listeners binds a node's configured listeners and builds the
// dialers it uses to reach other nodes' listeners. A Set holds the bound
// listeners: plain Kafka listeners, and Muxes where Raft and the Kafka
// protocol share a port (the controller listener, and a broker-only node's
// inter-broker listener), each with its TLS, SASL and the connection
// limits they all share. Dialers opens connections with the TLS and SASL
// of the listener dialed.
//
// Threading: a Set is built and filled (Mux, Serve) by the goroutine
// starting the node; after Serve returns, its read methods are safe from
// any goroutine, and Close* run once at shutdown. It imports config,
// network, security and protocol; never server, handler, partition or
// controller.
package listeners
