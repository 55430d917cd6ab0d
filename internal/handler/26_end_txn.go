package handler

// EndTxn, versions 0–5.
//
// Commits or aborts the producer's transaction. The answer comes once the
// decision is durable in __transaction_state; the markers are normally
// written before that too, and retried in the background otherwise (the
// producer's next transactional request then waits with
// CONCURRENT_TRANSACTIONS). A repeated EndTxn of a finished transaction
// succeeds; a commit of an aborted one is INVALID_TXN_STATE. A v0/v1
// producer gets INVALID_PRODUCER_EPOCH where later ones get
// PRODUCER_FENCED.
//
// v4 adds TRANSACTION_ABORTABLE to the codes a client understands (never
// answered here). v5 answers the producer id and epoch to use for the next
// transaction: under KIP-890 part 2 (transaction.version 2) the epoch is
// bumped at every EndTxn, but Samsa finalizes transaction.version 0
// (features.go), so clients keep EndTxn at v4 or read back the id and
// epoch they sent, which a successful EndTxn has just checked are the
// current ones. On error both are -1, as Kafka answers.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

var endTxnAPI = api{key: kmsg.EndTxn, min: 0, max: 5, serve: (*Handler).endTxn,
	authz: authzTxn(kmsg.EndTxn, func(r *kmsg.EndTxnRequest) string { return r.TransactionalID })}

func (h *Handler) endTxn(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.EndTxnRequest)
	resp := req.ResponseKind().(*kmsg.EndTxnResponse)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	if err := h.Txn.EndTxn(ctx, req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit); err != nil {
		resp.ErrorCode = fencedCode(errorCode(err), req.Version, 2)
		return resp
	}
	// Echoed rather than read back: a concurrent InitProducerId may already
	// have bumped the epoch, and that new epoch belongs to another instance.
	resp.ProducerID, resp.ProducerEpoch = req.ProducerID, req.ProducerEpoch
	return resp
}
