// DescribeQuorum, versions 0–1.
//
// Kafka: describes the KRaft metadata quorum (topic __cluster_metadata,
// partition 0): the leader, its epoch, the high watermark and, per voter
// and observer, the log end offset and (v1+) the last fetch and caught-up
// times. A request naming any other partition gets
// UNKNOWN_TOPIC_OR_PARTITION. Brokers forward it to the active controller.
//
// Samsa: every node runs a member of the hashicorp/raft metadata quorum,
// so the node answers from its own view instead of forwarding: the leader
// is the Raft leader, the epoch the Raft term, the high watermark the Raft
// commit index. hashicorp/raft does not expose a follower's replication
// progress, so only the answering node's own entry has a log end offset and
// timestamps; the others have -1 (unknown), as Kafka reports a replica it
// has no state for. Version 2 (directory ids, node listeners) is not
// served.
package handler

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/controller"
)

var describeQuorumAPI = api{key: kmsg.DescribeQuorum, min: 0, max: 1, serve: (*Handler).describeQuorum}

// metadataTopic is the name Kafka gives the metadata log.
const metadataTopic = "__cluster_metadata"

// quorumDescriber is the controller's read-only quorum view. The handler
// finds it on Deps.Controller (the controller package's *Controller
// implements it), so Deps needs no new field; with a controller that lacks
// it (a test fake) the partition answers UNKNOWN_SERVER_ERROR.
type quorumDescriber interface {
	Quorum() (controller.QuorumStatus, error)
}

func (h *Handler) describeQuorum(_ context.Context, kreq kmsg.Request) kmsg.Response {
	req := kreq.(*kmsg.DescribeQuorumRequest)
	resp := req.ResponseKind().(*kmsg.DescribeQuorumResponse)
	qd, ok := h.Controller.(quorumDescriber)
	for _, rt := range req.Topics {
		t := kmsg.NewDescribeQuorumResponseTopic()
		t.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			p := kmsg.NewDescribeQuorumResponseTopicPartition()
			p.Partition = rp.Partition
			switch {
			case rt.Topic != metadataTopic || rp.Partition != 0:
				p.ErrorCode = kerr.UnknownTopicOrPartition.Code
			case !ok:
				p.ErrorCode = kerr.UnknownServerError.Code
			default:
				h.fillQuorum(&p, qd)
			}
			t.Partitions = append(t.Partitions, p)
		}
		resp.Topics = append(resp.Topics, t)
	}
	return resp
}

func (h *Handler) fillQuorum(p *kmsg.DescribeQuorumResponseTopicPartition, qd quorumDescriber) {
	st, err := qd.Quorum()
	if err != nil {
		h.Logger.Warn("describe quorum", "err", err)
		p.ErrorCode = kerr.UnknownServerError.Code
		return
	}
	if st.LeaderID < 0 {
		p.ErrorCode = kerr.NotLeaderForPartition.Code
		return
	}
	p.LeaderID, p.LeaderEpoch, p.HighWatermark = st.LeaderID, int32(st.Term), int64(st.CommitIndex)
	p.CurrentVoters = quorumReplicas(st.Voters, st)
	p.Observers = quorumReplicas(st.Observers, st)
}

func quorumReplicas(members []controller.QuorumMember, st controller.QuorumStatus) []kmsg.DescribeQuorumResponseTopicPartitionReplicaState {
	out := make([]kmsg.DescribeQuorumResponseTopicPartitionReplicaState, 0, len(members))
	for _, m := range members {
		r := kmsg.NewDescribeQuorumResponseTopicPartitionReplicaState()
		r.ReplicaID, r.LogEndOffset = m.ID, m.LogEndOffset
		if m.ID == st.NodeID && !st.LastContact.IsZero() {
			// This node had its log end offset at its last contact with
			// the leader (the leader's own contact time is now).
			ms := st.LastContact.UnixMilli()
			r.LastFetchTimestamp, r.LastCaughtUpTimestamp = ms, ms
		}
		out = append(out, r)
	}
	return out
}
