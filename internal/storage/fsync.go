package storage

import (
	"os"
	"time"
)

// FsyncObserver receives the duration of every segment fsync (flush, roll,
// close). It is called on the goroutine that synced, after the fsync, and
// must be cheap (a histogram observation).
type FsyncObserver func(time.Duration)

// SetFsyncObserver installs fn (nil removes it); safe at any time.
func (l *Log) SetFsyncObserver(fn FsyncObserver) {
	if fn == nil {
		l.onFsync.Store(nil)
		return
	}
	l.onFsync.Store(&fn)
}

// syncFile fsyncs a segment file and reports the time it took.
func (l *Log) syncFile(f *os.File) error {
	obs := l.onFsync.Load()
	if obs == nil {
		return f.Sync()
	}
	start := time.Now()
	err := f.Sync()
	(*obs)(time.Since(start))
	return err
}
