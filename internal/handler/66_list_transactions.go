package handler

// ListTransactions, versions 0–1.
//
// The transactional ids this node coordinates, filtered by state names
// (unknown names are echoed in UnknownStateFilters), producer ids and, from
// v1, the minimum duration of the open transaction. Clients ask every
// broker and merge the answers.

import (
	"context"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/protocol/txnstate"
)

var listTransactionsAPI = api{key: kmsg.ListTransactions, min: 0, max: 1, serve: (*Handler).listTransactions,
	authz: authzListTransactions}

func (h *Handler) listTransactions(_ context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.ListTransactionsRequest)
	resp := req.ResponseKind().(*kmsg.ListTransactionsResponse)
	known := make(map[string]bool)
	for s := txnstate.Empty; s <= txnstate.PrepareEpochFence; s++ {
		known[s.String()] = true
	}
	for _, f := range req.StateFilters {
		if !known[f] {
			resp.UnknownStateFilters = append(resp.UnknownStateFilters, f)
		}
	}
	now := time.Now().UnixMilli()
	for _, in := range h.Txn.List() {
		if len(req.StateFilters) > 0 && !slices.Contains(req.StateFilters, in.State.String()) {
			continue
		}
		if len(req.ProducerIDFilters) > 0 && !slices.Contains(req.ProducerIDFilters, in.ProducerID) {
			continue
		}
		if req.DurationFilterMillis > 0 && (in.StartMs < 0 || now-in.StartMs < req.DurationFilterMillis) {
			continue
		}
		st := kmsg.NewListTransactionsResponseTransactionState()
		st.TransactionalID, st.ProducerID, st.TransactionState = in.TransactionalID, in.ProducerID, in.State.String()
		resp.TransactionStates = append(resp.TransactionStates, st)
	}
	return resp
}
