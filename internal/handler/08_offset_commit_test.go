package handler

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func commitReq(version int16, g, member string, gen int32, topic string, offsets ...int64) *kmsg.OffsetCommitRequest {
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Version, req.Group, req.MemberID, req.Generation = version, g, member, gen
	rt := kmsg.NewOffsetCommitRequestTopic()
	rt.Topic = topic
	for i, o := range offsets {
		p := kmsg.NewOffsetCommitRequestTopicPartition()
		p.Partition, p.Offset, p.LeaderEpoch = int32(i), o, 4
		md := "meta"
		p.Metadata = &md
		rt.Partitions = append(rt.Partitions, p)
	}
	req.Topics = append(req.Topics, rt)
	return req
}

func TestOffsetCommitAndFetch(t *testing.T) {
	f := newGroupsFixture(t, dpTopic("t", 1, 2, nil))
	resp := serve[*kmsg.OffsetCommitResponse](f, commitReq(2, "simple", "", -1, "t", 10, 20))
	code(t, "simple commit p0", resp.Topics[0].Partitions[0].ErrorCode, nil)
	code(t, "simple commit p1", resp.Topics[0].Partitions[1].ErrorCode, nil)
	resp = serve[*kmsg.OffsetCommitResponse](f, commitReq(9, "simple", "", -1, "missing", 1))
	code(t, "unknown topic", resp.Topics[0].Partitions[0].ErrorCode, kerr.UnknownTopicOrPartition)

	id := f.joinStable("member", 9)
	resp = serve[*kmsg.OffsetCommitResponse](f, commitReq(9, "member", "", -1, "t", 1))
	code(t, "simple commit to an active group", resp.Topics[0].Partitions[0].ErrorCode, kerr.UnknownMemberID)
	resp = serve[*kmsg.OffsetCommitResponse](f, commitReq(9, "member", id, 5, "t", 1))
	code(t, "wrong generation", resp.Topics[0].Partitions[0].ErrorCode, kerr.IllegalGeneration)
	resp = serve[*kmsg.OffsetCommitResponse](f, commitReq(9, "member", id, 1, "t", 7))
	code(t, "member commit", resp.Topics[0].Partitions[0].ErrorCode, nil)

	// v1: one group, explicit partitions, errors per partition.
	fetch := kmsg.NewPtrOffsetFetchRequest()
	fetch.Version, fetch.Group = 1, "simple"
	fetch.Topics = []kmsg.OffsetFetchRequestTopic{{Topic: "t", Partitions: []int32{0, 1}}}
	fr := serve[*kmsg.OffsetFetchResponse](f, fetch)
	if ps := fr.Topics[0].Partitions; ps[0].Offset != 10 || ps[1].Offset != 20 || *ps[0].Metadata != "meta" {
		t.Fatalf("v1 fetch = %+v", fr.Topics)
	}
	// v7: null topics mean all, leader epochs from v5.
	fetch.Version, fetch.Topics, fetch.RequireStable = 7, nil, true
	fr = serve[*kmsg.OffsetFetchResponse](f, fetch)
	if len(fr.Topics) != 1 || len(fr.Topics[0].Partitions) != 2 || fr.Topics[0].Partitions[1].LeaderEpoch != -1 { // v2 commits carry no epoch
		t.Fatalf("v7 fetch all = %+v", fr.Topics)
	}
	// v8: several groups at once.
	fetch = kmsg.NewPtrOffsetFetchRequest()
	fetch.Version = 8
	fetch.Groups = []kmsg.OffsetFetchRequestGroup{{Group: "simple"}, {Group: "member"},
		{Group: "none", Topics: []kmsg.OffsetFetchRequestGroupTopic{{Topic: "t", Partitions: []int32{0}}}}}
	fr = serve[*kmsg.OffsetFetchResponse](f, fetch)
	if len(fr.Groups) != 3 || fr.Groups[1].Topics[0].Partitions[0].Offset != 7 ||
		fr.Groups[1].Topics[0].Partitions[0].LeaderEpoch != 4 ||
		fr.Groups[2].Topics[0].Partitions[0].Offset != -1 {
		t.Fatalf("v8 fetch = %+v", fr.Groups)
	}
}

func TestOffsetDelete(t *testing.T) {
	f := newGroupsFixture(t, dpTopic("t", 1, 1, nil), dpTopic("u", 2, 1, nil))
	id := f.joinStable("g", 9) // subscribed to "t"
	serve[*kmsg.OffsetCommitResponse](f, commitReq(9, "g", id, 1, "t", 3))
	serve[*kmsg.OffsetCommitResponse](f, commitReq(9, "g", id, 1, "u", 3))
	req := kmsg.NewPtrOffsetDeleteRequest()
	req.Group = "g"
	for _, topic := range []string{"t", "u", "gone"} {
		rt := kmsg.NewOffsetDeleteRequestTopic()
		rt.Topic = topic
		rt.Partitions = []kmsg.OffsetDeleteRequestTopicPartition{{Partition: 0}}
		req.Topics = append(req.Topics, rt)
	}
	resp := serve[*kmsg.OffsetDeleteResponse](f, req)
	code(t, "offset delete", resp.ErrorCode, nil)
	code(t, "subscribed topic", resp.Topics[0].Partitions[0].ErrorCode, kerr.GroupSubscribedToTopic)
	code(t, "unsubscribed topic", resp.Topics[1].Partitions[0].ErrorCode, nil)
	code(t, "unknown topic", resp.Topics[2].Partitions[0].ErrorCode, kerr.UnknownTopicOrPartition)
	req.Group = "nope"
	code(t, "unknown group", serve[*kmsg.OffsetDeleteResponse](f, req).ErrorCode, kerr.GroupIDNotFound)
}
