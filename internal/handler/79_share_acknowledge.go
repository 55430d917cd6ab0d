package handler

// ShareAcknowledge, versions 1–2 (KIP-932; v2 adds RENEW acknowledgements,
// KIP-1222, and the acquisition lock timeout in the answer).
//
// Acknowledges records a member acquired through ShareFetch, in its share
// session: the request carries the session's next epoch (epoch 0, which
// would open a session, gets INVALID_SHARE_SESSION_EPOCH) or -1, which
// closes the session after the acknowledgements and releases the member's
// remaining records. Each partition is answered on its own: ACCEPT,
// RELEASE, REJECT, GAP and (v2) RENEW apply all or nothing per partition;
// an offset the member does not hold gets INVALID_RECORD_STATE, malformed
// batches INVALID_REQUEST, a partition led elsewhere
// NOT_LEADER_OR_FOLLOWER with its current leader. Needs READ on the group
// and on each topic, as ShareFetch.

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/share"
)

var shareAcknowledgeAPI = api{key: kmsg.ShareAcknowledge, min: 1, max: 2, serve: (*Handler).shareAcknowledge,
	authz: authzShareAcknowledge}

func (h *Handler) shareAcknowledge(ctx context.Context, r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.ShareAcknowledgeRequest)
	resp := req.ResponseKind().(*kmsg.ShareAcknowledgeResponse)
	fail := func(err error) kmsg.Response {
		resp.ErrorCode, resp.ErrorMessage = shareError(err)
		return resp
	}
	groupID, memberID := deref(req.GroupID), deref(req.MemberID)
	switch {
	case groupID == "" || memberID == "":
		return fail(fmt.Errorf("%w: GroupId and MemberId must be set", share.ErrInvalidRequest))
	case req.ShareSessionEpoch == share.InitialEpoch:
		return fail(fmt.Errorf("%w: a ShareAcknowledge cannot open a share session", share.ErrInvalidSessionEpoch))
	}
	now := time.Now()
	if _, err := h.Share.UseSession(share.SessionRequest{Group: groupID, MemberID: memberID, Epoch: req.ShareSessionEpoch}, now); err != nil {
		return fail(err)
	}
	resp.AcquisitionLockTimeoutMillis = int32(h.Share.Config().Partition.LockDuration.Milliseconds())
	im := h.Image()
	leaders := make(map[int32]bool)
	for _, t := range req.Topics {
		rt := kmsg.NewShareAcknowledgeResponseTopic()
		rt.TopicID = t.TopicID
		for _, p := range t.Partitions {
			batches := make([]share.AckBatch, len(p.AcknowledgementBatches))
			for i, b := range p.AcknowledgementBatches {
				batches[i] = share.AckBatch{First: b.FirstOffset, Last: b.LastOffset, Types: ackTypes(b.AcknowledgeTypes)}
			}
			tp := share.TopicIDPartition{TopicID: t.TopicID, Partition: p.Partition}
			rp := kmsg.NewShareAcknowledgeResponseTopicPartition()
			rp.Partition = p.Partition
			rp.CurrentLeader.LeaderID, rp.CurrentLeader.LeaderEpoch = -1, -1
			code, msg, pm := h.acknowledgeShare(im, groupID, memberID, tp, batches, req.Version >= 2, now)
			rp.ErrorCode, rp.ErrorMessage = code, msg
			if pm != nil {
				rp.CurrentLeader.LeaderID, rp.CurrentLeader.LeaderEpoch = pm.Leader, pm.LeaderEpoch
				if code == kerr.NotLeaderForPartition.Code && pm.Leader >= 0 {
					leaders[pm.Leader] = true
				}
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	if req.ShareSessionEpoch == share.FinalEpoch {
		h.Share.ReleaseSession(groupID, memberID, now)
	}
	for _, ep := range h.leaderEndpoints(ctx, im, leaders) {
		ne := kmsg.NewShareAcknowledgeResponseNodeEndpoint()
		ne.NodeID, ne.Host, ne.Port, ne.Rack = ep.id, ep.host, ep.port, ep.rack
		resp.NodeEndpoints = append(resp.NodeEndpoints, ne)
	}
	return resp
}
