package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Options configures one verify run.
type Options struct {
	// Exe is the samsa binary started as "server" when Nodes > 0.
	Exe string
	// Nodes > 0 starts a cluster of that many nodes; otherwise Bootstrap
	// names an existing cluster and no fault is injected.
	Nodes         int
	Bootstrap     []string
	Duration      time.Duration
	Faults        []string
	FaultInterval time.Duration
	// HistoryPath is where the history is written; "" writes it into the
	// run's temporary directory.
	HistoryPath    string
	Topic          string
	Partitions     int32
	Producers      int
	Consumers      int
	GroupConsumers int
	Rate           int
	Seed           uint64
	Examples       int
	// PlantLostWrite is the test-only planted bug (see QueueConfig).
	PlantLostWrite bool
	Log            *slog.Logger
}

// Summary is the outcome of a run.
type Summary struct {
	Report  Report
	Faults  map[string]int
	History string
	// Dir is the run's temporary directory (node data and logs), kept
	// when the run failed or found anomalies, else removed.
	Dir     string
	DirKept bool
}

// Run starts a cluster when asked, runs the queue workload with faults,
// writes the history and checks it. The error reports a run that could not
// complete; anomalies are in the summary's report.
func Run(ctx context.Context, o Options) (s Summary, err error) {
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	dir, err := os.MkdirTemp("", "samsa-verify-")
	if err != nil {
		return s, fmt.Errorf("temp dir: %w", err)
	}
	s.Dir = dir
	defer func() {
		if err != nil || !s.Report.Valid() {
			s.DirKept = true
			return
		}
		os.RemoveAll(dir)
	}()
	if o.Topic == "" {
		o.Topic = fmt.Sprintf("verify-%d", time.Now().UnixNano())
	}
	s.History = o.HistoryPath
	if s.History == "" {
		s.History = filepath.Join(dir, "history.jsonl")
	}

	cfg := QueueConfig{Bootstrap: o.Bootstrap, Topic: o.Topic, Partitions: o.Partitions, ReplicationFactor: -1,
		Producers: o.Producers, Consumers: o.Consumers, GroupConsumers: o.GroupConsumers, Rate: o.Rate, Duration: o.Duration,
		PlantLostWrite: o.PlantLostWrite, Log: o.Log}
	var faults *Nemesis
	if o.Nodes > 0 {
		c, err := StartLocalCluster(ctx, o.Exe, o.Nodes, dir, o.Log)
		if err != nil {
			return s, err
		}
		defer c.Stop()
		cfg.Bootstrap = c.Bootstrap()
		cfg.ReplicationFactor = int16(min(o.Nodes, 3))
		faults = NewNemesis(c, o.Faults, o.FaultInterval, o.Topic, o.Seed, o.Log)
	}

	f, err := os.Create(s.History)
	if err != nil {
		return s, fmt.Errorf("create history: %w", err)
	}
	defer f.Close()
	hist, err := NewHistoryWriter(f)
	if err != nil {
		return s, err
	}
	var runErr error
	if faults != nil {
		runErr = RunQueue(ctx, cfg, hist, faults)
		s.Faults = faults.Injected()
	} else {
		runErr = RunQueue(ctx, cfg, hist, nil)
	}
	if err := errors.Join(hist.Close(), f.Close()); err != nil {
		return s, errors.Join(runErr, err)
	}
	ops, err := ReadHistoryFile(s.History)
	if err != nil {
		return s, errors.Join(runErr, err)
	}
	s.Report = Check(ops, o.Examples)
	return s, runErr
}

// WriteTable prints a summary as a short table: operations, faults and one
// line per anomaly class, with examples of each class found.
func WriteTable(w io.Writer, s Summary) {
	r := s.Report
	if r.Anomalies == nil { // the run stopped before its history was checked
		if s.DirKept {
			fmt.Fprintf(w, "%-22s %s\n", "node data and logs", s.Dir)
		}
		return
	}
	fmt.Fprintf(w, "%-22s %d (sends: %d ok, %d indeterminate, %d failed; polls: %d)\n",
		"operations", r.Operations, r.SendsOK, r.SendsInfo, r.SendsFail, r.Polls)
	if s.Faults != nil {
		var parts []string
		total := 0
		for _, k := range slices.Sorted(maps.Keys(s.Faults)) {
			parts = append(parts, fmt.Sprintf("%s %d", k, s.Faults[k]))
			total += s.Faults[k]
		}
		fmt.Fprintf(w, "%-22s %d (%s)\n", "faults injected", total, strings.Join(parts, ", "))
	}
	for _, c := range AnomalyClasses {
		fmt.Fprintf(w, "%-22s %d\n", c, r.Anomalies[c].Count)
	}
	for _, c := range AnomalyClasses {
		for _, ex := range r.Anomalies[c].Examples {
			fmt.Fprintf(w, "  %s: %s\n", c, ex)
		}
	}
	if s.History != "" {
		fmt.Fprintf(w, "%-22s %s\n", "history", s.History)
	}
	if s.DirKept {
		fmt.Fprintf(w, "%-22s %s\n", "node data and logs", s.Dir)
	}
}
