// Package handler serves Kafka requests: one file per API key, named by its
// number (00_produce.go, 01_fetch.go, ...), each opening with the versions it
// supports and how it behaves. Handlers convert between kmsg structures and
// Samsa's domain packages (partition, metadata, controller), which never see
// the wire format. Domain errors become Kafka error codes in one place,
// errors.go.
package handler
