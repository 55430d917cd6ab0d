package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// defaultShutdownTimeout bounds a clean shutdown after SIGINT/SIGTERM. It
// leaves room for a controlled shutdown (leadership moving away) and the
// final flush of every log, and stays below the 30 s Kubernetes waits
// before SIGKILL, so that Samsa reports a hang itself instead of being
// killed silently.
const defaultShutdownTimeout = 25 * time.Second

// runUntilSignal runs run with a context cancelled by SIGINT or SIGTERM and
// waits for it to return, but no longer than timeout after the signal: a
// shutdown stuck on a broken disk or peer must not keep the process alive
// forever. After the first signal the default signal behaviour is
// restored, so a second SIGINT/SIGTERM ends the process at once.
func runUntilSignal(ctx context.Context, timeout time.Duration, logger *slog.Logger, run func(context.Context) error) error {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	done := make(chan error, 1)
	go func() { done <- run(runCtx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	case <-sigs:
		// Logged before the node hears of it, so that the log reads in
		// order: the signal, then the node's own shutdown lines.
		logger.Info("signal received, shutting down", "timeout", timeout)
	}
	signal.Stop(sigs) // a second signal now ends the process at once
	cancel()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		// The run goroutine is abandoned: the process exits right after.
		return &ExitError{Code: 1, Err: fmt.Errorf("shutdown did not finish within %v; exiting", timeout)}
	}
}
