package handler

import (
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/samsa-io/samsa/internal/group"
	"github.com/samsa-io/samsa/internal/partition"
	"github.com/samsa-io/samsa/internal/txn"
)

// The transaction coordinator's errors are answered through the one table
// (errors.go), wrapped as the coordinator returns them, and win over a
// domain error they wrap.
func TestErrorCodeOfTransactionErrors(t *testing.T) {
	for _, c := range []struct {
		err  error
		want *kerr.Error
	}{
		{txn.ErrNotCoordinator, kerr.NotCoordinator},
		{txn.ErrLoadInProgress, kerr.CoordinatorLoadInProgress},
		{txn.ErrConcurrentTransactions, kerr.ConcurrentTransactions},
		{txn.ErrProducerFenced, kerr.ProducerFenced},
		{txn.ErrInvalidProducerIDMapping, kerr.InvalidProducerIDMapping},
		{txn.ErrInvalidTxnState, kerr.InvalidTxnState},
		{txn.ErrInvalidTimeout, kerr.InvalidTransactionTimeout},
		{txn.ErrUnknownTransactionalID, kerr.TransactionalIDNotFound},
		{group.ErrProducerFenced, kerr.ProducerFenced},
		{errNoTxnCoordinator, kerr.CoordinatorNotAvailable},
		{fmt.Errorf("%w: append: %w", txn.ErrNotCoordinator, partition.ErrNotLeader), kerr.NotCoordinator},
	} {
		wrapped := fmt.Errorf("transactional id %q: %w", "t1", c.err)
		if got := errorCode(wrapped); got != c.want.Code {
			t.Errorf("errorCode(%v) = %v, want %v", wrapped, kerr.ErrorForCode(got), c.want)
		}
	}
}
