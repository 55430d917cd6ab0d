package offsets

import (
	"reflect"
	"testing"
)

func TestOffsetRoundTrip(t *testing.T) {
	k, err := DecodeKey(OffsetKey("g", "t", 7))
	if err != nil || k != (Key{Kind: KindOffset, Group: "g", Topic: "t", Partition: 7}) {
		t.Fatalf("key = %+v, %v", k, err)
	}
	for _, o := range []OffsetValue{
		{Offset: 42, LeaderEpoch: 3, Metadata: "m", CommitTimestamp: 1000, ExpireTimestamp: -1},
		{Offset: 1, LeaderEpoch: -1, CommitTimestamp: 5, ExpireTimestamp: 99},
	} {
		got, err := DecodeOffset(EncodeOffset(o))
		if err != nil || got != o {
			t.Fatalf("offset = %+v, %v; want %+v", got, err, o)
		}
	}
}

func TestGroupRoundTrip(t *testing.T) {
	k, err := DecodeKey(GroupKey("grp"))
	if err != nil || k != (Key{Kind: KindGroup, Group: "grp"}) {
		t.Fatalf("key = %+v, %v", k, err)
	}
	g := GroupValue{ProtocolType: "consumer", Generation: 4, Protocol: "range", Leader: "m1",
		CurrentStateTimestamp: 77, Members: []MemberValue{{MemberID: "m1", InstanceID: "i1", ClientID: "c",
			ClientHost: "/127.0.0.1", RebalanceTimeoutMs: 100, SessionTimeoutMs: 10, Subscription: []byte{1},
			Assignment: []byte{2}}}}
	got, err := DecodeGroup(EncodeGroup(g))
	if err != nil || !reflect.DeepEqual(got, g) {
		t.Fatalf("group = %+v, %v; want %+v", got, err, g)
	}
}

func TestDecodeKeyRejectsUnknown(t *testing.T) {
	if _, err := DecodeKey([]byte{0, 9, 0, 0}); err == nil {
		t.Fatal("want error for key version 9")
	}
	if _, err := DecodeKey([]byte{0}); err == nil {
		t.Fatal("want error for a short key")
	}
}
