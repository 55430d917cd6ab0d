package storage

import "errors"

// Errors returned by the log.
var (
	ErrOffsetOutOfRange = errors.New("storage: offset out of range")
	ErrClosed           = errors.New("storage: log closed")
	ErrInvalidAppend    = errors.New("storage: invalid append")

	errTornTail      = errors.New("storage: torn tail")
	errBadIndex      = errors.New("storage: bad index")
	errBadCheckpoint = errors.New("storage: bad checkpoint")
)
