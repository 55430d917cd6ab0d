package handler

// EndTxn, versions 0–3.
//
// Commits or aborts the producer's transaction. The answer comes once the
// decision is durable in __transaction_state; the markers are normally
// written before that too, and retried in the background otherwise (the
// producer's next transactional request then waits with
// CONCURRENT_TRANSACTIONS). A repeated EndTxn of a finished transaction
// succeeds; a commit of an aborted one is INVALID_TXN_STATE.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

var endTxnAPI = api{key: kmsg.EndTxn, min: 0, max: 3, serve: (*Handler).endTxn}

func (h *Handler) endTxn(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.EndTxnRequest)
	resp := req.ResponseKind().(*kmsg.EndTxnResponse)
	if err := h.Txn.EndTxn(ctx, req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit); err != nil {
		resp.ErrorCode = txnErrorCode(err)
	}
	return resp
}
