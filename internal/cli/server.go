package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/samsa-io/samsa/configs"
	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/server"
)

// serverOptions holds the flags of kafka-server-start.sh plus logging flags.
type serverOptions struct {
	overrides []string
	logLevel  string
	logFormat string
	daemon    bool

	shutdownTimeout time.Duration // see runUntilSignal (server_shutdown.go)
}

func newServerCmd() *cobra.Command {
	o := &serverOptions{}
	cmd := &cobra.Command{
		Use:   "server [FILE] [--override key=value ...]",
		Short: "Run a broker/controller node (kafka-server-start.sh)",
		Long: `Run a Samsa node with the given server.properties (Kafka's key names and defaults).
Without FILE the built-in single-node configuration is used. The node runs until
SIGINT or SIGTERM, then shuts down cleanly. Keys Samsa does not use are logged
once as ignored; invalid values stop start-up with one line per problem.`,
		Example: `  samsa server
  samsa server configs/server.properties
  samsa server configs/server.properties --override node.id=2 --override listeners=PLAINTEXT://:9093
  SAMSA_LOG_LEVEL=debug samsa server --log-format json configs/server.properties`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.daemon {
				return usageErrorf("-daemon is not supported: samsa runs in the foreground; use systemd, nohup or a container to run it in the background")
			}
			file := ""
			if len(args) == 1 {
				file = args[0]
			}
			return o.run(cmd.Context(), file, cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.overrides, "override", nil, "optional property that overrides the value set in server.properties, key=value (repeatable)")
	f.StringVar(&o.logLevel, "log-level", envOr("SAMSA_LOG_LEVEL", "info"), "log level: debug, info, warn or error (env SAMSA_LOG_LEVEL)")
	f.StringVar(&o.logFormat, "log-format", envOr("SAMSA_LOG_FORMAT", "text"), "log format: text or json (env SAMSA_LOG_FORMAT)")
	f.DurationVar(&o.shutdownTimeout, "shutdown-timeout", defaultShutdownTimeout, "after SIGINT/SIGTERM, exit with status 1 if the clean shutdown takes longer")
	f.BoolVar(&o.daemon, "daemon", false, "not supported (run under a supervisor instead)")
	_ = f.MarkHidden("daemon")
	return cmd
}

func (o *serverOptions) run(ctx context.Context, file string, stderr io.Writer) error {
	logger, err := newLogger(stderr, o.logLevel, o.logFormat)
	if err != nil {
		return err
	}
	cfg, err := o.load(file, logger)
	if err != nil {
		return err
	}
	err = runUntilSignal(ctx, o.shutdownTimeout, logger, func(ctx context.Context) error {
		return server.Run(ctx, cfg, logger)
	})
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return nil
}

// load reads FILE (or the embedded default), logs ignored keys once and
// validates. A validation error lists every problem, one per line.
func (o *serverOptions) load(file string, logger *slog.Logger) (*config.Broker, error) {
	var (
		cfg     *config.Broker
		ignored []string
		err     error
	)
	source := file
	if file == "" {
		source = "built-in server.properties"
		cfg, ignored, err = config.Parse(configs.ServerProperties, source, o.overrides)
	} else {
		cfg, ignored, err = config.Load(file, o.overrides)
	}
	if len(ignored) > 0 {
		logger.Warn("ignoring config keys not used by samsa", "keys", ignored)
	}
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		return nil, fmt.Errorf("invalid configuration (%s):\n%w", source, err)
	}
	logger.Info("configuration loaded", "source", source)
	return cfg, nil
}

// newLogger builds the slog logger for the server: text or JSON to stderr.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, usageErrorf("invalid --log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageErrorf("invalid --log-format %q: want text or json", format)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
