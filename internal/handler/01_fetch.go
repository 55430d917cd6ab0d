package handler

// Fetch, versions 4–16.
//
// Batches are returned exactly as stored, never re-encoded. Consumers never
// see past the high watermark; read_committed consumers (IsolationLevel 1)
// never past the last stable offset (the first offset of the oldest open
// transaction), and get the aborted transactions overlapping the range
// from the fetch offset to the LSO, so they can drop aborted records.
// Every answer carries the partition's LSO.
// MaxBytes and PartitionMaxBytes are honoured, except that the first
// partition with data always returns at least one whole batch (KIP-74) so a
// batch larger than the limits cannot stall a consumer. With MinBytes and
// MaxWaitMillis the request parks on a Waiter that appends signal; it is
// answered when enough bytes are available, the wait expires, or the
// connection closes — nothing polls.
//
// Fetch sessions (KIP-227) are not kept: we answer session id 0, which tells
// clients to send full fetch requests; a request naming a session gets
// FETCH_SESSION_ID_NOT_FOUND. From v13 topics are named by topic ID.
//
// A fetch from a follower (ReplicaID >= 0 before v15, ReplicaState.ID from
// v15) is served by the leader only, reads up to the log end offset rather
// than the high watermark, and records the fetch offset as that follower's
// log end offset (which moves the high watermark and the ISR). A replica
// outside the partition's replica set, or a fetch to a non-leader, gets
// NOT_LEADER_OR_FOLLOWER; a stale or newer CurrentLeaderEpoch gets
// FENCED_LEADER_EPOCH or UNKNOWN_LEADER_EPOCH; a fetch offset beyond the
// leader's log end gets OFFSET_OUT_OF_RANGE (the follower then truncates by
// leader epoch).

import (
	"context"
	"math"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/partition"
)

var fetchAPI = api{key: kmsg.Fetch, min: 4, max: 16, serve: (*Handler).fetch,
	authz: authzFetch, parks: fetchParks, bytes: fetchByteRate}

// fetchTarget is one requested partition resolved against the image.
type fetchTarget struct {
	topicIdx, partIdx int
	name              string
	known             bool // the partition exists
	topicKnown        bool
	p                 *partition.Partition
	offline           error // p is nil because this node's replica is offline (KAFKA_STORAGE_ERROR)
	req               kmsg.FetchRequestTopicPartition
	replica           int32 // fetching follower, or -1 for a consumer
}

func (h *Handler) fetch(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.FetchRequest)
	if req.SessionID != 0 || (req.SessionEpoch != 0 && req.SessionEpoch != -1) {
		resp := req.ResponseKind().(*kmsg.FetchResponse)
		resp.ErrorCode = kerr.FetchSessionIDNotFound.Code
		return resp
	}
	targets := h.resolveFetch(h.Image(), req, fetchReplicaID(req))
	w := partition.NewWaiter()
	for _, t := range targets {
		if t.p != nil {
			defer t.p.Watch(w)()
		}
	}
	deadline := time.NewTimer(time.Duration(max(req.MaxWaitMillis, 0)) * time.Millisecond)
	defer deadline.Stop()
	for {
		resp, size, failed := h.readFetch(req, targets)
		if failed || size >= int(req.MinBytes) || req.MaxWaitMillis <= 0 {
			return h.countFetch(resp, targets)
		}
		select {
		case <-w:
		case <-deadline.C:
			resp, _, _ = h.readFetch(req, targets)
			return h.countFetch(resp, targets)
		case <-ctx.Done():
			return resp
		}
	}
}

// countFetch records the answered fetch in the broker topic metrics.
func (h *Handler) countFetch(resp *kmsg.FetchResponse, targets []fetchTarget) *kmsg.FetchResponse {
	if h.Metrics == nil {
		return resp
	}
	for _, t := range targets {
		if !t.topicKnown {
			continue
		}
		sp := resp.Topics[t.topicIdx].Partitions[t.partIdx]
		h.Metrics.Fetched(t.name, len(sp.RecordBatches), sp.ErrorCode != 0)
	}
	return resp
}

// fetchReplicaID is the fetching replica's node ID, or -1 for a consumer.
func fetchReplicaID(req *kmsg.FetchRequest) int32 {
	if req.Version >= 15 {
		return req.ReplicaState.ID
	}
	return req.ReplicaID
}

func (h *Handler) resolveFetch(im *metadata.Image, req *kmsg.FetchRequest, replica int32) []fetchTarget {
	var targets []fetchTarget
	for ti, rt := range req.Topics {
		name := rt.Topic
		if req.Version >= 13 {
			if t, ok := im.TopicByID(rt.TopicID); ok {
				name = t.Name
			} else {
				name = ""
			}
		}
		_, topicKnown := im.Topic(name)
		for pi, rp := range rt.Partitions {
			pm, known := im.PartitionOf(name, rp.Partition)
			t := fetchTarget{topicIdx: ti, partIdx: pi, name: name, known: known, topicKnown: topicKnown, req: rp,
				replica: replica}
			// Consumers read from the leader; from v11 (KIP-392) a follower
			// may serve them too. Followers fetch from the leader only.
			if known && (pm.Leader == h.NodeID || (req.Version >= 11 && replica < 0)) {
				t.p = h.Partitions.Partition(name, rp.Partition)
				if t.p == nil {
					t.offline = h.Partitions.Offline(name, rp.Partition)
				}
			}
			targets = append(targets, t)
		}
	}
	return targets
}

// readFetch builds a response from the current state of every target. It
// reports the bytes gathered and whether any partition failed (an error is
// answered at once rather than waited on).
func (h *Handler) readFetch(req *kmsg.FetchRequest, targets []fetchTarget) (*kmsg.FetchResponse, int, bool) {
	resp := req.ResponseKind().(*kmsg.FetchResponse)
	resp.Topics = make([]kmsg.FetchResponseTopic, len(req.Topics))
	for i, rt := range req.Topics {
		resp.Topics[i] = kmsg.NewFetchResponseTopic()
		resp.Topics[i].Topic, resp.Topics[i].TopicID = rt.Topic, rt.TopicID
	}
	remaining := math.MaxInt32
	if req.MaxBytes > 0 {
		remaining = int(req.MaxBytes)
	}
	total, failed := 0, false
	for _, t := range targets {
		sp := h.fetchPartition(req, t, &remaining, total == 0)
		if sp.ErrorCode != 0 {
			failed = true
		}
		total += len(sp.RecordBatches)
		rt := &resp.Topics[t.topicIdx]
		rt.Partitions = append(rt.Partitions, sp)
	}
	return resp, total, failed
}

func (h *Handler) fetchPartition(req *kmsg.FetchRequest, t fetchTarget, remaining *int, first bool) kmsg.FetchResponseTopicPartition {
	sp := kmsg.NewFetchResponseTopicPartition()
	sp.Partition = t.req.Partition
	// Never null: librdkafka rejects a null record set (size -1) as a
	// parse failure; Kafka always sends an empty one.
	sp.RecordBatches = []byte{}
	sp.HighWatermark, sp.LastStableOffset, sp.LogStartOffset = -1, -1, -1
	sp.PreferredReadReplica = -1
	if code := fetchTargetError(req, t); code != 0 {
		sp.ErrorCode = code
		return sp
	}
	p := t.p
	read := p.Read
	if t.replica >= 0 {
		if _, err := p.RecordFollowerFetch(t.replica, t.req.FetchOffset); err != nil {
			// The log start lets a follower that fell off it restart there.
			sp.ErrorCode, sp.LogStartOffset = errorCode(err), p.LogStartOffset()
			return sp
		}
		read = p.ReadForReplica
	}
	hw, lso := p.HighWatermark(), p.LastStableOffset()
	sp.HighWatermark, sp.LastStableOffset, sp.LogStartOffset = hw, lso, p.LogStartOffset()
	if req.IsolationLevel == 1 && t.replica < 0 {
		read = p.ReadCommitted
		sp.AbortedTransactions = []kmsg.FetchResponseTopicPartitionAbortedTransaction{}
		for _, a := range p.AbortedTxns(t.req.FetchOffset, lso) {
			at := kmsg.NewFetchResponseTopicPartitionAbortedTransaction()
			at.ProducerID, at.FirstOffset = a.ProducerID, a.FirstOffset
			sp.AbortedTransactions = append(sp.AbortedTransactions, at)
		}
	}
	limit := min(int(t.req.PartitionMaxBytes), *remaining)
	if limit <= 0 && !first {
		return sp
	}
	data, err := read(t.req.FetchOffset, max(limit, 1))
	if err != nil {
		sp.ErrorCode = errorCode(err)
		return sp
	}
	if len(data) > limit && !first {
		return sp // only the first partition may exceed the limits
	}
	if len(data) > 0 {
		sp.RecordBatches = data
	}
	*remaining -= len(data)
	return sp
}

// fetchTargetError checks that we can serve the target at all.
func fetchTargetError(req *kmsg.FetchRequest, t fetchTarget) int16 {
	switch {
	case !t.topicKnown && req.Version >= 13:
		return kerr.UnknownTopicID.Code
	case !t.known:
		return kerr.UnknownTopicOrPartition.Code
	case t.p == nil && t.offline != nil:
		return kerr.KafkaStorageError.Code
	case t.p == nil:
		return kerr.NotLeaderForPartition.Code
	}
	return leaderEpochError(t.req.CurrentLeaderEpoch, t.p.LeaderEpoch())
}

// leaderEpochError compares a client's idea of the leader epoch with ours
// (KIP-320): an older epoch is fenced, a newer one unknown to us yet; -1
// means the client does not check.
func leaderEpochError(clientEpoch, ours int32) int16 {
	switch {
	case clientEpoch < 0:
		return 0
	case clientEpoch < ours:
		return kerr.FencedLeaderEpoch.Code
	case clientEpoch > ours:
		return kerr.UnknownLeaderEpoch.Code
	}
	return 0
}
