package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// LockFileName is the file in every log directory and in the metadata
// directory that a running node holds an exclusive lock on, as Kafka does,
// so that a second process on the same directories fails at once instead
// of corrupting them or blocking.
const LockFileName = ".lock"

// ErrDirLocked means another process holds a directory's lock.
var ErrDirLocked = errors.New("directory is locked by another process")

// DirLock is a held lock on one directory's .lock file. The lock is an
// flock on an open file description: the kernel releases it when the
// process exits, however it exits, and a second open in the same process
// does not get it either.
type DirLock struct {
	f *os.File
}

// LockDir takes the lock on dir/.lock without waiting, creating the file
// if needed. dir must exist.
func LockDir(dir string) (*DirLock, error) {
	path := filepath.Join(dir, LockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("failed to acquire lock on file %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("failed to acquire lock on file %s: %w (is another samsa server using it?)", path, ErrDirLocked)
		}
		return nil, fmt.Errorf("failed to acquire lock on file %s: %w", path, err)
	}
	return &DirLock{f: f}, nil
}

// Release gives the lock up. The file stays: removing it could let two
// processes hold locks on two different files of the same name.
func (l *DirLock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the last descriptor releases the flock
	l.f = nil
	return err
}
