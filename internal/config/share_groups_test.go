package config

import (
	"slices"
	"strings"
	"testing"
)

func TestShareGroupSettings(t *testing.T) {
	b := mustParse(t, "group.share.record.lock.duration.ms=1000\ngroup.share.delivery.count.limit=2\n")
	if b.ShareGroups.RecordLockDurationMs != 1000 || b.ShareGroups.DeliveryCountLimit != 2 || b.ShareGroups.MaxSize != 200 {
		t.Errorf("ShareGroups = %+v", b.ShareGroups)
	}
	for _, bad := range []string{"group.share.record.lock.duration.ms=999", "group.share.delivery.count.limit=11",
		"group.share.delivery.count.limit=1", "group.share.partition.max.record.locks=99"} {
		_, _, err := Parse([]byte(bad+"\n"), "test.properties", nil)
		if err == nil || !strings.Contains(err.Error(), strings.SplitN(bad, "=", 2)[0]) {
			t.Errorf("Parse(%q) = %v, want an error naming the key", bad, err)
		}
	}
}

func TestConsumerGroupSettings(t *testing.T) {
	b := mustParse(t, "group.consumer.assignors=org.apache.kafka.coordinator.group.assignor.RangeAssignor,uniform\ngroup.consumer.max.size=10\n")
	if g := b.ConsumerGroups; !slices.Equal(g.Assignors, []string{"range", "uniform"}) || g.MaxSize != 10 || g.SessionTimeoutMs != 45000 {
		t.Fatalf("parsed %+v", g)
	}
	for _, bad := range []string{
		"group.consumer.assignors=com.example.MyAssignor",
		"group.consumer.session.timeout.ms=30000",    // below the 45000 minimum
		"group.consumer.heartbeat.interval.ms=20000", // above the 15000 maximum
		"group.consumer.min.heartbeat.interval.ms=1\ngroup.consumer.heartbeat.interval.ms=50000\ngroup.consumer.max.heartbeat.interval.ms=60000", // not below the session
	} {
		if _, _, err := Parse([]byte(bad+"\n"), "t", nil); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
