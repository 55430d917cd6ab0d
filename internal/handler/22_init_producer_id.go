package handler

// InitProducerId, versions 0–4.
//
// Idempotent producers (no transactional id) get a fresh producer id at
// epoch 0. From v3 a producer may pass its current id and epoch to have the
// epoch bumped after a sequence error (KIP-360); when the epoch would
// overflow it gets a new id instead. Ids come from ProducerIDs, which never
// hands out the same id twice, across restarts too. Transactional ids need
// the transaction coordinator, which is not built yet: such requests get
// COORDINATOR_NOT_AVAILABLE so clients fail clearly instead of misbehaving.

import (
	"context"
	"math"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

var initProducerIDAPI = api{key: kmsg.InitProducerID, min: 0, max: 4, serve: (*Handler).initProducerID}

func (h *Handler) initProducerID(_ context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.InitProducerIDRequest)
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	if req.TransactionalID != nil {
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	}
	if req.ProducerID >= 0 && req.ProducerEpoch >= 0 && req.ProducerEpoch < math.MaxInt16-1 {
		resp.ProducerID, resp.ProducerEpoch = req.ProducerID, req.ProducerEpoch+1
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
