// Package server is the composition root: it builds every part of a node
// from its config, starts them in dependency order (controller, partition
// manager, request handler, listeners) and shuts them down in reverse.
package server
