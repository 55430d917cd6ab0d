package handler

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/controller"
	"github.com/samsa-io/samsa/internal/group"
	"github.com/samsa-io/samsa/internal/partition"
	"github.com/samsa-io/samsa/internal/storage"
	"github.com/samsa-io/samsa/internal/txn"
	"github.com/samsa-io/samsa/protocol/records"
)

// errorMapping is the one place where domain errors become Kafka error
// codes. Order matters only where one error wraps another: the transaction
// coordinator's come first, so that an error of its that wraps another
// domain error answers as the transaction's.
var errorMapping = []struct {
	err  error
	kerr *kerr.Error
}{
	{txn.ErrNotCoordinator, kerr.NotCoordinator},
	{txn.ErrLoadInProgress, kerr.CoordinatorLoadInProgress},
	{txn.ErrConcurrentTransactions, kerr.ConcurrentTransactions},
	{txn.ErrProducerFenced, kerr.ProducerFenced},
	{txn.ErrInvalidProducerIDMapping, kerr.InvalidProducerIDMapping},
	{txn.ErrInvalidTxnState, kerr.InvalidTxnState},
	{txn.ErrInvalidTimeout, kerr.InvalidTransactionTimeout},
	{txn.ErrUnknownTransactionalID, kerr.TransactionalIDNotFound},
	{group.ErrProducerFenced, kerr.ProducerFenced}, // a TxnOffsetCommit's
	{errNoTxnCoordinator, kerr.CoordinatorNotAvailable},
	{records.ErrCorrupt, kerr.CorruptMessage},
	{records.ErrTooLarge, kerr.MessageTooLarge},
	{records.ErrUnsupportedMagic, kerr.UnsupportedForMessageFormat},
	{records.ErrInvalidRecord, kerr.InvalidRecord},
	{storage.ErrOffsetOutOfRange, kerr.OffsetOutOfRange},
	{storage.ErrStorage, kerr.KafkaStorageError},
	{partition.ErrNotLeader, kerr.NotLeaderForPartition},
	{partition.ErrUnknownPartition, kerr.UnknownTopicOrPartition},
	{partition.ErrOutOfOrderSequence, kerr.OutOfOrderSequenceNumber},
	{partition.ErrInvalidProducerEpoch, kerr.InvalidProducerEpoch},
	{partition.ErrCoordinatorFenced, kerr.TransactionCoordinatorFenced},
	{partition.ErrFencedLeaderEpoch, kerr.FencedLeaderEpoch},
	{partition.ErrUnknownLeaderEpoch, kerr.UnknownLeaderEpoch},
	{partition.ErrClosed, kerr.NotLeaderForPartition},
	{partition.ErrNotFollower, kerr.NotLeaderForPartition},
	{partition.ErrFollowerAhead, kerr.OffsetOutOfRange},
	{partition.ErrNotEnoughReplicas, kerr.NotEnoughReplicas},
	{partition.ErrNotEnoughReplicasAfterAppend, kerr.NotEnoughReplicasAfterAppend},
	{controller.ErrTopicExists, kerr.TopicAlreadyExists},
	{controller.ErrUnknownTopic, kerr.UnknownTopicOrPartition},
	{controller.ErrInvalidPartitions, kerr.InvalidPartitions},
	{controller.ErrInvalidReplicationFactor, kerr.InvalidReplicationFactor},
	{controller.ErrInvalidReplicaAssignment, kerr.InvalidReplicaAssignment},
	{controller.ErrInvalidConfig, kerr.InvalidConfig},
	{controller.ErrNotController, kerr.NotController},
	{controller.ErrNotLeader, kerr.NotLeaderForPartition},
	{controller.ErrFencedLeaderEpoch, kerr.FencedLeaderEpoch},
	{controller.ErrInvalidUpdateVersion, kerr.InvalidUpdateVersion},
	{controller.ErrIneligibleReplica, kerr.IneligibleReplica},
	{controller.ErrInvalidRequest, kerr.InvalidRequest},
	{controller.ErrUnknownBroker, kerr.BrokerIDNotRegistered},
	{controller.ErrStaleBrokerEpoch, kerr.StaleBrokerEpoch},
	{controller.ErrNoReassignmentInProgress, kerr.NoReassignmentInProgress},
	{controller.ErrElectionNotNeeded, kerr.ElectionNotNeeded},
	{controller.ErrPreferredLeaderNotAvailable, kerr.PreferredLeaderNotAvailable},
	{controller.ErrEligibleLeadersNotAvailable, kerr.EligibleLeadersNotAvailable},
	{config.ErrUnknownTopicConfig, kerr.InvalidConfig},
	{config.ErrInvalidConfigValue, kerr.InvalidConfig},
	{errInvalidTopic, kerr.InvalidTopicException},
	{errInvalidRequest, kerr.InvalidRequest},
	{errPolicyViolation, kerr.PolicyViolation},
	{errUnknownTopicID, kerr.UnknownTopicID},
	{errTopicDeletionDisabled, kerr.TopicDeletionDisabled},
	{errUnsupportedEndpointType, kerr.UnsupportedEndpointType},
	{group.ErrNotCoordinator, kerr.NotCoordinator},
	{group.ErrLoadInProgress, kerr.CoordinatorLoadInProgress},
	{group.ErrCoordinatorUnavailable, kerr.CoordinatorNotAvailable},
	{group.ErrInvalidGroupID, kerr.InvalidGroupID},
	{group.ErrUnknownMemberID, kerr.UnknownMemberID},
	{group.ErrMemberIDRequired, kerr.MemberIDRequired},
	{group.ErrIllegalGeneration, kerr.IllegalGeneration},
	{group.ErrRebalanceInProgress, kerr.RebalanceInProgress},
	{group.ErrFencedInstanceID, kerr.FencedInstanceID},
	{group.ErrInvalidSessionTimeout, kerr.InvalidSessionTimeout},
	{group.ErrInconsistentProtocol, kerr.InconsistentGroupProtocol},
	{group.ErrGroupIDNotFound, kerr.GroupIDNotFound},
	{group.ErrNonEmptyGroup, kerr.NonEmptyGroup},
	{group.ErrGroupMaxSize, kerr.GroupMaxSizeReached},
	{group.ErrMetadataTooLarge, kerr.OffsetMetadataTooLarge},
	{group.ErrSubscribedToTopic, kerr.GroupSubscribedToTopic},
	{group.ErrUnsupportedAssignor, kerr.UnsupportedAssignor},
	{group.ErrFencedMemberEpoch, kerr.FencedMemberEpoch},
	{group.ErrStaleMemberEpoch, kerr.StaleMemberEpoch},
	{group.ErrInvalidRegularExpression, kerr.InvalidRegularExpression},
	{group.ErrUnreleasedInstanceID, kerr.UnreleasedInstanceID},
	{context.DeadlineExceeded, kerr.RequestTimedOut},
}

var (
	errInvalidTopic   = errors.New("handler: invalid topic")
	errInvalidRequest = errors.New("handler: invalid request")
	// errPolicyViolation: a request beyond one of Kafka's fixed limits.
	errPolicyViolation = errors.New("handler: policy violation")

	errUnknownTopicID          = errors.New("handler: unknown topic id")
	errTopicDeletionDisabled   = errors.New("handler: topic deletion disabled")
	errUnsupportedEndpointType = errors.New("handler: unsupported endpoint type")
)

// kafkaError maps err to a Kafka error; nil maps to nil, anything unknown to
// UNKNOWN_SERVER_ERROR.
func kafkaError(err error) *kerr.Error {
	if err == nil {
		return nil
	}
	for _, m := range errorMapping {
		if errors.Is(err, m.err) {
			return m.kerr
		}
	}
	return kerr.UnknownServerError
}

// errorCode is kafkaError as the int16 the wire carries.
func errorCode(err error) int16 {
	if e := kafkaError(err); e != nil {
		return e.Code
	}
	return 0
}

// errorMessage is the human message for responses that carry one (Kafka
// puts the exception message there), or nil when err is nil.
func errorMessage(err error) *string {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, m := range errorMapping {
		prefix := m.err.Error() + ": "
		if errors.Is(err, m.err) && len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
			msg = msg[len(prefix):] // Kafka's message, without our sentinel's prefix
			break
		}
	}
	return &msg
}
