package handler

// FindCoordinator, versions 0–5.
//
// Key type 0 (group): the coordinator is the leader of partition
// abs(javaHash(group)) % offsets.topic.num.partitions of __consumer_offsets.
// The first lookup creates that topic through the active controller,
// forwarding the creation when this node is not it, as Kafka does
// (cleanup.policy=compact, segment.bytes from offsets.topic.segment.bytes); with fewer live brokers
// than offsets.topic.replication.factor the answer is COORDINATOR_NOT_AVAILABLE,
// as in Kafka. While this node leads the partition but its coordinator has
// not loaded it yet, the answer is COORDINATOR_NOT_AVAILABLE too. Kafka
// answers from metadata alone, but its coordinator takes leadership in the
// same metadata update, so a client seldom reaches one still loading;
// Samsa's learns of it a moment later. COORDINATOR_NOT_AVAILABLE is the
// one answer every client retries: kafkajs 2.2.4 fails a consumer on any
// other FindCoordinator error, and fails sendOffsets when the
// TxnOffsetCommit that follows answers NOT_COORDINATOR or
// COORDINATOR_LOAD_IN_PROGRESS. Key type 1 (transaction): the leader of
// partition abs(javaHash(id)) % transaction.state.log.num.partitions of
// __transaction_state, created on first use the same way
// (transaction.state.log.replication.factor, min.insync.replicas from
// transaction.state.log.min.isr).
// v4+ batches keys (CoordinatorKeys) and answers one entry per key.
// The coordinator's address is its endpoint for the listener the request
// arrived on; a coordinator without that listener is
// COORDINATOR_NOT_AVAILABLE.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/controller"
	"github.com/samsa-io/samsa/internal/group"
	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/txn"
)

var findCoordinatorAPI = api{key: kmsg.FindCoordinator, min: 0, max: 5, serve: (*Handler).findCoordinator,
	authz: authzFindCoordinator}

// coordinator is one FindCoordinator answer.
type coordinator struct {
	node int32
	host string
	port int32
	err  *kerr.Error
}

func (h *Handler) findCoordinator(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.FindCoordinatorRequest)
	resp := req.ResponseKind().(*kmsg.FindCoordinatorResponse)
	if req.Version < 4 {
		c := h.coordinatorFor(ctx, req.CoordinatorType, req.CoordinatorKey)
		resp.NodeID, resp.Host, resp.Port = c.node, c.host, c.port
		if c.err != nil {
			resp.ErrorCode, resp.ErrorMessage = c.err.Code, &c.err.Description
		}
		return resp
	}
	for _, key := range req.CoordinatorKeys {
		c := h.coordinatorFor(ctx, req.CoordinatorType, key)
		rc := kmsg.NewFindCoordinatorResponseCoordinator()
		rc.Key, rc.NodeID, rc.Host, rc.Port = key, c.node, c.host, c.port
		if c.err != nil {
			rc.ErrorCode, rc.ErrorMessage = c.err.Code, &c.err.Description
		}
		resp.Coordinators = append(resp.Coordinators, rc)
	}
	return resp
}

func (h *Handler) coordinatorFor(ctx context.Context, keyType int8, key string) coordinator {
	fail := func(e *kerr.Error) coordinator { return coordinator{node: -1, port: -1, err: e} }
	switch {
	case keyType == 1 && key != "":
		return h.txnCoordinatorFor(ctx, key)
	case keyType != 0:
		return fail(kerr.InvalidRequest)
	case key == "":
		return fail(kerr.InvalidRequest)
	}
	t, err := h.offsetsTopic(ctx)
	if err != nil {
		if !errors.Is(err, errNoOffsetsTopic) && !errors.Is(err, errCreationForwarded) {
			h.Logger.Warn("create offsets topic", "err", err)
		}
		return fail(kerr.CoordinatorNotAvailable)
	}
	p := h.Groups.PartitionFor(key)
	b, ok := h.liveLeader(t, p)
	if !ok || b.ID == h.NodeID && h.Groups.Status(p) != group.Loaded {
		return fail(kerr.CoordinatorNotAvailable)
	}
	return coordinatorAt(ctx, b)
}

// liveLeader is the unfenced broker leading partition p of an internal
// topic: the coordinator of the keys that hash to p.
func (h *Handler) liveLeader(t *metadata.Topic, p int32) (metadata.Broker, bool) {
	pm, ok := t.Partition(p)
	if !ok {
		return metadata.Broker{}, false
	}
	b, ok := h.Image().Brokers[pm.Leader]
	return b, ok && !b.Fenced
}

// coordinatorAt answers with b's endpoint for the request's listener, or
// COORDINATOR_NOT_AVAILABLE when b lacks it (the client could not reach
// it, as in Kafka).
func coordinatorAt(ctx context.Context, b metadata.Broker) coordinator {
	ep, ok := b.EndpointFor(clientOf(ctx).listener)
	if !ok {
		return coordinator{node: -1, port: -1, err: kerr.CoordinatorNotAvailable}
	}
	return coordinator{node: b.ID, host: ep.Host, port: ep.Port}
}

var errNoOffsetsTopic = errors.New("handler: offsets topic cannot be created yet")

// tooFewBrokersEvery is how often at most the reason an internal topic
// cannot be created is logged.
const tooFewBrokersEvery = 30 * time.Second

// tooFewBrokersLog says in the server log, as Kafka does, why clients see
// only COORDINATOR_NOT_AVAILABLE: an internal topic needs more live brokers
// than there are. At most once per tooFewBrokersEvery; safe for concurrent
// use.
type tooFewBrokersLog struct{ last atomic.Int64 }

func (l *tooFewBrokersLog) warn(logger *slog.Logger, topic, setting string, live, rf int) {
	now := time.Now().UnixNano()
	last := l.last.Load()
	if (last != 0 && now-last < int64(tooFewBrokersEvery)) || !l.last.CompareAndSwap(last, now) {
		return
	}
	logger.Warn(fmt.Sprintf("cannot create %s: %d live brokers, fewer than its replication factor %d (%s); "+
		"its coordinators stay unavailable until enough brokers are up or the setting is lowered",
		topic, live, rf, setting), "topic", topic, "live_brokers", live, "replication_factor", rf)
}

// offsetsTopic returns __consumer_offsets, creating it on first use.
func (h *Handler) offsetsTopic(ctx context.Context) (*metadata.Topic, error) {
	im := h.Image()
	if t, ok := im.Topic(group.OffsetsTopic); ok {
		return t, nil
	}
	rf := h.Config.OffsetsTopicReplicationFactor
	if live := len(im.LiveBrokers()); live < int(rf) {
		h.tooFewBrokers.warn(h.Logger, group.OffsetsTopic, "offsets.topic.replication.factor", live, int(rf))
		return nil, errNoOffsetsTopic
	}
	t, err := h.createTopicOnController(ctx, controller.CreateTopicRequest{
		Name: group.OffsetsTopic, NumPartitions: h.Config.OffsetsTopicNumPartitions, ReplicationFactor: rf,
		Configs: map[string]string{
			"cleanup.policy": "compact", "segment.bytes": strconv.FormatInt(h.Config.OffsetsTopicSegmentBytes, 10), "compression.type": "producer",
		},
	})
	if errors.Is(err, controller.ErrTopicExists) {
		if t, ok := h.Image().Topic(group.OffsetsTopic); ok {
			return t, nil
		}
	}
	return t, err
}

// txnCoordinatorFor answers FindCoordinator for a transactional id.
func (h *Handler) txnCoordinatorFor(ctx context.Context, id string) coordinator {
	fail := func(e *kerr.Error) coordinator { return coordinator{node: -1, port: -1, err: e} }
	t, err := h.txnStateTopic(ctx)
	if err != nil {
		if !errors.Is(err, errNoOffsetsTopic) && !errors.Is(err, errCreationForwarded) {
			h.Logger.Warn("create transaction state topic", "err", err)
		}
		return fail(kerr.CoordinatorNotAvailable)
	}
	p := h.Txn.PartitionFor(id)
	b, ok := h.liveLeader(t, p)
	if !ok {
		return fail(kerr.CoordinatorNotAvailable)
	}
	if b.ID == h.NodeID {
		if _, loaded := h.Txn.Status(p); !loaded {
			return fail(kerr.CoordinatorNotAvailable)
		}
	}
	return coordinatorAt(ctx, b)
}

// txnStateTopic returns __transaction_state, creating it on first use.
func (h *Handler) txnStateTopic(ctx context.Context) (*metadata.Topic, error) {
	im := h.Image()
	if t, ok := im.Topic(txn.StateTopic); ok {
		return t, nil
	}
	rf := h.Config.TransactionStateLogReplicationFactor
	if live := len(im.LiveBrokers()); live < int(rf) {
		h.tooFewBrokers.warn(h.Logger, txn.StateTopic, "transaction.state.log.replication.factor", live, int(rf))
		return nil, errNoOffsetsTopic
	}
	t, err := h.createTopicOnController(ctx, controller.CreateTopicRequest{
		Name: txn.StateTopic, NumPartitions: h.Config.TransactionStateLogNumPartitions, ReplicationFactor: rf,
		Configs: map[string]string{
			"cleanup.policy": "compact", "compression.type": "uncompressed",
			"min.insync.replicas": strconv.Itoa(int(h.Config.TransactionStateLogMinIsr)),
		},
	})
	if errors.Is(err, controller.ErrTopicExists) {
		if t, ok := h.Image().Topic(txn.StateTopic); ok {
			return t, nil
		}
	}
	return t, err
}
