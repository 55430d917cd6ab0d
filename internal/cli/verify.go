package cli

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/samsa-io/samsa/internal/verify"
)

// errAnomalies is returned, with exit code 1, when a history has anomalies.
var errAnomalies = errors.New("anomalies found (see the table above)")

// newVerifyCmd is "samsa verify": the queue workload against a cluster it
// starts (with faults) or an existing one, and "samsa verify check" to
// re-check a history offline. docs/verify.md describes both.
func newVerifyCmd() *cobra.Command {
	var (
		o         verify.Options
		bootstrap string
		faults    string
		seed      int64
		verbose   bool
	)
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check that a cluster keeps what it acknowledges, under faults (docs/verify.md)",
		Example: `  samsa verify --nodes 3 --duration 60s --faults kill,pause --history h.jsonl
  samsa verify --bootstrap-server localhost:9092 --duration 30s
  samsa verify check h.jsonl`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			kinds, err := verify.ParseFaults(faults)
			if err != nil {
				return usageErrorf("--faults: %v", err)
			}
			if o.Nodes == 0 && !cmd.Flags().Changed("faults") {
				kinds = nil // the default faults are for a cluster verify starts
			}
			switch {
			case o.Nodes < 0:
				return usageErrorf("--nodes must not be negative")
			case o.Nodes == 0 && bootstrap == "":
				return usageErrorf("one of --nodes or --bootstrap-server is required")
			case o.Nodes > 0 && bootstrap != "":
				return usageErrorf("--nodes starts its own cluster; it cannot be combined with --bootstrap-server")
			case o.Nodes == 0 && len(kinds) > 0:
				return usageErrorf("--faults needs --nodes: faults are injected only into a cluster verify starts")
			case o.Duration <= 0 || o.Partitions < 1 || o.Producers < 1 || o.Consumers < 0 || o.GroupConsumers < 0 || o.Rate < 1 || o.FaultInterval <= 0:
				return usageErrorf("--duration, --fault-interval, --partitions, --producers and --rate must be positive, --consumers and --group-consumers not negative")
			}
			if bootstrap != "" {
				o.Bootstrap = strings.Split(bootstrap, ",")
			}
			o.Faults = kinds
			if o.Exe, err = os.Executable(); err != nil {
				return fmt.Errorf("find the samsa binary to start nodes with: %w", err)
			}
			if seed == 0 {
				seed = time.Now().UnixNano()
			}
			o.Seed = uint64(seed)
			level := slog.LevelWarn
			if verbose {
				level = slog.LevelInfo
			}
			o.Log = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			fmt.Fprintf(cmd.OutOrStdout(), "%-22s %d\n", "seed", seed)
			s, runErr := verify.Run(ctx, o)
			verify.WriteTable(cmd.OutOrStdout(), s)
			if ctx.Err() != nil {
				return fmt.Errorf("verify interrupted: %w", errors.Join(runErr, ctx.Err()))
			}
			if runErr != nil {
				return fmt.Errorf("verify did not complete: %w", runErr)
			}
			if !s.Report.Valid() {
				return errAnomalies
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Nodes, "nodes", 0, "start a cluster of this many nodes (each broker and controller) and inject --faults")
	f.StringVar(&bootstrap, "bootstrap-server", "", "run against this existing cluster instead, without faults")
	f.DurationVar(&o.Duration, "duration", 60*time.Second, "how long the workload runs before the final catch-up poll")
	f.StringVar(&faults, "faults", "kill,pause", "faults to inject with --nodes: kill, pause (comma-separated) or none")
	f.DurationVar(&o.FaultInterval, "fault-interval", 8*time.Second, "mean time between two faults")
	f.StringVar(&o.HistoryPath, "history", "", "write the history here (default: in the run's temporary directory)")
	f.StringVar(&o.Topic, "topic", "", "topic to use (default: a new verify-<time> topic)")
	f.Int32Var(&o.Partitions, "partitions", 3, "partitions of the topic")
	f.IntVar(&o.Producers, "producers", 2, "idempotent acks=all producers")
	f.IntVar(&o.Consumers, "consumers", 2, "consumers reading every partition with assign")
	f.IntVar(&o.GroupConsumers, "group-consumers", 2, "consumers subscribing to the topic in one consumer group")
	f.IntVar(&o.Rate, "rate", 400, "sends per second over all producers")
	f.IntVar(&o.Examples, "examples", 5, "examples printed per anomaly class")
	f.Int64Var(&seed, "seed", 0, "seed of the fault schedule (default: from the clock; printed)")
	f.BoolVarP(&verbose, "verbose", "v", false, "log each fault")
	f.BoolVar(&o.PlantLostWrite, "plant-lost-write", false, "test only: record one acknowledged send that was never produced")
	_ = f.MarkHidden("plant-lost-write")
	cmd.AddCommand(newVerifyCheckCmd())
	return cmd
}

// newVerifyCheckCmd re-checks a recorded history offline.
func newVerifyCheckCmd() *cobra.Command {
	var examples int
	cmd := &cobra.Command{
		Use:   "check HISTORY",
		Short: "Re-check a history written by samsa verify",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ops, err := verify.ReadHistoryFile(args[0])
			if err != nil {
				return err
			}
			s := verify.Summary{Report: verify.Check(ops, examples)}
			verify.WriteTable(cmd.OutOrStdout(), s)
			if !s.Report.Valid() {
				return errAnomalies
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&examples, "examples", 5, "examples printed per anomaly class")
	return cmd
}
