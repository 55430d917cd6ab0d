package storage

import (
	"fmt"
	"time"
)

// flusher is the Log's background goroutine. It fsyncs rolled segments
// (so the recovery point follows rolls, as in Kafka), applies the forced
// flush policy (flush.messages, flush.ms) grouping many appends into one
// fsync, and removes files whose deletion delay has passed. Started by
// Open, stopped by Close.
type flusher struct {
	kick chan struct{} // capacity 1: a pending wake-up
	quit chan struct{}
	done chan struct{}
}

func (f *flusher) start(l *Log) {
	f.kick = make(chan struct{}, 1)
	f.quit = make(chan struct{})
	f.done = make(chan struct{})
	go f.run(l)
}

// wake asks the flusher to look at the log soon; it never blocks.
func (f *flusher) wake() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// stop ends the goroutine and waits for it; safe to call twice.
func (f *flusher) stop() {
	select {
	case <-f.quit:
	default:
		close(f.quit)
	}
	<-f.done
}

func (f *flusher) run(l *Log) {
	defer close(f.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	lastFlush := time.Now()
	for {
		timer.Reset(l.nextWake(lastFlush))
		select {
		case <-f.quit:
			return
		case <-f.kick:
		case <-timer.C:
		}
		if l.Failed() == nil && l.flushDue(lastFlush) { // an offline log is not flushed again
			lastFlush = time.Now()
			if err := l.Flush(); err != nil {
				l.logger.Error("background flush", "err", err)
			}
		}
		l.runDeletions(false)
	}
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

// nextWake is how long the flusher may sleep.
func (l *Log) nextWake(lastFlush time.Time) time.Duration {
	d := time.Hour
	if iv := l.config().flushInterval(); iv > 0 {
		d = min(d, max(time.Until(lastFlush.Add(iv)), time.Millisecond))
	}
	if at, ok := l.nextDeletion(); ok {
		d = min(d, max(time.Until(at), time.Millisecond))
	}
	return d
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
