package group

import "errors"

// Errors returned by the coordinator; package handler maps each to the
// Kafka error code of the same name.
var (
	ErrNotCoordinator           = errors.New("group: not coordinator")
	ErrLoadInProgress           = errors.New("group: coordinator load in progress")
	ErrCoordinatorUnavailable   = errors.New("group: coordinator not available")
	ErrInvalidGroupID           = errors.New("group: invalid group id")
	ErrUnknownMemberID          = errors.New("group: unknown member id")
	ErrMemberIDRequired         = errors.New("group: member id required")
	ErrIllegalGeneration        = errors.New("group: illegal generation")
	ErrRebalanceInProgress      = errors.New("group: rebalance in progress")
	ErrFencedInstanceID         = errors.New("group: fenced instance id")
	ErrInvalidSessionTimeout    = errors.New("group: invalid session timeout")
	ErrInconsistentProtocol     = errors.New("group: inconsistent group protocol")
	ErrGroupIDNotFound          = errors.New("group: group id not found")
	ErrNonEmptyGroup            = errors.New("group: non-empty group")
	ErrGroupMaxSize             = errors.New("group: group max size reached")
	ErrMetadataTooLarge         = errors.New("group: offset metadata too large")
	ErrSubscribedToTopic        = errors.New("group: group subscribed to topic")
	ErrUnsupportedAssignor      = errors.New("group: unsupported assignor")
	ErrFencedMemberEpoch        = errors.New("group: fenced member epoch")
	ErrStaleMemberEpoch         = errors.New("group: stale member epoch")
	ErrInvalidRegularExpression = errors.New("group: invalid regular expression")
	ErrUnreleasedInstanceID     = errors.New("group: unreleased instance id")
)
