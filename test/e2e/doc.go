// Package e2e tests the real samsa binary end to end with real clients:
// franz-go for durability, offsets, retention and raw protocol abuse, and
// the binary's own command-line tools. Every broker runs as a separate
// process on a free loopback port (see test/internal/harness).
package e2e
