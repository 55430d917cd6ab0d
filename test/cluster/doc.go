// Package cluster holds the multi-process cluster tests: three or more real
// samsa server processes on loopback, started from generated properties
// files with Kafka's key names, driven by franz-go while nodes are killed
// with SIGKILL and restarted. Every test checks that no acknowledged
// record is lost or duplicated.
package cluster
