// Package connect runs Apache Kafka Connect 4.4 (connect-runtime, with the
// FileStream connectors of connect-file) against the reference Apache Kafka
// node and then against Samsa: connect-standalone as in Kafka's
// quickstart, and connect-distributed with two workers whose connectors
// survive the loss and restart of one of them. A check that fails on Kafka
// is a wrong check, one that passes on Kafka and fails on Samsa is a Samsa
// bug.
package connect
