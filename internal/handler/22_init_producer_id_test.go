package handler

import (
	"context"
	"math"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (dp *dataPath) initPID(version int16, txnID *string, pid int64, epoch int16) *kmsg.InitProducerIDResponse {
	dp.t.Helper()
	req := kmsg.NewPtrInitProducerIDRequest()
	req.SetVersion(version)
	req.TransactionalID, req.TransactionTimeoutMillis = txnID, 60000
	req.ProducerID, req.ProducerEpoch = pid, epoch
	return dp.h.initProducerID(context.Background(), req).(*kmsg.InitProducerIDResponse)
}

func TestInitProducerIDFreshIDs(t *testing.T) {
	dp := newDataPath(t)
	seen := map[int64]bool{}
	for i, v := range []int16{0, 1, 2, 3, 4, 4} {
		resp := dp.initPID(v, nil, -1, -1)
		if resp.ErrorCode != 0 || resp.ProducerEpoch != 0 || resp.ProducerID < 0 {
			t.Fatalf("v%d: %+v", v, resp)
		}
		if seen[resp.ProducerID] {
			t.Fatalf("request %d: producer id %d handed out twice", i, resp.ProducerID)
		}
		seen[resp.ProducerID] = true
	}
}

// Without a transactional id Kafka ignores the id and epoch a v3+ request
// carries and always hands out a fresh id at epoch 0, so one client cannot
// bump (and fence) another's producer id.
func TestInitProducerIDIgnoresGivenIDWithoutTransactionalID(t *testing.T) {
	dp := newDataPath(t)
	for _, epoch := range []int16{0, 3, math.MaxInt16 - 1} {
		resp := dp.initPID(4, nil, 77, epoch)
		if resp.ErrorCode != 0 || resp.ProducerID == 77 || resp.ProducerEpoch != 0 {
			t.Fatalf("request with 77/%d: %+v, want a fresh id at epoch 0", epoch, resp)
		}
	}
}

func TestInitProducerIDTransactional(t *testing.T) {
	dp := newDataPath(t)
	resp := dp.initPID(4, strp("txn-1"), -1, -1)
	if resp.ErrorCode != kerr.CoordinatorNotAvailable.Code || resp.ProducerID != -1 || resp.ProducerEpoch != -1 {
		t.Fatalf("transactional: %+v, want COORDINATOR_NOT_AVAILABLE with id -1", resp)
	}
	if dp.ids.next != 0 {
		t.Fatalf("a producer id was allocated for a transactional request")
	}
}

func TestInitProducerIDAllocationFails(t *testing.T) {
	dp := newDataPath(t)
	dp.ids.err = errPIDExhausted
	resp := dp.initPID(4, nil, -1, -1)
	if resp.ErrorCode != kerr.UnknownServerError.Code || resp.ProducerID != -1 || resp.ProducerEpoch != -1 {
		t.Fatalf("allocation failure: %+v", resp)
	}
}

// The ids handed out work with Produce: a fresh id at epoch 0 starts at
// any sequence; a second InitProducerId gives another id that starts over
// at 0 while the first id keeps working (nothing fences it).
func TestInitProducerIDThenProduce(t *testing.T) {
	dp := newDataPath(t, dpTopic("t", 1, 1, nil))
	r := dp.initPID(4, nil, -1, -1)
	dp.mustProduce("t", 0, idemBatch(t, r.ProducerID, r.ProducerEpoch, 0, 2))
	again := dp.initPID(4, nil, r.ProducerID, r.ProducerEpoch)
	if again.ProducerID == r.ProducerID {
		t.Fatalf("second InitProducerId returned the same id %d", again.ProducerID)
	}
	if off := dp.mustProduce("t", 0, idemBatch(t, again.ProducerID, again.ProducerEpoch, 0, 1)); off != 2 {
		t.Fatalf("new id: offset %d, want 2", off)
	}
	if off := dp.mustProduce("t", 0, idemBatch(t, r.ProducerID, r.ProducerEpoch, 2, 1)); off != 3 {
		t.Fatalf("first id continuing: offset %d, want 3", off)
	}
}

// Kafka rejects an empty transactional id with INVALID_REQUEST
// (TransactionCoordinator.handleInitProducerId); only a real id goes to
// the (missing) coordinator.
func TestInitProducerIDEmptyTransactionalID(t *testing.T) {
	dp := newDataPath(t)
	if resp := dp.initPID(4, strp(""), -1, -1); resp.ErrorCode != kerr.InvalidRequest.Code {
		t.Fatalf("empty transactional id: error %d, want INVALID_REQUEST (42)", resp.ErrorCode)
	}
}
