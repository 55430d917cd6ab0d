package config

import (
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
