package handler

// Fetch, versions 4–16.
//
// Batches are returned exactly as stored, never re-encoded; when the
// network layer collects file regions (protocol.FetchRegions) they are not
// even copied, but sent from the segment files (sendfile). Consumers never
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
	"github.com/samsa-io/samsa/internal/storage"
	"github.com/samsa-io/samsa/protocol"
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
	// With a region collector in ctx (the network layer's), record sets
	// stay in the segment files until the response is written; each
	// re-read while waiting gives back the regions of the previous one.
	out := protocol.FetchRegionsFrom(ctx)
	var read fetchRead
	if out != nil {
		read.regions = &protocol.FetchRegions{}
	}
	defer read.regions.Release() // the regions not handed to out
	answer := func() kmsg.Response {
		h.countFetch(read, targets)
		if out != nil {
			read.regions.MoveTo(out)
		}
		return read.resp
	}
	deadline := time.NewTimer(time.Duration(max(req.MaxWaitMillis, 0)) * time.Millisecond)
	defer deadline.Stop()
	for {
		h.readFetch(req, targets, &read)
		if read.failed || read.total >= int(req.MinBytes) || req.MaxWaitMillis <= 0 {
			return answer()
		}
		select {
		case <-w:
		case <-deadline.C:
			h.readFetch(req, targets, &read)
			return answer()
		case <-ctx.Done():
			return read.resp
		}
	}
}

// fetchRead is one pass over a fetch's targets.
type fetchRead struct {
	resp    *kmsg.FetchResponse
	sizes   []int // record bytes per target
	total   int
	failed  bool                   // a partition answers an error
	regions *protocol.FetchRegions // nil: record sets are copied into resp
}

// countFetch records the answered fetch in the broker topic metrics.
func (h *Handler) countFetch(read fetchRead, targets []fetchTarget) {
	if h.Metrics == nil {
		return
	}
	for i, t := range targets {
		if !t.topicKnown {
			continue
		}
		sp := read.resp.Topics[t.topicIdx].Partitions[t.partIdx]
		h.Metrics.Fetched(t.name, read.sizes[i], sp.ErrorCode != 0)
	}
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

// readFetch builds a response from the current state of every target into
// read, releasing the regions of a previous pass. It records the bytes
// gathered and whether any partition failed (an error is answered at once
// rather than waited on).
func (h *Handler) readFetch(req *kmsg.FetchRequest, targets []fetchTarget, read *fetchRead) {
	read.regions.Release()
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
	read.resp, read.total, read.failed = resp, 0, false
	if cap(read.sizes) < len(targets) {
		read.sizes = make([]int, len(targets))
	}
	read.sizes = read.sizes[:len(targets)]
	for i, t := range targets {
		rt := &resp.Topics[t.topicIdx]
		sp, region := h.fetchPartition(req, t, &remaining, read.total == 0, read.regions != nil)
		if sp.ErrorCode != 0 {
			read.failed = true
		}
		n := len(sp.RecordBatches)
		if region.Len > 0 {
			n = region.Len
			read.regions.Add(t.topicIdx, len(rt.Partitions),
				protocol.FileRegion{File: region.File(), Pos: region.Pos, Len: region.Len}, region.Release)
		}
		read.sizes[i] = n
		read.total += n
		rt.Partitions = append(rt.Partitions, sp)
	}
}

// fetchPartition answers one target. With asRegion its record set is left
// in the segment file as the returned Region (which the caller releases)
// and RecordBatches stays empty.
func (h *Handler) fetchPartition(req *kmsg.FetchRequest, t fetchTarget, remaining *int, first, asRegion bool) (kmsg.FetchResponseTopicPartition, storage.Region) {
	sp := kmsg.NewFetchResponseTopicPartition()
	sp.Partition = t.req.Partition
	// Never null: librdkafka rejects a null record set (size -1) as a
	// parse failure; Kafka always sends an empty one.
	sp.RecordBatches = []byte{}
	sp.HighWatermark, sp.LastStableOffset, sp.LogStartOffset = -1, -1, -1
	sp.PreferredReadReplica = -1
	if code := fetchTargetError(req, t); code != 0 {
		sp.ErrorCode = code
		return sp, storage.Region{}
	}
	p := t.p
	bound := partition.UpToHighWatermark
	if t.replica >= 0 {
		if _, err := p.RecordFollowerFetch(t.replica, t.req.FetchOffset); err != nil {
			// The log start lets a follower that fell off it restart there.
			sp.ErrorCode, sp.LogStartOffset = errorCode(err), p.LogStartOffset()
			return sp, storage.Region{}
		}
		bound = partition.UpToLogEnd
	}
	hw, lso := p.HighWatermark(), p.LastStableOffset()
	sp.HighWatermark, sp.LastStableOffset, sp.LogStartOffset = hw, lso, p.LogStartOffset()
	if req.IsolationLevel == 1 && t.replica < 0 {
		bound = partition.UpToLastStable
		sp.AbortedTransactions = []kmsg.FetchResponseTopicPartitionAbortedTransaction{}
		for _, a := range p.AbortedTxns(t.req.FetchOffset, lso) {
			at := kmsg.NewFetchResponseTopicPartitionAbortedTransaction()
			at.ProducerID, at.FirstOffset = a.ProducerID, a.FirstOffset
			sp.AbortedTransactions = append(sp.AbortedTransactions, at)
		}
	}
	limit := min(int(t.req.PartitionMaxBytes), *remaining)
	if limit <= 0 && !first {
		return sp, storage.Region{}
	}
	if asRegion {
		region, err := p.ReadRegion(t.req.FetchOffset, max(limit, 1), bound)
		if err != nil {
			sp.ErrorCode = errorCode(err)
			return sp, storage.Region{}
		}
		if region.Len > limit && !first {
			region.Release()
			return sp, storage.Region{} // only the first partition may exceed the limits
		}
		*remaining -= region.Len
		return sp, region
	}
	read := p.Read
	switch bound {
	case partition.UpToLogEnd:
		read = p.ReadForReplica
	case partition.UpToLastStable:
		read = p.ReadCommitted
	}
	data, err := read(t.req.FetchOffset, max(limit, 1))
	if err != nil {
		sp.ErrorCode = errorCode(err)
		return sp, storage.Region{}
	}
	if len(data) > limit && !first {
		return sp, storage.Region{} // only the first partition may exceed the limits
	}
	if len(data) > 0 {
		sp.RecordBatches = data
	}
	*remaining -= len(data)
	return sp, storage.Region{}
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
