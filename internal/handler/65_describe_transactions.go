package handler

// DescribeTransactions, version 0.
//
// The coordinator's state of each transactional id (this node must lead
// its __transaction_state partition, else NOT_COORDINATOR): producer id and
// epoch, state name as Kafka spells it, timeout, start of the open
// transaction and its partitions. An id without state answers
// TRANSACTIONAL_ID_NOT_FOUND.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

var describeTransactionsAPI = api{key: kmsg.DescribeTransactions, min: 0, max: 0, serve: (*Handler).describeTransactions,
	authz: authzDescribeTransactions}

func (h *Handler) describeTransactions(_ context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.DescribeTransactionsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeTransactionsResponse)
	for _, id := range req.TransactionalIDs {
		st := kmsg.NewDescribeTransactionsResponseTransactionState()
		st.TransactionalID, st.ProducerID, st.ProducerEpoch, st.StartTimestamp = id, -1, -1, -1
		info, err := h.Txn.Describe(id)
		if err != nil {
			st.ErrorCode = errorCode(err)
			resp.TransactionStates = append(resp.TransactionStates, st)
			continue
		}
		st.State, st.TimeoutMillis, st.StartTimestamp = info.State.String(), info.TimeoutMs, info.StartMs
		st.ProducerID, st.ProducerEpoch = info.ProducerID, info.Epoch
		for _, tp := range info.Partitions {
			if n := len(st.Topics); n > 0 && st.Topics[n-1].Topic == tp.Topic {
				st.Topics[n-1].Partitions = append(st.Topics[n-1].Partitions, tp.Partition)
				continue
			}
			t := kmsg.NewDescribeTransactionsResponseTransactionStateTopic()
			t.Topic, t.Partitions = tp.Topic, []int32{tp.Partition}
			st.Topics = append(st.Topics, t)
		}
		resp.TransactionStates = append(resp.TransactionStates, st)
	}
	return resp
}
