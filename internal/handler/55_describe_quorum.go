package handler

// DescribeQuorum, versions 0–2.
//
// Kafka: describes the KRaft metadata quorum (topic __cluster_metadata,
// partition 0): the leader, its epoch, the high watermark and, per voter
// and observer, the log end offset and (v1+) the last fetch and caught-up
// times. A request naming any other partition gets
// UNKNOWN_TOPIC_OR_PARTITION. Brokers forward it to the active controller.
//
// Samsa: the active controller is the Raft leader of the hashicorp/raft
// metadata quorum, and another node forwards the request there as Kafka's
// brokers do (forward.go; it answers from its own view if that fails):
// the leader is the Raft leader, the epoch the Raft term, the high
// watermark the Raft commit index. hashicorp/raft does not expose a
// follower's replication progress, so the leader's entry has its own log
// end offset, another member's the metadata offset its broker's last
// heartbeat reported (the heartbeat's time as its last fetch, the last
// heartbeat at or past the leader's own applied offset as its last caught-up
// time), and a member with neither (a controller-only voter) has -1
// (unknown), as Kafka reports a replica it has no state for.
//
// Version 2 adds each replica's directory id and the voters' listeners.
// Samsa's quorum is static, as a Kafka quorum formatted with
// controller.quorum.voters (kraft.version 0): such a Kafka knows no voter
// directory ids and reports the zero UUID (its tool then prints no
// "directoryId"), and lists each voter's endpoint from
// controller.quorum.voters under the first of controller.listener.names.
// Kafka's observers (broker-only nodes) report the directory id of their
// metadata log dir; a Samsa broker registers it (BrokerRegistration's
// first log dir), and an observer's entry carries it.
// A single node without controller.quorum.voters lists its own controller
// listeners, if it has any.

import (
	"context"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/controller"
)

var describeQuorumAPI = api{key: kmsg.DescribeQuorum, min: 0, max: 2, serve: (*Handler).describeQuorum,
	authz: authzFromTable, forward: forwardAlways}

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
	var voters []int32
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
				for _, v := range p.CurrentVoters {
					if !slices.Contains(voters, v.ReplicaID) {
						voters = append(voters, v.ReplicaID)
					}
				}
			}
			t.Partitions = append(t.Partitions, p)
		}
		resp.Topics = append(resp.Topics, t)
	}
	if req.Version >= 2 {
		for _, id := range voters {
			resp.Nodes = append(resp.Nodes, h.quorumNode(id))
		}
	}
	return resp
}

// quorumNode is a voter's entry in the v2 Nodes list: its endpoint from
// controller.quorum.voters, named by the first controller listener name, as
// a static-voter Kafka reports it. Without controller.quorum.voters (a
// single node) it is this node's own advertised controller listeners.
func (h *Handler) quorumNode(id int32) kmsg.DescribeQuorumResponseNode {
	n := kmsg.NewDescribeQuorumResponseNode()
	n.NodeID = id
	cfg := h.Config
	if cfg == nil {
		return n
	}
	add := func(name, host string, port int) {
		l := kmsg.NewDescribeQuorumResponseNodeListener()
		l.Name, l.Host, l.Port = name, host, uint16(port)
		n.Listeners = append(n.Listeners, l)
	}
	if len(cfg.ControllerQuorumVoters) == 0 {
		if id != h.NodeID {
			return n
		}
		for _, name := range cfg.ControllerListenerNames {
			if l, ok := cfg.AdvertisedListener(name); ok {
				add(l.Name, l.Host, l.Port)
			}
		}
		return n
	}
	if len(cfg.ControllerListenerNames) == 0 {
		return n
	}
	for _, v := range cfg.ControllerQuorumVoters {
		if v.ID == id {
			add(cfg.ControllerListenerNames[0], v.Host, v.Port)
			break
		}
	}
	return n
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
	if h.Image == nil {
		return
	}
	if im := h.Image(); im != nil {
		for i, o := range p.Observers {
			p.Observers[i].ReplicaDirectoryID = im.Brokers[o.ReplicaID].MetadataDirectoryID
		}
	}
}

func quorumReplicas(members []controller.QuorumMember, st controller.QuorumStatus) []kmsg.DescribeQuorumResponseTopicPartitionReplicaState {
	out := make([]kmsg.DescribeQuorumResponseTopicPartitionReplicaState, 0, len(members))
	for _, m := range members {
		r := kmsg.NewDescribeQuorumResponseTopicPartitionReplicaState()
		r.ReplicaID, r.LogEndOffset = m.ID, m.LogEndOffset
		switch {
		case m.ID == st.NodeID && !st.LastContact.IsZero():
			// This node had its log end offset at its last contact with
			// the leader (the leader's own contact time is now).
			ms := st.LastContact.UnixMilli()
			r.LastFetchTimestamp, r.LastCaughtUpTimestamp = ms, ms
		case m.Progress != nil:
			// On the leader: the member's last broker heartbeat, standing
			// in for Kafka's last fetch.
			r.LastFetchTimestamp = m.Progress.At.UnixMilli()
			if !m.Progress.CaughtUp.IsZero() {
				r.LastCaughtUpTimestamp = m.Progress.CaughtUp.UnixMilli()
			}
		}
		out = append(out, r)
	}
	return out
}
