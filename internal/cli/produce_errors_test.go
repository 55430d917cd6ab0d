package cli

import (
	"errors"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestProducePartitionCausesExplainsTimeouts(t *testing.T) {
	c := newProducePartitionCauses()
	// A "produced" summary as franz-go logs it at Debug: t-1 succeeded,
	// t-0 and u-3 are being retried.
	c.Log(kgo.LogLevelDebug, "produced", "broker", "1",
		"to", "t[0{retrying@-1,1(NOT_ENOUGH_REPLICAS: Messages are rejected since there are fewer in-sync replicas than required.)}, 1{15=>1}], u[3{retrying@-1,2(NOT_LEADER_OR_FOLLOWER: x)}]")
	// A failed attempt as logged at Info.
	c.Log(kgo.LogLevelInfo, "batch in a produce request failed", "topic", "v", "partition", int32(2), "err", kerr.RecordListTooLarge)

	for _, tc := range []struct {
		topic     string
		partition int32
		in        error
		want      string
	}{
		{"t", 0, kgo.ErrRecordTimeout, "records have timed out before they were able to be produced, last err: NOT_ENOUGH_REPLICAS: Messages are rejected"},
		{"u", 3, kgo.ErrRecordTimeout, ", last err: NOT_LEADER_OR_FOLLOWER: x"},
		{"v", 2, kgo.ErrRecordTimeout, ", last err: RECORD_LIST_TOO_LARGE"},
		{"t", 1, kgo.ErrRecordTimeout, "records have timed out before they were able to be produced"},
		{"t", 0, kerr.TopicAuthorizationFailed, "TOPIC_AUTHORIZATION_FAILED"},
	} {
		got := c.explain(&kgo.Record{Topic: tc.topic, Partition: tc.partition}, tc.in)
		if !strings.HasPrefix(got.Error(), tc.in.Error()) || !strings.Contains(got.Error(), tc.want) || !errors.Is(got, tc.in) {
			t.Errorf("%s-%d %v: got %q, want it to contain %q and wrap the input", tc.topic, tc.partition, tc.in, got, tc.want)
		}
		if tc.topic == "t" && tc.partition == 1 && strings.Contains(got.Error(), "last err") {
			t.Errorf("t-1 had no retried error, got %q", got)
		}
	}
}
