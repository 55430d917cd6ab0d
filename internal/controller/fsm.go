package controller

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/hashicorp/raft"

	"github.com/samsa-io/samsa/internal/metadata"
)

// fsm applies metadata records to the published image.
//
// Threading (hashicorp/raft's contract): Apply, Snapshot and Restore are
// called from one Raft goroutine, never concurrently; Persist of a snapshot
// runs concurrently with later Applies, which is safe because it encodes an
// image that is never mutated. setControllerID runs on the controller's
// leader-watch goroutine; mu serializes it with Apply and Restore so each
// publication starts from the latest image.
type fsm struct {
	pub    *metadata.Publisher
	logger *slog.Logger

	mu     sync.Mutex
	broken error // first fatal error; once set, Apply changes nothing
	fatal  chan error
}

func newFSM(pub *metadata.Publisher, logger *slog.Logger) *fsm {
	return &fsm{pub: pub, logger: logger, fatal: make(chan error, 1)}
}

// applyResult is what raft's ApplyFuture.Response returns for our records.
type applyResult struct {
	err error
}

// Apply implements raft.FSM.
func (f *fsm) Apply(l *raft.Log) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.broken != nil {
		return applyResult{err: f.broken}
	}
	h, payload, err := lookupHandler(l.Data)
	if err != nil {
		return applyResult{err: f.fail(l.Index, err)}
	}
	next := f.pub.Load().Clone()
	// Set before applying: a registration's broker epoch is its own index.
	next.AppliedIndex = l.Index
	if err := h.apply(next, payload); err != nil {
		var de *decodeError
		if errors.As(err, &de) {
			return applyResult{err: f.fail(l.Index, fmt.Errorf("%s: %w", h.name, err))}
		}
		f.logger.Debug("metadata record rejected", "record", h.name, "index", l.Index, "err", err)
		next = f.pub.Load().Clone()
		next.AppliedIndex = l.Index
		f.pub.Publish(next)
		return applyResult{err: err}
	}
	f.pub.Publish(next)
	return applyResult{}
}

// fail marks the FSM broken and reports err once on the fatal channel.
// Callers hold f.mu.
func (f *fsm) fail(index uint64, err error) error {
	f.broken = fmt.Errorf("apply metadata log index %d: %w", index, err)
	f.logger.Error("metadata FSM stopped", "index", index, "err", err)
	select {
	case f.fatal <- f.broken:
	default:
	}
	return f.broken
}

// err returns the error that stopped the FSM, or nil.
func (f *fsm) err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.broken
}

// setControllerID publishes a new image naming the current Raft leader.
// The controller ID is local knowledge, not replicated state.
func (f *fsm) setControllerID(id int32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cur := f.pub.Load()
	if cur.ControllerID == id {
		return
	}
	next := cur.Clone()
	next.ControllerID = id
	f.pub.Publish(next)
}

// Snapshot implements raft.FSM.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	return &imageSnapshot{image: f.pub.Load()}, nil
}

// Restore implements raft.FSM: it decodes a whole image and swaps it in.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	im, err := decodeSnapshot(rc)
	if err != nil {
		return fmt.Errorf("restore metadata snapshot: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	im.ControllerID = f.pub.Load().ControllerID
	f.pub.Publish(im)
	return nil
}

// imageSnapshot is a point-in-time image waiting to be persisted.
type imageSnapshot struct {
	image *metadata.Image
}

// Persist implements raft.FSMSnapshot.
func (s *imageSnapshot) Persist(sink raft.SnapshotSink) error {
	if err := encodeSnapshot(sink, s.image); err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("persist metadata snapshot: %w", err)
	}
	return sink.Close()
}

// Release implements raft.FSMSnapshot.
func (s *imageSnapshot) Release() {}
