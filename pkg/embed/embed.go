// Package embed starts a real Samsa broker inside a Go program, for tests
// that want a Kafka-compatible broker without a separate process:
//
//	b, err := embed.Start(ctx, embed.Options{Dir: t.TempDir()})
//	if err != nil { ... }
//	defer b.Close()
//	client, _ := kgo.NewClient(kgo.SeedBrokers(b.Addr()))
//
// The broker is the same code the samsa binary runs (single node, Raft
// metadata, on-disk logs), listening on 127.0.0.1 on a free port.
package embed

import (
	"context"
	"errors"
	"log/slog"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/server"
)

// Options configure an embedded broker.
type Options struct {
	// Dir holds the broker's data (log.dirs). Required.
	Dir string
	// Config holds extra server.properties settings (key=value), applied
	// after the defaults this package sets.
	Config []string
	// Logger receives the broker's logs; nil discards them.
	Logger *slog.Logger
}

// Broker is a running embedded broker.
type Broker struct {
	s *server.Server
}

// Start starts a broker and returns once it serves clients.
func Start(ctx context.Context, opts Options) (*Broker, error) {
	if opts.Dir == "" {
		return nil, errors.New("embed: Options.Dir is required")
	}
	overrides := append([]string{
		"node.id=1",
		"listeners=PLAINTEXT://127.0.0.1:0",
		"log.dirs=" + opts.Dir,
	}, opts.Config...)
	cfg, _, err := config.Parse(nil, "embed", overrides)
	if err != nil {
		return nil, err
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s, err := server.Start(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	return &Broker{s: s}, nil
}

// Addr is the broker's client address, host:port.
func (b *Broker) Addr() string { return b.s.Addrs()[0].String() }

// Close shuts the broker down cleanly.
func (b *Broker) Close() error { return b.s.Close() }
