package metadata

import (
	"testing"
	"time"
)

func TestPublisherLatestWins(t *testing.T) {
	p := NewPublisher(nil)
	if p.Load() == nil {
		t.Fatal("Load returned nil")
	}
	ch, cancel := p.Subscribe()
	defer cancel()
	changed := p.Changed()
	var last *Image
	for i := 1; i <= 5; i++ {
		last = &Image{AppliedIndex: uint64(i)}
		p.Publish(last) // must not block although nobody reads ch
	}
	select {
	case <-changed:
	default:
		t.Fatal("Changed channel not closed after Publish")
	}
	select {
	case got := <-ch:
		if got != last {
			t.Fatalf("got image %d, want latest %d", got.AppliedIndex, last.AppliedIndex)
		}
	case <-time.After(time.Second):
		t.Fatal("no image delivered")
	}
	if p.Load() != last {
		t.Fatal("Load is not the latest image")
	}
}

func TestPublisherCancel(t *testing.T) {
	p := NewPublisher(nil)
	ch, cancel := p.Subscribe()
	cancel()
	cancel() // idempotent
	p.Publish(Empty())
	select {
	case <-ch:
		t.Fatal("cancelled subscription received an image")
	default:
	}
}
