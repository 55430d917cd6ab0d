package cli

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRunUntilSignalCleanShutdown(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	err := runUntilSignal(context.Background(), 10*time.Second, logger, func(ctx context.Context) error {
		if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil // a clean shutdown
		case <-time.After(10 * time.Second):
			return errors.New("SIGTERM did not cancel the context")
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRunUntilSignalBoundsAStuckShutdown(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	release := make(chan struct{})
	defer close(release)
	start := time.Now()
	err := runUntilSignal(context.Background(), 200*time.Millisecond, logger, func(ctx context.Context) error {
		if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
			return err
		}
		<-ctx.Done()
		<-release // stuck until the test ends
		return nil
	})
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 1 {
		t.Fatalf("err %v, want an exit-1 error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("returned after %v, want about the 200ms timeout", d)
	}
}

// The signal is logged before the node starts shutting down, so that the
// server log reads in order.
func TestRunUntilSignalLogsTheSignalFirst(t *testing.T) {
	var buf bytes.Buffer // read once runUntilSignal has returned: no writer is left
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf}, nil))
	err := runUntilSignal(context.Background(), 10*time.Second, logger, func(ctx context.Context) error {
		if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
			return err
		}
		<-ctx.Done()
		logger.Info("shutting down")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if i, j := strings.Index(out, "signal received"), strings.Index(out, `msg="shutting down"`); i < 0 || j < 0 || i > j {
		t.Fatalf("log out of order:\n%s", out)
	}
}
