package handler

// ShareFetch, versions 1–2 (KIP-932; v2 adds the record-limit acquire mode
// of KIP-1206 and RENEW acknowledgements of KIP-1222).
//
// A member fetches through a share session (keyed by group and member id):
// epoch 0 opens it (a member's previous session on this node is closed and
// its records released), each later request carries the next epoch
// (INVALID_SHARE_SESSION_EPOCH otherwise; SHARE_SESSION_NOT_FOUND when
// there is none), and -1 closes it after applying the request's
// acknowledgements, releasing the member's records. Topics adds
// partitions to the session and ForgottenTopicsData removes them; every
// partition of the session is fetched. Acknowledgements ride along (not on
// an opening request: INVALID_REQUEST) and their result is each
// partition's AcknowledgeErrorCode.
//
// For each partition this node leads, the share-partition (started at the
// high watermark the first time the group uses it) tells where to read;
// the stored batches from there are returned whole, with the offset
// ranges this member acquired and their delivery counts. MaxRecords bounds
// the records acquired over the whole request; in batch-optimized mode
// (ShareAcquireMode 0) the last batch is acquired whole, in record-limit
// mode (1) never more than MaxRecords. Control batches are never
// delivered. With nothing to acquire the request waits up to
// MaxWaitMillis for new records, an expiring acquisition lock or records
// another member releases. A
// ShareFetch carrying RENEW acknowledgements (IsRenewAck) acquires
// nothing. Only read_uncommitted is served: the group config
// share.isolation.level is not supported yet.
//
// Needs READ on the group (else GROUP_AUTHORIZATION_FAILED for the whole
// request) and READ on each topic (TOPIC_AUTHORIZATION_FAILED for its
// partitions).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/partition"
	"github.com/samsa-io/samsa/internal/share"
	"github.com/samsa-io/samsa/protocol/records"
)

var shareFetchAPI = api{key: kmsg.ShareFetch, min: 1, max: 2, serve: (*Handler).shareFetch,
	authz: authzShareFetch, parks: shareFetchParks}

// shareFetchBudget is what is left of a ShareFetch's limits.
type shareFetchBudget struct {
	records int
	bytes   int
	strict  bool
}

func (h *Handler) shareFetch(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.ShareFetchRequest)
	resp := req.ResponseKind().(*kmsg.ShareFetchResponse)
	fail := func(err error) kmsg.Response {
		resp.ErrorCode, resp.ErrorMessage = shareError(err)
		return resp
	}
	groupID, memberID := deref(req.GroupID), deref(req.MemberID)
	if groupID == "" || memberID == "" {
		return fail(fmt.Errorf("%w: GroupId and MemberId must be set", share.ErrInvalidRequest))
	}
	hasAcks := false
	var add []share.TopicIDPartition
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			add = append(add, share.TopicIDPartition{TopicID: t.TopicID, Partition: p.Partition})
			hasAcks = hasAcks || len(p.AcknowledgementBatches) > 0
		}
	}
	if req.ShareSessionEpoch == share.InitialEpoch && hasAcks {
		return fail(fmt.Errorf("%w: Acknowledge data present on initial ShareFetchRequest", share.ErrInvalidRequest))
	}
	var forget []share.TopicIDPartition
	for _, t := range req.ForgottenTopicsData {
		for _, p := range t.Partitions {
			forget = append(forget, share.TopicIDPartition{TopicID: t.TopicID, Partition: p})
		}
	}
	now := time.Now()
	parts, err := h.Share.UseSession(share.SessionRequest{Group: groupID, MemberID: memberID,
		Epoch: req.ShareSessionEpoch, Add: add, Forget: forget}, now)
	if err != nil {
		return fail(err)
	}
	resp.AcquisitionLockTimeoutMillis = int32(h.Share.Config().Partition.LockDuration.Milliseconds())
	im := h.Image()
	out := newShareFetchAnswer(resp)
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			tp := share.TopicIDPartition{TopicID: t.TopicID, Partition: p.Partition}
			rp := out.partition(tp)
			if len(p.AcknowledgementBatches) == 0 {
				continue
			}
			batches := make([]share.AckBatch, len(p.AcknowledgementBatches))
			for i, b := range p.AcknowledgementBatches {
				batches[i] = share.AckBatch{First: b.FirstOffset, Last: b.LastOffset, Types: ackTypes(b.AcknowledgeTypes)}
			}
			code, msg, leader := h.acknowledgeShare(im, groupID, memberID, tp, batches, req.Version >= 2, now)
			rp.AcknowledgeErrorCode, rp.AcknowledgeErrorMessage = code, msg
			if leader != nil {
				rp.CurrentLeader.LeaderID, rp.CurrentLeader.LeaderEpoch = leader.Leader, leader.LeaderEpoch
			}
		}
	}
	if req.ShareSessionEpoch == share.FinalEpoch {
		h.Share.ReleaseSession(groupID, memberID, now)
		return out.finish(h, ctx, im)
	}
	if req.IsRenewAck {
		return out.finish(h, ctx, im)
	}
	maxBytes := int(req.MaxBytes)
	if maxBytes <= 0 {
		maxBytes = math.MaxInt32
	}
	budget := shareFetchBudget{records: int(req.MaxRecords), bytes: maxBytes, strict: req.ShareAcquireMode == 1}
	if budget.records <= 0 {
		budget.records = 500 // Kafka's max.poll.records default, as its broker assumes for v0-style requests
	}
	w := partition.NewWaiter()
	watched := make(map[*partition.Partition]func()) // the unregister func of each watched partition
	defer func() {
		for _, unwatch := range watched {
			unwatch()
		}
	}()
	deadline := now.Add(time.Duration(max(req.MaxWaitMillis, 0)) * time.Millisecond)
	for {
		released := h.Share.Released() // taken before reading: a release after this wakes the wait
		got := false
		var nextLock time.Time
		for _, tp := range parts {
			rp, p, sp := h.shareFetchPartition(im, groupID, memberID, tp, &budget, now)
			if _, ok := watched[p]; p != nil && !ok {
				watched[p] = p.Watch(w)
			}
			if sp != nil {
				if d, ok := sp.NextLockDeadline(); ok && (nextLock.IsZero() || d.Before(nextLock)) {
					nextLock = d
				}
			}
			if rp.ErrorCode == 0 && len(rp.AcquiredRecords) == 0 {
				continue
			}
			got = true
			dst := out.partition(tp)
			dst.ErrorCode, dst.ErrorMessage, dst.CurrentLeader = rp.ErrorCode, rp.ErrorMessage, rp.CurrentLeader
			dst.Records, dst.AcquiredRecords = rp.Records, rp.AcquiredRecords
		}
		if got || !now.Before(deadline) || budget.records <= 0 {
			return out.finish(h, ctx, im)
		}
		wake := deadline
		if !nextLock.IsZero() && nextLock.Before(wake) {
			wake = nextLock
		}
		timer := time.NewTimer(wake.Sub(now))
		select {
		case <-w:
		case <-released:
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return out.finish(h, ctx, im)
		}
		timer.Stop()
		now = time.Now()
		im = h.Image()
	}
}

// ackTypes converts wire acknowledge types.
func ackTypes(ts []int8) []share.AckType {
	out := make([]share.AckType, len(ts))
	for i, t := range ts {
		out[i] = share.AckType(t)
	}
	return out
}

// shareFetchPartition acquires records of one partition for member. It
// returns the partition's answer, the local partition to wait on and the
// share-partition (nil when the partition cannot be served here).
func (h *Handler) shareFetchPartition(im *metadata.Image, groupID, memberID string, tp share.TopicIDPartition,
	budget *shareFetchBudget, now time.Time) (kmsg.ShareFetchResponseTopicPartition, *partition.Partition, *share.Partition) {
	rp := kmsg.NewShareFetchResponseTopicPartition()
	rp.Partition = tp.Partition
	rp.Records = []byte{}
	rp.CurrentLeader.LeaderID, rp.CurrentLeader.LeaderEpoch = -1, -1
	t, p, pm, code := h.sharePartitionTarget(im, tp)
	if pm != nil {
		rp.CurrentLeader.LeaderID, rp.CurrentLeader.LeaderEpoch = pm.Leader, pm.LeaderEpoch
	}
	if code != 0 {
		rp.ErrorCode = code
		return rp, nil, nil
	}
	sp := h.startSharePartition(im, groupID, t, tp.Partition)
	if sp == nil {
		rp.ErrorCode = kerr.NotLeaderForPartition.Code
		return rp, nil, nil
	}
	if budget.records <= 0 || budget.bytes <= 0 {
		return rp, p, sp
	}
	from, ok := sp.FetchOffset(now)
	if !ok || from >= p.HighWatermark() {
		return rp, p, sp
	}
	data, err := p.Read(from, budget.bytes)
	if err != nil {
		rp.ErrorCode, rp.ErrorMessage = errorCode(err), errorMessage(err)
		return rp, p, sp
	}
	type span struct{ first, last, start, end int }
	var (
		batches []share.Batch
		spans   []span
		pos     int
	)
	for rest := data; ; {
		b, next, err := records.Next(rest)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			break // a torn tail cannot happen below the high watermark; serve what parsed
		}
		hdr, err := records.ParseHeader(b)
		if err != nil {
			break
		}
		last := hdr.BaseOffset + int64(hdr.LastOffsetDelta)
		batches = append(batches, share.Batch{First: hdr.BaseOffset, Last: last, Skip: hdr.IsControl()})
		spans = append(spans, span{start: pos, end: pos + len(b)})
		pos += len(b)
		rest = next
	}
	acquired := sp.Acquire(memberID, now, batches, budget.records, budget.strict)
	if len(acquired) == 0 {
		return rp, p, sp
	}
	n := 0
	for _, a := range acquired {
		n += int(a.Last - a.First + 1)
		ar := kmsg.NewShareFetchResponseTopicPartitionAcquiredRecord()
		ar.FirstOffset, ar.LastOffset, ar.DeliveryCount = a.First, a.Last, a.DeliveryCount
		rp.AcquiredRecords = append(rp.AcquiredRecords, ar)
	}
	// The batches from the first to the last holding an acquired offset.
	lo, hi := -1, -1
	for i, b := range batches {
		for _, a := range acquired {
			if a.First <= b.Last && b.First <= a.Last {
				if lo < 0 {
					lo = i
				}
				hi = i
				break
			}
		}
	}
	rp.Records = data[spans[lo].start:spans[hi].end]
	budget.records -= n
	budget.bytes -= len(rp.Records)
	return rp, p, sp
}

// sharePartitionTarget resolves tp: its topic, local partition and
// metadata, or the error code it gets.
func (h *Handler) sharePartitionTarget(im *metadata.Image, tp share.TopicIDPartition) (*metadata.Topic, *partition.Partition, *metadata.Partition, int16) {
	t, ok := im.TopicByID(tp.TopicID)
	if !ok {
		return nil, nil, nil, kerr.UnknownTopicID.Code
	}
	pm, ok := im.PartitionOf(t.Name, tp.Partition)
	if !ok {
		return t, nil, nil, kerr.UnknownTopicOrPartition.Code
	}
	if pm.Leader != h.NodeID {
		return t, nil, &pm, kerr.NotLeaderForPartition.Code
	}
	p := h.Partitions.Partition(t.Name, tp.Partition)
	if p == nil {
		if h.Partitions.Offline(t.Name, tp.Partition) != nil {
			return t, nil, &pm, kerr.KafkaStorageError.Code
		}
		return t, nil, &pm, kerr.NotLeaderForPartition.Code
	}
	return t, p, &pm, 0
}

// acknowledgeShare applies member's acknowledgements of tp. It returns the
// error code and message, and the partition's metadata when it is known.
func (h *Handler) acknowledgeShare(im *metadata.Image, groupID, memberID string, tp share.TopicIDPartition,
	batches []share.AckBatch, renewAllowed bool, now time.Time) (int16, *string, *metadata.Partition) {
	if err := share.ValidateAcks(batches, renewAllowed); err != nil {
		code, msg := shareError(err)
		return code, msg, nil
	}
	_, _, pm, code := h.sharePartitionTarget(im, tp)
	if code != 0 {
		return code, nil, pm
	}
	sp := h.Share.Existing(share.PartitionKey{Group: groupID, TopicIDPartition: tp})
	if sp == nil {
		code, msg := shareError(fmt.Errorf("%w: no records of this partition are acquired", share.ErrInvalidRecordState))
		return code, msg, pm
	}
	err := sp.Acknowledge(memberID, now, batches)
	if err == nil && releases(batches) {
		h.Share.Notify() // wake ShareFetches waiting for records
	}
	code, msg := shareError(err)
	return code, msg, pm
}

// releases reports whether batches release any record.
func releases(batches []share.AckBatch) bool {
	for _, b := range batches {
		if slices.Contains(b.Types, share.AckRelease) {
			return true
		}
	}
	return false
}

// shareFetchAnswer collects a ShareFetch response's partitions in the
// order they are first named.
type shareFetchAnswer struct {
	resp  *kmsg.ShareFetchResponse
	order []share.TopicIDPartition
	parts map[share.TopicIDPartition]*kmsg.ShareFetchResponseTopicPartition
}

func newShareFetchAnswer(resp *kmsg.ShareFetchResponse) *shareFetchAnswer {
	return &shareFetchAnswer{resp: resp, parts: make(map[share.TopicIDPartition]*kmsg.ShareFetchResponseTopicPartition)}
}

func (a *shareFetchAnswer) partition(tp share.TopicIDPartition) *kmsg.ShareFetchResponseTopicPartition {
	if rp := a.parts[tp]; rp != nil {
		return rp
	}
	rp := kmsg.NewShareFetchResponseTopicPartition()
	rp.Partition, rp.Records = tp.Partition, []byte{}
	rp.CurrentLeader.LeaderID, rp.CurrentLeader.LeaderEpoch = -1, -1
	a.parts[tp] = &rp
	a.order = append(a.order, tp)
	return &rp
}

// finish writes the collected partitions into the response, with the
// endpoints of the leaders of partitions answered NOT_LEADER_OR_FOLLOWER.
func (a *shareFetchAnswer) finish(h *Handler, ctx context.Context, im *metadata.Image) *kmsg.ShareFetchResponse {
	index := make(map[[16]byte]int)
	leaders := make(map[int32]bool)
	for _, tp := range a.order {
		rp := a.parts[tp]
		i, ok := index[tp.TopicID]
		if !ok {
			i = len(a.resp.Topics)
			index[tp.TopicID] = i
			rt := kmsg.NewShareFetchResponseTopic()
			rt.TopicID = tp.TopicID
			a.resp.Topics = append(a.resp.Topics, rt)
		}
		a.resp.Topics[i].Partitions = append(a.resp.Topics[i].Partitions, *rp)
		if rp.ErrorCode == kerr.NotLeaderForPartition.Code && rp.CurrentLeader.LeaderID >= 0 {
			leaders[rp.CurrentLeader.LeaderID] = true
		}
	}
	for _, ep := range h.leaderEndpoints(ctx, im, leaders) {
		ne := kmsg.NewShareFetchResponseNodeEndpoint()
		ne.NodeID, ne.Host, ne.Port, ne.Rack = ep.id, ep.host, ep.port, ep.rack
		a.resp.NodeEndpoints = append(a.resp.NodeEndpoints, ne)
	}
	return a.resp
}

// leaderEndpoint is a broker's address on the request's listener.
type leaderEndpoint struct {
	id   int32
	host string
	port int32
	rack *string
}

// leaderEndpoints are the addresses of the brokers in ids, on the listener
// the request arrived on, for clients to move a partition's fetches to.
func (h *Handler) leaderEndpoints(ctx context.Context, im *metadata.Image, ids map[int32]bool) []leaderEndpoint {
	if len(ids) == 0 {
		return nil
	}
	var out []leaderEndpoint
	for _, b := range im.SortedBrokers() {
		if !ids[b.ID] {
			continue
		}
		ep, ok := b.EndpointFor(clientOf(ctx).listener)
		if !ok {
			continue
		}
		out = append(out, leaderEndpoint{id: b.ID, host: ep.Host, port: ep.Port, rack: nullable(b.Rack)})
	}
	return out
}
