package metadata

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"
)

// A Pipeline gives every image to its stages in order, goes on past a
// stage's error, and its Run follows updates until its context ends.
func TestPipelineAppliesImagesToStagesInOrder(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	stage := func(name string, fail bool) Stage {
		return Stage{Name: name, Listener: ListenerFunc(func(_ context.Context, im *Image) error {
			mu.Lock()
			seen = append(seen, name+"@"+im.ClusterID)
			mu.Unlock()
			if fail {
				return errors.New("stage failed")
			}
			return nil
		})}
	}
	p := NewPipeline(slog.New(slog.DiscardHandler), stage("a", true), stage("b", false))
	first := Empty()
	first.ClusterID = "1"
	p.Apply(context.Background(), first)

	updates := make(chan *Image, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(ctx, updates)
	}()
	second := Empty()
	second.ClusterID = "2"
	updates <- second
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the update was not applied")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if want := []string{"a@1", "b@1", "a@2", "b@2"}; !slices.Equal(seen, want) {
		t.Fatalf("stages saw %v, want %v", seen, want)
	}
}
