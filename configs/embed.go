// Package configs holds Samsa's shipped configuration files: server.properties
// for a single node (embedded, so `samsa server` runs without a file) and
// cluster/node-{1,2,3}.properties for a three-node local cluster.
package configs

import _ "embed"

// ServerProperties is server.properties, the single-node default. Treat it
// as read-only.
//
//go:embed server.properties
var ServerProperties []byte
