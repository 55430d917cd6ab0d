package metadata

import (
	"sync"
	"sync/atomic"
)

// Publisher holds the current image and tells subscribers about new ones.
//
// Publish is called by a single writer (the controller's FSM); Load,
// Subscribe and Changed are safe from any goroutine. Publish never blocks:
// each subscription channel has a buffer of one and holds only the latest
// image, so a slow subscriber skips intermediate images but always ends up
// with the newest one.
type Publisher struct {
	cur atomic.Pointer[Image]

	mu      sync.Mutex
	changed chan struct{}
	subs    map[*subscription]struct{}
}

type subscription struct {
	ch chan *Image
}

// NewPublisher returns a publisher whose current image is initial
// (metadata.Empty() if nil).
func NewPublisher(initial *Image) *Publisher {
	if initial == nil {
		initial = Empty()
	}
	p := &Publisher{changed: make(chan struct{}), subs: map[*subscription]struct{}{}}
	p.cur.Store(initial)
	return p
}

// Load returns the current image. It never returns nil.
func (p *Publisher) Load() *Image { return p.cur.Load() }

// Changed returns a channel closed at the next Publish. Call Load after it
// closes, then Changed again to wait for the following one.
func (p *Publisher) Changed() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.changed
}

// Subscribe returns a channel that receives the latest image after every
// Publish (older undelivered images are dropped) and a function that ends
// the subscription. The channel is never closed.
func (p *Publisher) Subscribe() (<-chan *Image, func()) {
	s := &subscription{ch: make(chan *Image, 1)}
	p.mu.Lock()
	p.subs[s] = struct{}{}
	p.mu.Unlock()
	var once sync.Once
	cancel := func() {
		once.Do(func() {
			p.mu.Lock()
			delete(p.subs, s)
			p.mu.Unlock()
		})
	}
	return s.ch, cancel
}

// Publish makes im the current image and notifies waiters. im must not be
// modified afterwards.
func (p *Publisher) Publish(im *Image) {
	p.cur.Store(im)
	p.mu.Lock()
	defer p.mu.Unlock()
	close(p.changed)
	p.changed = make(chan struct{})
	for s := range p.subs {
		offer(s.ch, im)
	}
}

// offer puts im in a one-slot channel, replacing an undelivered older image.
// Only Publish sends (under p.mu), so after draining the slot the send
// cannot block.
func offer(ch chan *Image, im *Image) {
	select {
	case ch <- im:
		return
	default:
	}
	select {
	case <-ch:
	default:
	}
	ch <- im
}
