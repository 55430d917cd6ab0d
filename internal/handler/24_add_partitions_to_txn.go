package handler

// AddPartitionsToTxn, versions 0–5.
//
// v0–v3 are the producer's form: one transaction. v4+ (KIP-890 part 1)
// batch several transactions and are meant for brokers, which send them
// with VerifyOnly to check, before appending a transactional batch, that
// the producer really added the partition; so v4+ need CLUSTER_ACTION
// where v0–v3 need WRITE on the transactional id (authzAddPartitionsToTxn).
// Samsa does not send v4+ itself (it verifies nothing on Produce, as
// Kafka with transaction.version below 2 and verification off), but
// serves them for Kafka tooling and brokers that do.
//
// Each transaction's partitions must all exist, else
// UNKNOWN_TOPIC_OR_PARTITION on the unknown ones and OPERATION_NOT_ATTEMPTED
// on the rest. Otherwise, without VerifyOnly, the coordinator adds them
// and its answer (success, PRODUCER_FENCED, CONCURRENT_TRANSACTIONS,
// NOT_COORDINATOR, ...) is put on every partition. With VerifyOnly nothing
// is added: a wrong producer id or epoch or a completing transaction
// answers every partition as above, otherwise each partition gets success
// when it is in the ongoing transaction and, when not,
// TRANSACTION_ABORTABLE from v5 on (the code KIP-890 added so the
// producer aborts and carries on) and INVALID_TXN_STATE at v4, as Kafka's
// coordinator answers. A v0/v1 producer gets INVALID_PRODUCER_EPOCH where
// later ones get PRODUCER_FENCED (it came in v2).

import (
	"context"
	"errors"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/acl"
	"github.com/samsa-io/samsa/internal/txn"
	"github.com/samsa-io/samsa/protocol/txnstate"
)

var addPartitionsToTxnAPI = api{key: kmsg.AddPartitionsToTxn, min: 0, max: 5, serve: (*Handler).addPartitionsToTxn,
	authz: authzAddPartitionsToTxn}

// txnAddition is one transaction of a request: the v0–v3 top-level fields
// or one v4+ Transactions entry.
type txnAddition struct {
	id         string
	pid        int64
	epoch      int16
	verifyOnly bool
	topics     []kmsg.AddPartitionsToTxnRequestTransactionTopic
}

// txnAdditions lists req's transactions in either form.
func txnAdditions(req *kmsg.AddPartitionsToTxnRequest) []txnAddition {
	if req.Version < 4 {
		a := txnAddition{id: req.TransactionalID, pid: req.ProducerID, epoch: req.ProducerEpoch}
		for _, t := range req.Topics {
			a.topics = append(a.topics, kmsg.AddPartitionsToTxnRequestTransactionTopic{Topic: t.Topic, Partitions: t.Partitions})
		}
		return []txnAddition{a}
	}
	out := make([]txnAddition, 0, len(req.Transactions))
	for _, t := range req.Transactions {
		out = append(out, txnAddition{id: t.TransactionalID, pid: t.ProducerID, epoch: t.ProducerEpoch,
			verifyOnly: t.VerifyOnly, topics: t.Topics})
	}
	return out
}

func (h *Handler) addPartitionsToTxn(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.AddPartitionsToTxnRequest)
	resp := req.ResponseKind().(*kmsg.AddPartitionsToTxnResponse)
	for _, a := range txnAdditions(req) {
		topics := h.addTxnPartitions(ctx, req.Version, a)
		if req.Version < 4 {
			resp.Topics = topics
			continue
		}
		rt := kmsg.NewAddPartitionsToTxnResponseTransaction()
		rt.TransactionalID = a.id
		for _, t := range topics {
			rt.Topics = append(rt.Topics, kmsg.AddPartitionsToTxnResponseTransactionTopic{Topic: t.Topic,
				Partitions: convertPartitionResults(t.Partitions)})
		}
		resp.Transactions = append(resp.Transactions, rt)
	}
	return resp
}

func convertPartitionResults(ps []kmsg.AddPartitionsToTxnResponseTopicPartition) []kmsg.AddPartitionsToTxnResponseTransactionTopicPartition {
	out := make([]kmsg.AddPartitionsToTxnResponseTransactionTopicPartition, 0, len(ps))
	for _, p := range ps {
		out = append(out, kmsg.AddPartitionsToTxnResponseTransactionTopicPartition{Partition: p.Partition, ErrorCode: p.ErrorCode})
	}
	return out
}

// addTxnPartitions serves one transaction and returns its per-partition
// results.
func (h *Handler) addTxnPartitions(ctx context.Context, version int16, a txnAddition) []kmsg.AddPartitionsToTxnResponseTopic {
	im := h.Image()
	var parts []txn.TopicPartition
	codes := make(map[txn.TopicPartition]int16)
	unknown := false
	for _, t := range a.topics {
		for _, p := range t.Partitions {
			tp := txn.TopicPartition{Topic: t.Topic, Partition: p}
			if _, ok := im.PartitionOf(t.Topic, p); !ok {
				codes[tp], unknown = kerr.UnknownTopicOrPartition.Code, true
			}
			parts = append(parts, tp)
		}
	}
	var code int16
	switch {
	case unknown:
		code = kerr.OperationNotAttempted.Code
	case a.id == "":
		code = kerr.InvalidRequest.Code
	case a.verifyOnly:
		code = h.verifyTxnPartitions(version, a, parts, codes)
	default:
		if err := h.Txn.AddPartitions(ctx, a.id, a.pid, a.epoch, parts); err != nil {
			code = errorCode(err)
		}
	}
	code = fencedCode(code, version, 2)
	return partitionResults(a.topics, codes, code)
}

// verifyTxnPartitions checks that parts are in a's ongoing transaction,
// setting each one's code in codes; a non-zero result applies to all.
func (h *Handler) verifyTxnPartitions(version int16, a txnAddition, parts []txn.TopicPartition,
	codes map[txn.TopicPartition]int16) int16 {
	info, err := h.Txn.Describe(a.id)
	switch {
	case errors.Is(err, txn.ErrUnknownTransactionalID):
		return kerr.InvalidProducerIDMapping.Code
	case err != nil:
		return errorCode(err)
	case info.ProducerID != a.pid:
		return kerr.InvalidProducerIDMapping.Code
	case info.Epoch != a.epoch:
		return kerr.ProducerFenced.Code
	case info.State == txnstate.PrepareCommit || info.State == txnstate.PrepareAbort:
		return kerr.ConcurrentTransactions.Code
	}
	missing := kerr.TransactionAbortable.Code
	if version < 5 {
		missing = kerr.InvalidTxnState.Code
	}
	for _, tp := range parts {
		if !slices.Contains(info.Partitions, tp) {
			codes[tp] = missing
		}
	}
	return 0
}

// partitionResults answers every partition of topics with its own code
// from codes, or code.
func partitionResults(topics []kmsg.AddPartitionsToTxnRequestTransactionTopic, codes map[txn.TopicPartition]int16,
	code int16) []kmsg.AddPartitionsToTxnResponseTopic {
	var out []kmsg.AddPartitionsToTxnResponseTopic
	for _, t := range topics {
		rt := kmsg.NewAddPartitionsToTxnResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewAddPartitionsToTxnResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p, code
			if c, ok := codes[txn.TopicPartition{Topic: t.Topic, Partition: p}]; ok {
				rp.ErrorCode = c
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		out = append(out, rt)
	}
	return out
}

// fencedCode turns PRODUCER_FENCED into INVALID_PRODUCER_EPOCH for
// requests older than since, the version that introduced the code
// (KIP-588); older clients treat the unknown code as fatal noise.
func fencedCode(code, version, since int16) int16 {
	if code == kerr.ProducerFenced.Code && version < since {
		return kerr.InvalidProducerEpoch.Code
	}
	return code
}

// authzAddPartitionsToTxn: v0–v3 come from producers and need WRITE on the
// transactional id, else TRANSACTIONAL_ID_AUTHORIZATION_FAILED on every
// partition, and WRITE on every topic, else TOPIC_AUTHORIZATION_FAILED on
// the denied topics' partitions and OPERATION_NOT_ATTEMPTED on the rest;
// v4+ come from brokers and need CLUSTER_ACTION, else
// CLUSTER_AUTHORIZATION_FAILED at the top level (Kafka's KafkaApis).
func authzAddPartitionsToTxn(z *authz, kreq kmsg.Request) (func(kmsg.Response), kmsg.Response) {
	req := kreq.(*kmsg.AddPartitionsToTxnRequest)
	if req.Version >= 4 {
		return wholeCluster(acl.OpClusterAction)(z, kreq)
	}
	topics := txnAdditions(req)[0].topics
	resp := req.ResponseKind().(*kmsg.AddPartitionsToTxnResponse)
	if !z.can(acl.OpWrite, acl.TransactionalID(req.TransactionalID)) {
		resp.Topics = partitionResults(topics, nil, kerr.TransactionalIDAuthorizationFailed.Code)
		return nil, resp
	}
	denied := make(map[txn.TopicPartition]int16)
	canWrite := z.canTopic(acl.OpWrite)
	for _, t := range topics {
		if !canWrite(t.Topic) {
			for _, p := range t.Partitions {
				denied[txn.TopicPartition{Topic: t.Topic, Partition: p}] = kerr.TopicAuthorizationFailed.Code
			}
		}
	}
	if len(denied) == 0 {
		return nil, nil
	}
	resp.Topics = partitionResults(topics, denied, kerr.OperationNotAttempted.Code)
	return nil, resp
}
