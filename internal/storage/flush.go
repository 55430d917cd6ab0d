package storage

import (
	"fmt"
	"sync"
	"time"
)

// flusher runs the Log's background work: it fsyncs rolled segments (so
// the recovery point follows rolls, as in Kafka), applies the forced flush
// policy (flush.messages, flush.ms) grouping many appends into one fsync,
// and removes files whose deletion delay has passed. Its goroutine exists
// only while there is work or a deadline to wait for: wake starts it, and
// it exits once nothing is due and no deadline is pending (with the default
// flush policy and no file awaiting deletion), so thousands of idle
// partitions cost no goroutines or timers. Stopped by Close.
//
// mu guards running, stopped and done; lastFlush belongs to the running
// goroutine (one at a time, handed over through mu).
type flusher struct {
	l         *Log
	mu        sync.Mutex
	running   bool
	stopped   bool
	done      chan struct{} // closed when the running goroutine exits
	kick      chan struct{} // capacity 1: a pending wake-up for the running goroutine
	quit      chan struct{} // closed by stop
	lastFlush time.Time
}

func (f *flusher) init(l *Log) {
	f.l = l
	f.kick = make(chan struct{}, 1)
	f.quit = make(chan struct{})
	f.lastFlush = time.Now()
}

// wake asks the flusher to look at the log soon; it never blocks.
func (f *flusher) wake() {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.stopped:
	case f.running:
		select {
		case f.kick <- struct{}{}:
		default:
		}
	default:
		f.running = true
		f.done = make(chan struct{})
		go f.run(f.done)
	}
}

// stop ends the goroutine, if any, and waits for it; safe to call twice.
func (f *flusher) stop() {
	f.mu.Lock()
	if !f.stopped {
		f.stopped = true
		close(f.quit)
	}
	running, done := f.running, f.done
	f.mu.Unlock()
	if running {
		<-done
	}
}

func (f *flusher) run(done chan struct{}) {
	defer close(done)
	l := f.l
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		if l.Failed() == nil && l.flushDue(f.lastFlush) { // an offline log is not flushed again
			f.lastFlush = time.Now()
			if err := l.Flush(); err != nil {
				l.logger.Error("background flush", "err", err)
			}
		}
		l.runDeletions(false)
		wait, ok := l.nextWake(f.lastFlush)
		if !ok && f.idle() {
			return
		}
		if !ok {
			continue // woken while deciding to stop
		}
		if timer == nil {
			timer = time.NewTimer(wait)
		} else {
			timer.Reset(wait)
		}
		select {
		case <-f.quit:
			return
		case <-f.kick:
		case <-timer.C:
		}
	}
}

// idle ends the running goroutine's turn unless a wake-up came in or the
// flusher is stopping; it reports whether the goroutine should return.
func (f *flusher) idle() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return true
	}
	select {
	case <-f.kick:
		return false
	default:
	}
	f.running = false
	return true
}

// flushDue reports whether a rolled segment waits for fsync or the forced
// flush policy asks for one now.
func (l *Log) flushDue(lastFlush time.Time) bool {
	cfg := l.config()
	l.appendMu.Lock()
	rolled := len(l.unsynced) > 0
	l.appendMu.Unlock()
	if rolled || l.unflushedMsgs.Load() >= cfg.FlushIntervalMessages {
		return true
	}
	iv := cfg.flushInterval()
	return iv > 0 && l.unflushedMsgs.Load() > 0 && time.Since(lastFlush) >= iv
}

// nextWake is how long the flusher may sleep, and false when it has no
// deadline to wait for (nothing unflushed under flush.ms, no file awaiting
// deletion): then only a wake-up brings it back.
func (l *Log) nextWake(lastFlush time.Time) (time.Duration, bool) {
	d, ok := time.Hour, false
	if iv := l.config().flushInterval(); iv > 0 && l.unflushedMsgs.Load() > 0 {
		d, ok = min(d, max(time.Until(lastFlush.Add(iv)), time.Millisecond)), true
	}
	if at, pending := l.nextDeletion(); pending {
		d, ok = min(d, max(time.Until(at), time.Millisecond)), true
	}
	return d, ok
}

// Flush fsyncs every segment written since the last flush and its index
// files, then advances the recovery point and persists it. Appends go on
// while the fsyncs run.
func (l *Log) Flush() error {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	return l.flushLocked()
}

// FlushTo makes every offset below end durable, returning at once if an
// earlier flush already covered it. Appenders that must not answer before
// their data is on disk (flush.messages reached) call it after Append;
// while one fsync runs the others queue on flushMu and then usually find
// their offsets covered, so one fsync serves the whole group.
func (l *Log) FlushTo(end int64) error {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	if l.recoveryPoint >= end {
		return nil
	}
	return l.flushLocked()
}

// FlushDue reports whether the messages appended since the last flush
// reach flush.messages (log.flush.interval.messages).
func (l *Log) FlushDue() bool {
	return l.unflushedMsgs.Load() >= l.config().FlushIntervalMessages
}

// flushLocked is Flush with flushMu held.
func (l *Log) flushLocked() error {
	l.appendMu.Lock()
	l.mu.RLock()
	closed := l.closed
	var act *segment
	if !closed {
		act = l.active()
	}
	l.mu.RUnlock()
	if err := l.Failed(); err != nil {
		l.appendMu.Unlock()
		return err // offline, closed or not: KAFKA_STORAGE_ERROR
	}
	if closed {
		l.appendMu.Unlock()
		return ErrClosed
	}
	todo := append(l.unsynced[:len(l.unsynced):len(l.unsynced)], act)
	leo := l.leo.Load()
	msgs := l.unflushedMsgs.Load()
	l.appendMu.Unlock()

	for _, s := range todo {
		if err := l.syncFile(s.f); err != nil {
			return l.fail(fmt.Errorf("flush segment %d: %w", s.base, err))
		}
		if err := s.writeIndexes(true); err != nil {
			return l.fail(fmt.Errorf("flush: %w", err))
		}
	}
	l.appendMu.Lock()
	l.unsynced = l.unsynced[len(todo)-1:]
	l.appendMu.Unlock()
	l.unflushedMsgs.Add(-msgs)
	if leo == l.recoveryPoint {
		return nil
	}
	l.recoveryPoint = leo
	return writeState(l.dir, logState{RecoveryPoint: leo, LogStartOffset: l.logStart.Load()})
}
