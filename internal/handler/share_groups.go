package handler

// Share groups (KIP-932): what the four share APIs (76–79) have in
// common. The handler owns a share.Manager (Deps.Share, built from the
// broker's group.share.* settings when nil): the share-group coordinator
// for the groups whose __consumer_offsets partition this node leads, and
// the share-partitions of the partitions it leads. Nothing of it is
// durable yet (docs/share-groups.md).

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/group"
	"github.com/samsa-io/samsa/internal/share"
)

// shareConfig is the share.Manager configuration of the broker's
// group.share.* settings.
func shareConfig(b *config.Broker) share.Config {
	cfg := share.DefaultConfig()
	if b == nil {
		return cfg
	}
	s := b.ShareGroups
	cfg.Partition = share.PartitionConfig{LockDuration: time.Duration(s.RecordLockDurationMs) * time.Millisecond,
		DeliveryLimit: int16(s.DeliveryCountLimit), MaxInFlight: int(s.PartitionMaxRecordLocks)}
	cfg.Coordinator = share.CoordinatorConfig{SessionTimeout: time.Duration(s.SessionTimeoutMs) * time.Millisecond,
		HeartbeatInterval: time.Duration(s.HeartbeatIntervalMs) * time.Millisecond, MaxSize: int(s.MaxSize)}
	cfg.MaxSessions = int(s.MaxShareSessions)
	return cfg
}

// shareErrors maps the share package's errors to Kafka's.
var shareErrors = []struct {
	err  error
	kerr *kerr.Error
}{
	{share.ErrInvalidRecordState, kerr.InvalidRecordState},
	{share.ErrInvalidAck, kerr.InvalidRequest},
	{share.ErrInvalidRequest, kerr.InvalidRequest},
	{share.ErrUnknownMember, kerr.UnknownMemberID},
	{share.ErrFencedMemberEpoch, kerr.FencedMemberEpoch},
	{share.ErrGroupMaxSize, kerr.GroupMaxSizeReached},
	{share.ErrGroupNotFound, kerr.GroupIDNotFound},
	{share.ErrNotShareGroup, kerr.GroupIDNotFound},
	{share.ErrNonEmptyGroup, kerr.NonEmptyGroup},
	{share.ErrSessionNotFound, kerr.ShareSessionNotFound},
	{share.ErrInvalidSessionEpoch, kerr.InvalidShareSessionEpoch},
	{share.ErrSessionLimit, kerr.ShareSessionLimitReached},
}

// shareError is the Kafka error code and message of err: the share
// package's errors map here, the rest as errorCode does.
func shareError(err error) (int16, *string) {
	if err == nil {
		return 0, nil
	}
	for _, m := range shareErrors {
		if errors.Is(err, m.err) {
			msg := strings.TrimPrefix(err.Error(), m.err.Error()+": ")
			return m.kerr.Code, &msg
		}
	}
	return errorCode(err), errorMessage(err)
}

// shareCoordinatorError is the error a share-group request for id gets
// when this node does not coordinate id, as for any group: the share group
// lives where its __consumer_offsets partition is led.
func (h *Handler) shareCoordinatorError(id string) error {
	switch h.Groups.Status(h.Groups.PartitionFor(id)) {
	case group.Loaded:
		return nil
	case group.Loading:
		return group.ErrLoadInProgress
	}
	return group.ErrNotCoordinator
}

// notShareGroup reports whether id names a classic or consumer group
// here: a share group cannot have its id (Kafka answers GROUP_ID_NOT_FOUND,
// "Group g is not a share group.").
func (h *Handler) notShareGroup(id string) bool {
	groups, _ := h.Groups.ListGroups()
	for _, g := range groups {
		if g.ID == id {
			return true
		}
	}
	return false
}

// clientHost is the client host as Kafka shows it in group descriptions.
func clientHost(ctx context.Context) string { return "/" + clientOf(ctx).host }

// deleteShareGroup deletes share group id (DeleteGroups) and the state of
// its share-partitions on this node.
func (h *Handler) deleteShareGroup(id string) (int16, *string) {
	if err := h.shareCoordinatorError(id); err != nil {
		return shareError(err)
	}
	if err := h.Share.Coordinator().Delete(id, time.Now()); err != nil {
		return shareError(err)
	}
	h.Share.DeleteGroup(id)
	return 0, nil
}
