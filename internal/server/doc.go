// Package server is the composition root: it builds every part of a node
// from its config, starts them in dependency order and shuts them down in
// reverse. Its only goroutines run the metadata pipeline and the ISR
// change metrics; everything else runs in the parts:
//
//   - nodedir: the data dirs' locks and meta.properties;
//   - listeners: the bound listeners (Raft/Kafka Muxes included) and the
//     dialers to other nodes;
//   - controller: the metadata quorum and the active controller's duties;
//   - partition, replication: this node's replicas and their fetchers;
//   - group, txn over topiclog: the coordinators and their internal topics;
//   - interbroker: every request this node sends to another node;
//   - lifecycle: registration, heartbeats, unfencing, liveness, controlled
//     shutdown and ISR forwarding against the active controller;
//   - handler behind listeners: the Kafka API.
//
// What happens when metadata changes is one list, metadataPipeline in
// server.go: partitions, replication, groups, transactions, in that order,
// applied by one metadata.Pipeline (its threading contract is
// metadata.Listener's). The first image is applied only once it can be
// trusted (followMetadata): on a cluster after lifecycle.Broker saw the
// controller report this broker caught up, before it asks to be unfenced.
package server
