package e2e

// The share-group wire protocol request by request: two members share one
// partition's records, share-session epochs are checked, acknowledgements
// of records a member does not hold get INVALID_RECORD_STATE, and closing
// a session releases its records.

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// shareWire sends share-group requests for one group and topic.
type shareWire struct {
	t       *testing.T
	cl      *kgo.Client
	group   string
	topicID [16]byte
}

func (w shareWire) request(req kmsg.Request) kmsg.Response {
	w.t.Helper()
	resp, err := w.send(req, 10*time.Second)
	if err != nil {
		w.t.Fatal(err)
	}
	return resp
}

// send is request for any goroutine: it returns the error.
func (w shareWire) send(req kmsg.Request, timeout time.Duration) (kmsg.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	resp, err := w.cl.Request(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", kmsg.NameForKey(req.Key()), err)
	}
	return resp, nil
}

func (w shareWire) heartbeat(member string, epoch int32, topics []string) *kmsg.ShareGroupHeartbeatResponse {
	req := kmsg.NewPtrShareGroupHeartbeatRequest()
	req.GroupID, req.MemberID, req.MemberEpoch, req.SubscribedTopicNames = w.group, member, epoch, topics
	return w.request(req).(*kmsg.ShareGroupHeartbeatResponse)
}

// ack is an acknowledgement of first..last with one type.
type ack struct {
	first, last int64
	typ         int8
}

func (w shareWire) fetch(member string, epoch int32, maxRecords int32, acks ...ack) *kmsg.ShareFetchResponse {
	return w.request(w.fetchRequest(member, epoch, maxRecords, 200*time.Millisecond, acks...)).(*kmsg.ShareFetchResponse)
}

// fetchRequest is a ShareFetch of partition 0 with a MaxWait of wait, in
// record-limit mode.
func (w shareWire) fetchRequest(member string, epoch int32, maxRecords int32, wait time.Duration, acks ...ack) *kmsg.ShareFetchRequest {
	req := kmsg.NewPtrShareFetchRequest()
	req.GroupID, req.MemberID, req.ShareSessionEpoch = &w.group, &member, epoch
	req.MaxRecords, req.BatchSize, req.ShareAcquireMode = maxRecords, maxRecords, 1
	req.MaxWaitMillis = int32(wait.Milliseconds())
	p := kmsg.ShareFetchRequestTopicPartition{Partition: 0, PartitionMaxBytes: 1 << 20}
	for _, a := range acks {
		p.AcknowledgementBatches = append(p.AcknowledgementBatches, kmsg.ShareFetchRequestTopicPartitionAcknowledgementBatch{
			FirstOffset: a.first, LastOffset: a.last, AcknowledgeTypes: []int8{a.typ}})
	}
	req.Topics = []kmsg.ShareFetchRequestTopic{{TopicID: w.topicID, Partitions: []kmsg.ShareFetchRequestTopicPartition{p}}}
	return req
}

func (w shareWire) acknowledge(member string, epoch int32, acks ...ack) *kmsg.ShareAcknowledgeResponse {
	req := kmsg.NewPtrShareAcknowledgeRequest()
	req.GroupID, req.MemberID, req.ShareSessionEpoch = &w.group, &member, epoch
	if len(acks) > 0 {
		p := kmsg.ShareAcknowledgeRequestTopicPartition{Partition: 0}
		for _, a := range acks {
			p.AcknowledgementBatches = append(p.AcknowledgementBatches, kmsg.ShareAcknowledgeRequestTopicPartitionAcknowledgementBatch{
				FirstOffset: a.first, LastOffset: a.last, AcknowledgeTypes: []int8{a.typ}})
		}
		req.Topics = []kmsg.ShareAcknowledgeRequestTopic{{TopicID: w.topicID, Partitions: []kmsg.ShareAcknowledgeRequestTopicPartition{p}}}
	}
	return w.request(req).(*kmsg.ShareAcknowledgeResponse)
}

// acquired is the acquired ranges of a ShareFetch answer's one partition,
// as "first-last/deliveries" strings; it fails on any error.
func acquired(t *testing.T, resp *kmsg.ShareFetchResponse) []string {
	t.Helper()
	if resp.ErrorCode != 0 {
		t.Fatalf("ShareFetch: %v", kerr.ErrorForCode(resp.ErrorCode))
	}
	var out []string
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			if rp.ErrorCode != 0 || rp.AcknowledgeErrorCode != 0 {
				t.Fatalf("ShareFetch partition: %v, acknowledge %v", kerr.ErrorForCode(rp.ErrorCode), kerr.ErrorForCode(rp.AcknowledgeErrorCode))
			}
			if len(rp.AcquiredRecords) > 0 && len(rp.Records) == 0 {
				t.Fatalf("acquired %v without record data", rp.AcquiredRecords)
			}
			for _, a := range rp.AcquiredRecords {
				out = append(out, fmt.Sprintf("%d-%d/%d", a.FirstOffset, a.LastOffset, a.DeliveryCount))
			}
		}
	}
	return out
}

func TestShareGroupProtocol(t *testing.T) {
	b := startGroupBroker(t, nil) // Kafka's 30 s acquisition locks: none expires during the test
	const topic = "share-wire"
	b.CreateTopic(topic, 1, nil)
	cl := b.Client()
	md, err := b.Admin().Metadata(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	w := shareWire{t: t, cl: cl, group: "sg-wire", topicID: md.Topics[topic].ID}

	// The first request creates __consumer_offsets; until its partition
	// has a leader there is no coordinator.
	harness.Eventually(t, 30*time.Second, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := cl.Request(ctx, &kmsg.ShareGroupDescribeRequest{GroupIDs: []string{w.group}})
		return err
	})
	if r := w.heartbeat("m1", 0, []string{topic}); r.ErrorCode != 0 || r.MemberEpoch != 1 || r.Assignment == nil {
		t.Fatalf("m1 joins: %v epoch %d assignment %v", kerr.ErrorForCode(r.ErrorCode), r.MemberEpoch, r.Assignment)
	}
	if r := w.heartbeat("m2", 0, []string{topic}); r.ErrorCode != 0 || r.MemberEpoch != 2 {
		t.Fatalf("m2 joins: %v epoch %d", kerr.ErrorForCode(r.ErrorCode), r.MemberEpoch)
	}
	if r := w.heartbeat("m1", 7, nil); r.ErrorCode != kerr.FencedMemberEpoch.Code {
		t.Fatalf("m1 at a wrong epoch: %v, want FENCED_MEMBER_EPOCH", kerr.ErrorForCode(r.ErrorCode))
	}
	// A share group's id is no consumer or classic group's, and the other
	// way round.
	cg := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	cg.Group, cg.MemberID, cg.RebalanceTimeoutMillis, cg.SubscribedTopicNames = w.group, "c1", 10000, []string{topic}
	if r := w.request(cg).(*kmsg.ConsumerGroupHeartbeatResponse); r.ErrorCode != kerr.GroupIDNotFound.Code {
		t.Fatalf("ConsumerGroupHeartbeat to a share group: %v, want GROUP_ID_NOT_FOUND", kerr.ErrorForCode(r.ErrorCode))
	}
	jg := kmsg.NewPtrJoinGroupRequest()
	jg.Group, jg.ProtocolType, jg.SessionTimeoutMillis, jg.RebalanceTimeoutMillis = w.group, "consumer", 10000, 10000
	jg.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range"}}
	if r := w.request(jg).(*kmsg.JoinGroupResponse); r.ErrorCode != kerr.GroupIDNotFound.Code {
		t.Fatalf("JoinGroup to a share group: %v, want GROUP_ID_NOT_FOUND", kerr.ErrorForCode(r.ErrorCode))
	}
	commit := kmsg.NewPtrOffsetCommitRequest()
	commit.Group, commit.Generation = "classic-wire", -1
	commit.Topics = []kmsg.OffsetCommitRequestTopic{{Topic: topic, Partitions: []kmsg.OffsetCommitRequestTopicPartition{{Partition: 0, Offset: 0, LeaderEpoch: -1}}}}
	if r := w.request(commit).(*kmsg.OffsetCommitResponse); r.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("commit for a classic group: %v", kerr.ErrorForCode(r.Topics[0].Partitions[0].ErrorCode))
	}
	classic := shareWire{t: t, cl: cl, group: "classic-wire", topicID: w.topicID}
	if r := classic.heartbeat("m1", 0, []string{topic}); r.ErrorCode != kerr.GroupIDNotFound.Code {
		t.Fatalf("ShareGroupHeartbeat to a classic group: %v, want GROUP_ID_NOT_FOUND", kerr.ErrorForCode(r.ErrorCode))
	}
	produceBatch(t, b, topic, 10)

	// Two members hold disjoint records of the one partition.
	if got := acquired(t, w.fetch("m1", 0, 5)); fmt.Sprint(got) != "[0-4/1]" {
		t.Fatalf("m1 acquired %v, want [0-4/1]", got)
	}
	if got := acquired(t, w.fetch("m2", 0, 5)); fmt.Sprint(got) != "[5-9/1]" {
		t.Fatalf("m2 acquired %v, want [5-9/1]", got)
	}
	// m2 cannot acknowledge m1's record; its session epoch still advances.
	r := w.acknowledge("m2", 1, ack{0, 0, 1})
	if code := r.Topics[0].Partitions[0].ErrorCode; r.ErrorCode != 0 || code != kerr.InvalidRecordState.Code {
		t.Fatalf("m2 acknowledges m1's record: %v / %v, want INVALID_RECORD_STATE", kerr.ErrorForCode(r.ErrorCode), kerr.ErrorForCode(code))
	}
	if r := w.acknowledge("m2", 1); r.ErrorCode != kerr.InvalidShareSessionEpoch.Code {
		t.Fatalf("a reused session epoch: %v, want INVALID_SHARE_SESSION_EPOCH", kerr.ErrorForCode(r.ErrorCode))
	}
	if r := w.acknowledge("nobody", 1); r.ErrorCode != kerr.ShareSessionNotFound.Code {
		t.Fatalf("no session: %v, want SHARE_SESSION_NOT_FOUND", kerr.ErrorForCode(r.ErrorCode))
	}
	if r := w.fetch("m1", 0, 5, ack{0, 4, 1}); r.ErrorCode != kerr.InvalidRequest.Code {
		t.Fatalf("acknowledgements opening a session: %v, want INVALID_REQUEST", kerr.ErrorForCode(r.ErrorCode))
	}
	// m1 accepts 0-4 riding on its next fetch; 5-9 are m2's, so nothing
	// more is acquired.
	if got := acquired(t, w.fetch("m1", 1, 5, ack{0, 4, 1})); len(got) != 0 {
		t.Fatalf("m1 acquired %v while m2 holds the rest", got)
	}
	// m1 waits for records (up to 10 s, well inside m2's 30 s locks); m2
	// accepts 5 and releases 6-9, which m1's fetch then acquires, delivered
	// a second time. (The release wakes the fetch at once; without that it
	// would answer the same at its MaxWait, so only the answer is checked.)
	type answer struct {
		resp kmsg.Response
		err  error
	}
	waiting := make(chan answer, 1)
	go func() {
		resp, err := w.send(w.fetchRequest("m1", 2, 10, 10*time.Second), 30*time.Second)
		waiting <- answer{resp, err}
	}()
	// Give the fetch time to park, so that the release finds it waiting;
	// had the release come first, the fetch would get the same records.
	time.Sleep(300 * time.Millisecond)
	r = w.acknowledge("m2", 2, ack{5, 5, 1}, ack{6, 9, 2})
	if r.ErrorCode != 0 || r.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("m2 accepts 5, releases 6-9: %v / %v", kerr.ErrorForCode(r.ErrorCode), kerr.ErrorForCode(r.Topics[0].Partitions[0].ErrorCode))
	}
	a := <-waiting // bounded by send's 30 s
	if a.err != nil {
		t.Fatal(a.err)
	}
	if got := acquired(t, a.resp.(*kmsg.ShareFetchResponse)); fmt.Sprint(got) != "[6-9/2]" {
		t.Fatalf("m1's waiting fetch acquired %v, want [6-9/2]", got)
	}
	if r := w.acknowledge("m2", -1); r.ErrorCode != 0 {
		t.Fatalf("m2 closes its session: %v", kerr.ErrorForCode(r.ErrorCode))
	}

	// m1 holds 6-9, everything before is done: the SPSO is 6 and four
	// records are not yet acknowledged.
	oreq := kmsg.NewPtrDescribeShareGroupOffsetsRequest()
	oreq.Groups = []kmsg.DescribeShareGroupOffsetsRequestGroup{{GroupID: w.group}, {GroupID: "no-such-group"}}
	o := w.request(oreq).(*kmsg.DescribeShareGroupOffsetsResponse)
	if g := o.Groups[0]; g.ErrorCode != 0 || len(g.Topics) != 1 || g.Topics[0].Topic != topic || len(g.Topics[0].Partitions) != 1 ||
		g.Topics[0].Partitions[0].StartOffset != 6 || g.Topics[0].Partitions[0].Lag != 4 {
		t.Fatalf("share group offsets: %+v, want %s/0 start offset 6 lag 4", g, topic)
	}
	if g := o.Groups[1]; g.ErrorCode != kerr.GroupIDNotFound.Code {
		t.Fatalf("offsets of an unknown group: %v, want GROUP_ID_NOT_FOUND", kerr.ErrorForCode(g.ErrorCode))
	}

	// The group as ShareGroupDescribe and DeleteGroups see it.
	dreq := kmsg.NewPtrShareGroupDescribeRequest()
	dreq.GroupIDs = []string{w.group, "no-such-group"}
	d := w.request(dreq).(*kmsg.ShareGroupDescribeResponse)
	if g := d.Groups[0]; g.ErrorCode != 0 || g.GroupState != "Stable" || g.Assignor != "simple" || len(g.Members) != 2 {
		t.Fatalf("describe: %+v", g)
	}
	if g := d.Groups[1]; g.ErrorCode != kerr.GroupIDNotFound.Code {
		t.Fatalf("describe an unknown group: %v, want GROUP_ID_NOT_FOUND", kerr.ErrorForCode(g.ErrorCode))
	}
	del := kmsg.NewPtrDeleteGroupsRequest()
	del.Groups = []string{w.group}
	if code := w.request(del).(*kmsg.DeleteGroupsResponse).Groups[0].ErrorCode; code != kerr.NonEmptyGroup.Code {
		t.Fatalf("delete a group with members: %v, want NON_EMPTY_GROUP", kerr.ErrorForCode(code))
	}
	for _, m := range []string{"m1", "m2"} {
		if r := w.heartbeat(m, -1, nil); r.ErrorCode != 0 || r.MemberEpoch != -1 {
			t.Fatalf("%s leaves: %v", m, kerr.ErrorForCode(r.ErrorCode))
		}
	}
	if code := w.request(del).(*kmsg.DeleteGroupsResponse).Groups[0].ErrorCode; code != 0 {
		t.Fatalf("delete the empty group: %v", kerr.ErrorForCode(code))
	}
	harness.Eventually(t, 10*time.Second, func() error {
		if g := w.request(dreq).(*kmsg.ShareGroupDescribeResponse).Groups[0]; g.ErrorCode != kerr.GroupIDNotFound.Code {
			return fmt.Errorf("deleted group described with %v", kerr.ErrorForCode(g.ErrorCode))
		}
		return nil
	})
}
