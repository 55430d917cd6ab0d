package handler

// InitProducerId, versions 0–5 (v5 only adds TRANSACTION_ABORTABLE to the
// codes a client understands, KIP-890; nothing here answers it).
//
// Idempotent producers (no transactional id) always get a fresh producer id
// at epoch 0, as Kafka gives them: the id and epoch a v3+ request carries
// (KIP-360) matter only to transactional producers, and honouring them here
// would let one client fence another's id. Ids come from ProducerIDs, which
// never hands out the same id twice, across restarts too. An empty
// transactional id is INVALID_REQUEST.
//
// With a transactional id the request goes to the transaction coordinator
// (this node must lead the id's __transaction_state partition, else
// NOT_COORDINATOR): it bumps the id's epoch (fencing older instances),
// aborting an open transaction first; a timeout above
// transaction.max.timeout.ms is INVALID_TRANSACTION_TIMEOUT. This file also
// holds what the transactional APIs (24–28, 65, 66) share: the coordinator
// interface (its errors become Kafka codes in errors.go, as all others).

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/txn"
)

var initProducerIDAPI = api{key: kmsg.InitProducerID, min: 0, max: 5, serve: (*Handler).initProducerID,
	authz: authzInitProducerID}

func (h *Handler) initProducerID(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.InitProducerIDRequest)
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	switch {
	case req.TransactionalID != nil && *req.TransactionalID == "":
		resp.ErrorCode = kerr.InvalidRequest.Code
		return resp
	case req.TransactionalID != nil:
		pid, epoch, err := h.Txn.InitProducerID(ctx, *req.TransactionalID, req.TransactionTimeoutMillis,
			req.ProducerID, req.ProducerEpoch)
		if err != nil {
			resp.ErrorCode = fencedCode(errorCode(err), req.Version, 4)
			return resp
		}
		resp.ProducerID, resp.ProducerEpoch = pid, epoch
		return resp
	}
	id, err := h.ProducerIDs.Next()
	if err != nil {
		h.Logger.Error("allocate producer id", "err", err)
		resp.ErrorCode = kerr.UnknownServerError.Code
		return resp
	}
	resp.ProducerID, resp.ProducerEpoch = id, 0
	return resp
}

// Transactions is the transaction coordinator as the transactional APIs use
// it. *txn.Coordinator satisfies it; every method is safe for concurrent
// use and may block on log writes until ctx ends.
type Transactions interface {
	PartitionFor(transactionalID string) int32
	Status(statePartition int32) (owned, loaded bool)
	InitProducerID(ctx context.Context, id string, timeoutMs int32, pid int64, epoch int16) (int64, int16, error)
	AddPartitions(ctx context.Context, id string, pid int64, epoch int16, parts []txn.TopicPartition) error
	EndTxn(ctx context.Context, id string, pid int64, epoch int16, commit bool) error
	Describe(id string) (txn.Info, error)
	List() []txn.Info
}

// noTxn stands in when Deps.Txn is nil.
type noTxn struct{}

func (noTxn) PartitionFor(string) int32         { return 0 }
func (noTxn) Status(int32) (bool, bool)         { return false, false }
func (noTxn) Describe(string) (txn.Info, error) { return txn.Info{}, errNoTxnCoordinator }
func (noTxn) List() []txn.Info                  { return nil }
func (noTxn) InitProducerID(context.Context, string, int32, int64, int16) (int64, int16, error) {
	return -1, -1, errNoTxnCoordinator
}
func (noTxn) AddPartitions(context.Context, string, int64, int16, []txn.TopicPartition) error {
	return errNoTxnCoordinator
}
func (noTxn) EndTxn(context.Context, string, int64, int16, bool) error { return errNoTxnCoordinator }

var errNoTxnCoordinator = errors.New("handler: no transaction coordinator")
