// Package network accepts Kafka client connections and runs the per-connection
// loops: frames are read and size-checked, parsed and version-gated by
// package protocol, handed one at a time to a Handler, and the responses are
// written back in request order (Kafka's one-request-in-flight-per-connection
// semantics). Framing faults close the connection; nothing a client sends can
// stop the listener or disturb other connections.
package network
