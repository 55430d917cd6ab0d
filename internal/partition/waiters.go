package partition

import "sync"

// waiters are fetches parked until this partition changes. A Waiter is one
// channel shared by all the partitions a fetch reads, so one signal from
// any of them wakes it.
type waiters struct {
	mu  sync.Mutex
	set map[Waiter]struct{}
}

// Waiter is signalled (non-blocking, capacity 1) when a partition it is
// registered with gets new data or changes state.
type Waiter chan struct{}

// NewWaiter makes a Waiter.
func NewWaiter() Waiter { return make(Waiter, 1) }

func (w *waiters) init() { w.set = make(map[Waiter]struct{}) }

func (w *waiters) add(c Waiter) {
	w.mu.Lock()
	w.set[c] = struct{}{}
	w.mu.Unlock()
}

func (w *waiters) remove(c Waiter) {
	w.mu.Lock()
	delete(w.set, c)
	w.mu.Unlock()
}

func (w *waiters) wake() {
	w.mu.Lock()
	for c := range w.set {
		select {
		case c <- struct{}{}:
		default:
		}
	}
	w.mu.Unlock()
}

// Watch registers w to be signalled on the next change; the returned func
// unregisters it.
func (p *Partition) Watch(w Waiter) func() {
	p.waiters.add(w)
	return func() { p.waiters.remove(w) }
}
