package nodedir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/samsa-io/samsa/internal/storage"
)

// Lock creates every log dir and the metadata dir and locks each
// (storage.LockDir) before anything in them is opened: a second process
// on the same directories fails here at once, naming the locked file,
// instead of blocking on the metadata store's own lock. On an error it
// releases what it took; the caller releases the locks returned last, once
// nothing in the dirs is open any more.
func Lock(logDirs []string, metadataDir string) ([]*storage.DirLock, error) {
	// One lock a directory: flock conflicts between two descriptors of the
	// same process too, so "/data" and "/data/" must not both be locked.
	var dirs []string
	for _, dir := range append(slices.Clone(logDirs), metadataDir) {
		if dir = filepath.Clean(dir); !slices.Contains(dirs, dir) {
			dirs = append(dirs, dir)
		}
	}
	var locks []*storage.DirLock
	for _, dir := range dirs {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, errors.Join(fmt.Errorf("create log dir: %w", err), Release(locks))
		}
		l, err := storage.LockDir(dir)
		if err != nil {
			return nil, errors.Join(err, Release(locks))
		}
		locks = append(locks, l)
	}
	return locks, nil
}

// Release releases locks.
func Release(locks []*storage.DirLock) error {
	var errs []error
	for _, l := range locks {
		errs = append(errs, l.Release())
	}
	return errors.Join(errs...)
}
