package handler

// InitProducerId, versions 0–4.
//
// Idempotent producers (no transactional id) always get a fresh producer id
// at epoch 0, as Kafka gives them: the id and epoch a v3+ request carries
// (KIP-360) matter only to transactional producers, and honouring them here
// would let one client fence another's id. Ids come from ProducerIDs, which
// never hands out the same id twice, across restarts too. An empty
// transactional id is INVALID_REQUEST. Transactional ids need
// the transaction coordinator, which is not built yet: such requests get
// COORDINATOR_NOT_AVAILABLE so clients fail clearly instead of misbehaving.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

var initProducerIDAPI = api{key: kmsg.InitProducerID, min: 0, max: 4, serve: (*Handler).initProducerID}

func (h *Handler) initProducerID(_ context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.InitProducerIDRequest)
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	switch {
	case req.TransactionalID != nil && *req.TransactionalID == "":
		resp.ErrorCode = kerr.InvalidRequest.Code
		return resp
	case req.TransactionalID != nil:
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
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
