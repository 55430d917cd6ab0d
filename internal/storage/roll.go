package storage

// RollObserver learns that the log rolled to a new active segment starting
// at base. It is called with the Log's append lock held (from inside
// Append, AppendReplicated or retention), so it must be cheap and must not
// call back into the Log: the partition uses it only to note that a
// producer-state snapshot is due, and writes the snapshot after its append.
type RollObserver func(base int64)

// SetRollObserver installs fn (nil removes it); safe at any time.
func (l *Log) SetRollObserver(fn RollObserver) {
	if fn == nil {
		l.onRoll.Store(nil)
		return
	}
	l.onRoll.Store(&fn)
}

func (l *Log) notifyRoll(base int64) {
	if fn := l.onRoll.Load(); fn != nil {
		(*fn)(base)
	}
}
