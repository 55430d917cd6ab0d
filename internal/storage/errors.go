package storage

import "errors"

// Errors returned by the log.
var (
	ErrOffsetOutOfRange = errors.New("storage: offset out of range")
	ErrClosed           = errors.New("storage: log closed")
	ErrInvalidAppend    = errors.New("storage: invalid append")
	// ErrStorage marks a failure of the disk under a log (a write, fsync,
	// roll or open that failed with an I/O error such as ENOSPC or EIO).
	// Kafka answers it with KAFKA_STORAGE_ERROR; the log is then offline
	// and refuses appends and reads until the process restarts.
	ErrStorage = errors.New("storage: log directory failure")

	errTornTail      = errors.New("storage: torn tail")
	errBadIndex      = errors.New("storage: bad index")
	errBadCheckpoint = errors.New("storage: bad checkpoint")
)
