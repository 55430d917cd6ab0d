// Package controller runs Samsa's metadata quorum: a hashicorp/raft node
// whose replicated log holds typed, versioned metadata records, and the FSM
// that applies them to an immutable metadata.Image.
//
// Log and stable store live in raft-boltdb (bbolt), snapshots in a file
// snapshot store, both under <DataDir>/__cluster_metadata-0/.
//
// Record format (records.go): one byte record type, one byte record
// version, then a JSON payload. Every type and the versions it accepts are
// registered in one table; a record the FSM does not understand stops the
// FSM and is reported on Controller.Fatal, so a node never silently
// diverges from the others.
//
// Mutating calls (CreateTopic, DeleteTopic, ...) validate against the
// current image, propose one record and return once it is applied locally.
// Only the Raft leader accepts proposals; the others return
// ErrNotController. Proposals on one node are serialized, and the FSM
// checks each record again against the image it applies to, so racing
// proposals from different leaders' terms cannot corrupt the image.
package controller
