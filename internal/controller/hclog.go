package controller

import (
	"context"
	"io"
	"log"
	"log/slog"
	"time"

	"github.com/hashicorp/go-hclog"
)

// hclogAdapter routes hashicorp/raft's hclog output to slog. Raft is chatty
// at Info (every election, every snapshot), so its Info and below become
// slog Debug; Warn and Error keep their level, but for an expected election
// (Info) and repeated lines about one peer (rate-limited), see
// hclog_quiet.go.
type hclogAdapter struct {
	logger *slog.Logger
	name   string
	args   []any
	// limit rate-limits repeated lines about a peer (hclog_quiet.go); the
	// adapters derived by With and Named share it.
	limit *repeatLimiter
}

var _ hclog.Logger = (*hclogAdapter)(nil)

func newHclog(logger *slog.Logger, name string) hclog.Logger {
	return &hclogAdapter{logger: logger, name: name, limit: newRepeatLimiter(raftRepeatInterval, time.Now)}
}

func (a *hclogAdapter) Log(level hclog.Level, msg string, args ...any) {
	lvl, args, ok := quietRaftLine(a.limit, slogLevel(level), msg, args)
	if !ok || !a.logger.Enabled(context.Background(), lvl) {
		return
	}
	attrs := append([]any{"component", a.name}, a.args...)
	a.logger.Log(context.Background(), lvl, msg, append(attrs, args...)...)
}

func slogLevel(level hclog.Level) slog.Level {
	switch {
	case level >= hclog.Error:
		return slog.LevelError
	case level == hclog.Warn:
		return slog.LevelWarn
	default:
		return slog.LevelDebug
	}
}

func (a *hclogAdapter) enabled(level hclog.Level) bool {
	return a.logger.Enabled(context.Background(), slogLevel(level))
}

func (a *hclogAdapter) Trace(msg string, args ...any) { a.Log(hclog.Trace, msg, args...) }
func (a *hclogAdapter) Debug(msg string, args ...any) { a.Log(hclog.Debug, msg, args...) }
func (a *hclogAdapter) Info(msg string, args ...any)  { a.Log(hclog.Info, msg, args...) }
func (a *hclogAdapter) Warn(msg string, args ...any)  { a.Log(hclog.Warn, msg, args...) }
func (a *hclogAdapter) Error(msg string, args ...any) { a.Log(hclog.Error, msg, args...) }
func (a *hclogAdapter) IsTrace() bool                 { return a.enabled(hclog.Trace) }
func (a *hclogAdapter) IsDebug() bool                 { return a.enabled(hclog.Debug) }
func (a *hclogAdapter) IsInfo() bool                  { return a.enabled(hclog.Info) }
func (a *hclogAdapter) IsWarn() bool                  { return a.enabled(hclog.Warn) }
func (a *hclogAdapter) IsError() bool                 { return a.enabled(hclog.Error) }
func (a *hclogAdapter) ImpliedArgs() []any            { return a.args }
func (a *hclogAdapter) Name() string                  { return a.name }
func (a *hclogAdapter) SetLevel(hclog.Level)          {}
func (a *hclogAdapter) GetLevel() hclog.Level         { return hclog.Warn }

func (a *hclogAdapter) With(args ...any) hclog.Logger {
	return &hclogAdapter{logger: a.logger, name: a.name, args: append(append([]any{}, a.args...), args...), limit: a.limit}
}

func (a *hclogAdapter) Named(name string) hclog.Logger {
	if a.name != "" {
		name = a.name + "." + name
	}
	return a.ResetNamed(name)
}

func (a *hclogAdapter) ResetNamed(name string) hclog.Logger {
	return &hclogAdapter{logger: a.logger, name: name, args: a.args, limit: a.limit}
}

func (a *hclogAdapter) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(a.StandardWriter(opts), "", 0)
}

func (a *hclogAdapter) StandardWriter(*hclog.StandardLoggerOptions) io.Writer {
	return slogWriter{a}
}

// slogWriter logs each write as one Warn message (used by code that wants
// a *log.Logger; raft's own logging goes through the methods above).
type slogWriter struct{ a *hclogAdapter }

func (w slogWriter) Write(p []byte) (int, error) {
	w.a.Log(hclog.Warn, string(trimNewline(p)))
	return len(p), nil
}

func trimNewline(p []byte) []byte {
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	return p
}
