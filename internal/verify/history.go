// Package verify is samsa's consistency checker: a queue workload run
// against a cluster (optionally one it starts and injects faults into), the
// history of operations it records, and a checker that finds anomalies in a
// history: lost acknowledged writes, duplicates, two values at one offset,
// non-monotonic sends and polls and unseen writes. docs/verify.md describes
// the history format and what each anomaly means.
package verify

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// HistoryFormat and HistoryVersion are written on a history's first line. A
// reader refuses any other format and any version it does not know.
const (
	HistoryFormat  = "samsa-verify-history"
	HistoryVersion = 1
)

// Operation types, as in Jepsen: an invocation, then its completion as ok
// (it happened), fail (it certainly did not) or info (unknown).
const (
	TypeInvoke = "invoke"
	TypeOK     = "ok"
	TypeFail   = "fail"
	TypeInfo   = "info"
)

// Operation functions.
const (
	// FuncSend is one record produced; an ok send carries its offset.
	FuncSend = "send"
	// FuncPoll is one record consumed, always of type ok.
	FuncPoll = "poll"
	// FuncReach closes the final catch-up poll of one partition: its
	// offset is the end the poll read up to (every offset below it was
	// read, if it existed).
	FuncReach = "reach"
)

// Op is one line of a history after the header.
type Op struct {
	// Process is the producer or consumer that did this; the final
	// catch-up poller has Final set instead of a meaningful process.
	Process   int    `json:"process"`
	Type      string `json:"type"`
	F         string `json:"f"`
	Partition int32  `json:"partition"`
	// Offset is -1 when unknown (a send's invocation or failure).
	Offset int64  `json:"offset"`
	Value  string `json:"value,omitempty"`
	// Time is nanoseconds since the workload started.
	Time  int64 `json:"time"`
	Final bool  `json:"final,omitempty"`
	// Error says why a send failed or is indeterminate.
	Error string `json:"error,omitempty"`
}

// header is a history's first line.
type header struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
}

// HistoryWriter appends operations to a history file.
//
// Threading: Record may be called from any goroutine; one goroutine, started
// by NewHistoryWriter and stopped by Close, owns the file. The channel
// between them is bounded, so a slow disk slows the workload instead of
// growing memory.
type HistoryWriter struct {
	ops  chan Op
	done chan struct{}
	err  error // set by the writer goroutine before done is closed
}

// NewHistoryWriter writes the header to w and starts the goroutine that
// writes every recorded operation. Close must be called.
func NewHistoryWriter(w io.Writer) (*HistoryWriter, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	if err := enc.Encode(header{Format: HistoryFormat, Version: HistoryVersion}); err != nil {
		return nil, fmt.Errorf("write history header: %w", err)
	}
	h := &HistoryWriter{ops: make(chan Op, 4096), done: make(chan struct{})}
	go func() { // owned by h: ends when Close closes h.ops
		defer close(h.done)
		var err error
		for op := range h.ops {
			if err == nil {
				err = enc.Encode(op)
			}
		}
		if err == nil {
			err = bw.Flush()
		}
		if err != nil {
			h.err = fmt.Errorf("write history: %w", err)
		}
	}()
	return h, nil
}

// Record queues op for writing. It must not be called after Close.
func (h *HistoryWriter) Record(op Op) { h.ops <- op }

// Close writes every queued operation, flushes and stops the writer
// goroutine; it returns the first write error.
func (h *HistoryWriter) Close() error {
	close(h.ops)
	<-h.done
	return h.err
}

// ReadHistory parses a history: the header line, then one operation a line.
func ReadHistory(r io.Reader) ([]Op, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("read history: %w", err)
		}
		return nil, errors.New("history is empty: want a header line naming the format")
	}
	var h header
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil || h.Format != HistoryFormat {
		return nil, fmt.Errorf("not a samsa verify history: the first line must be {\"format\":%q,\"version\":%d}", HistoryFormat, HistoryVersion)
	}
	if h.Version != HistoryVersion {
		return nil, fmt.Errorf("history version %d is not supported (this samsa reads version %d)", h.Version, HistoryVersion)
	}
	var ops []Op
	for line := 2; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var op Op
		if err := json.Unmarshal(sc.Bytes(), &op); err != nil {
			return nil, fmt.Errorf("history line %d: %w", line, err)
		}
		ops = append(ops, op)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	return ops, nil
}

// ReadHistoryFile reads the history at path.
func ReadHistoryFile(path string) ([]Op, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open history: %w", err)
	}
	defer f.Close()
	return ReadHistory(f)
}
