package metadata

import (
	"context"
	"log/slog"
)

// Listener is a part of the node that follows the metadata image: the
// partition manager opens and closes replicas, the replication manager
// points fetchers at leaders, the coordinators take and give up the
// leadership of their internal topics' partitions.
//
// Threading contract: a Pipeline calls ApplyMetadata from one goroutine at
// a time (the server's metadata loop; at start-up the goroutine starting
// the node), never concurrently with itself or with another listener of
// the same Pipeline. Images come in the order they were published, but not
// every image: while a listener is busy, newer images replace queued ones
// (Publisher.Subscribe: latest wins), so a listener must act on the whole
// image, never on the difference from the previous call. A listener sees an
// image after every listener before it in the Pipeline has applied it. It
// may block (opening thousands of partitions takes seconds) but must
// return soon after ctx is done (shutdown), and must not call back into
// the Pipeline. An error is logged; the later listeners still get the
// image and the next image is applied all the same.
type Listener interface {
	ApplyMetadata(ctx context.Context, im *Image) error
}

// ListenerFunc is a function as a Listener.
type ListenerFunc func(ctx context.Context, im *Image) error

// ApplyMetadata calls f.
func (f ListenerFunc) ApplyMetadata(ctx context.Context, im *Image) error { return f(ctx, im) }

// Stage is one named Listener of a Pipeline; the name is in its errors'
// log lines.
type Stage struct {
	Name     string
	Listener Listener
}

// Pipeline applies each image to its stages, in order. It is the one
// place where "what happens when metadata changes" is written: the server
// builds it once, applies the first trusted image with Apply, then hands
// the publisher's updates to Run.
type Pipeline struct {
	stages []Stage
	logger *slog.Logger
}

// NewPipeline makes a Pipeline of stages, applied in the order given.
func NewPipeline(logger *slog.Logger, stages ...Stage) *Pipeline {
	return &Pipeline{stages: stages, logger: logger}
}

// Apply gives im to every stage in order. A stage's error is logged and
// does not stop the later stages (a partition that failed to open is
// offline; the others serve); an error after ctx is done is not logged.
func (p *Pipeline) Apply(ctx context.Context, im *Image) {
	for _, st := range p.stages {
		if err := st.Listener.ApplyMetadata(ctx, im); err != nil && ctx.Err() == nil {
			p.logger.Error("apply metadata image", "stage", st.Name, "err", err)
		}
	}
}

// Run applies every image from updates until ctx is done or updates is
// closed. The caller owns the goroutine that runs it.
func (p *Pipeline) Run(ctx context.Context, updates <-chan *Image) {
	for {
		select {
		case <-ctx.Done():
			return
		case im, ok := <-updates:
			if !ok {
				return
			}
			p.Apply(ctx, im)
		}
	}
}
