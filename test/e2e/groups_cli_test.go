package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/test/internal/harness"
)

const cliTimeout = 30 * time.Second

// TestConsumerGroupsCLI checks `samsa consumer-groups` against a real
// group: --describe shows the committed offsets, log-end offsets and lag
// a consumer left; --list shows the group; --reset-offsets and --delete
// are refused while a member is active, with Kafka's messages, and work
// once the group is empty.
func TestConsumerGroupsCLI(t *testing.T) {
	b := startGroupBroker(t, nil)
	const topic, group = "cli-groups", "cli-group"
	b.CreateTopic(topic, 2, nil)
	produceValues(t, b, topic, "v", 100) // 50 records in each partition
	commitPart(t, b, group, topic, map[int32]int64{0: 30, 1: 20})
	cg := func(args ...string) harness.Result {
		return harness.Tool(t, cliTimeout, "", append([]string{"consumer-groups", "--bootstrap-server", b.Addr}, args...)...)
	}

	t.Run("describe", func(t *testing.T) {
		r := cg("--describe", "--group", group)
		if r.Err != nil {
			t.Fatalf("--describe: %s", r)
		}
		rows := describeRows(r.Stdout, group)
		for p, want := range map[string][3]string{"0": {"30", "50", "20"}, "1": {"20", "50", "30"}} {
			got, ok := rows[topic+"/"+p]
			if !ok {
				t.Errorf("--describe has no row for %s partition %s:\n%s", topic, p, r.Stdout)
				continue
			}
			if [3]string{got[3], got[4], got[5]} != want {
				t.Errorf("partition %s: CURRENT-OFFSET LOG-END-OFFSET LAG = %v, want %v\n%s", p, got[3:6], want, r.Stdout)
			}
		}
	})

	t.Run("list", func(t *testing.T) {
		r := cg("--list")
		if r.Err != nil || !hasLine(r.Stdout, group) {
			t.Fatalf("--list does not show %s: %s", group, r)
		}
	})

	active := startMember(t, b, "active", group, topic, kgo.RangeBalancer(), newTally())
	waitAssignedAll(t, []*member{active}, topic, 2)

	t.Run("refused while active", func(t *testing.T) {
		r := cg("--reset-offsets", "--to-earliest", "--execute", "--group", group, "--topic", topic)
		want := fmt.Sprintf("Assignments can only be reset if the group '%s' is inactive, but the current state is Stable.", group)
		if r.Err == nil || !strings.Contains(r.Stdout+r.Stderr, want) {
			t.Errorf("--reset-offsets on an active group: want failure with %q, got %s", want, r)
		}
		r = cg("--delete", "--group", group)
		want = "The group is not empty."
		if r.Err == nil || !strings.Contains(r.Stderr, "Deletion of some consumer groups failed") ||
			!strings.Contains(r.Stderr, want) {
			t.Errorf("--delete of an active group: want failure with %q, got %s", want, r)
		}
	})

	active.stop()
	waitGroupState(t, b, group, "Empty")

	t.Run("reset to earliest", func(t *testing.T) {
		r := cg("--reset-offsets", "--to-earliest", "--execute", "--group", group, "--topic", topic)
		if r.Err != nil {
			t.Fatalf("--reset-offsets --to-earliest --execute: %s", r)
		}
		if got := committedOffsets(t, b, group, topic); got[0] != 0 || got[1] != 0 {
			t.Fatalf("committed offsets after reset %v, want 0 for both partitions", got)
		}
		consumeN(t, b, group, topic, 100) // the group reads everything again
	})

	t.Run("delete", func(t *testing.T) {
		waitGroupState(t, b, group, "Empty")
		r := cg("--delete", "--group", group)
		want := fmt.Sprintf("Deletion of requested consumer groups ('%s') was successful.", group)
		if r.Err != nil || !strings.Contains(r.Stdout, want) {
			t.Fatalf("--delete of an empty group: want %q, got %s", want, r)
		}
		if r := cg("--list"); r.Err != nil || hasLine(r.Stdout, group) {
			t.Errorf("--list after --delete still shows %s (or failed): %s", group, r)
		}
	})
}

// commitPart joins group, consumes topic once, then commits the given
// offsets instead of what it read, and leaves.
func commitPart(t *testing.T, b *harness.Broker, group, topic string, offsets map[int32]int64) {
	t.Helper()
	cl := b.Client(kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if fs := cl.PollRecords(ctx, 10); len(fs.Records()) == 0 {
		t.Fatalf("the committing consumer read nothing: %v", fs.Errors())
	}
	epochs := make(map[int32]kgo.EpochOffset)
	for p, at := range offsets {
		epochs[p] = kgo.EpochOffset{Epoch: -1, Offset: at}
	}
	var commitErr error
	cl.CommitOffsetsSync(ctx, map[string]map[int32]kgo.EpochOffset{topic: epochs},
		func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
			commitErr = err
			for _, tp := range resp.Topics {
				for _, p := range tp.Partitions {
					if p.ErrorCode != 0 && commitErr == nil {
						commitErr = fmt.Errorf("partition %d: error code %d", p.Partition, p.ErrorCode)
					}
				}
			}
		})
	if commitErr != nil {
		t.Fatalf("commit %v: %v", offsets, commitErr)
	}
}

// describeRows parses the offsets table of --describe into rows keyed by
// "topic/partition"; each row is the fields GROUP TOPIC PARTITION
// CURRENT-OFFSET LOG-END-OFFSET LAG ....
func describeRows(out, group string) map[string][]string {
	rows := make(map[string][]string)
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) >= 6 && f[0] == group {
			rows[f[1]+"/"+f[2]] = f
		}
	}
	return rows
}

func hasLine(out, want string) bool {
	for line := range strings.Lines(out) {
		if strings.TrimSpace(line) == want {
			return true
		}
	}
	return false
}

// waitGroupState waits until DescribeGroups reports state for group.
func waitGroupState(t *testing.T, b *harness.Broker, group, state string) {
	t.Helper()
	adm := b.Admin()
	harness.Eventually(t, 20*time.Second, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		d, err := adm.DescribeGroups(ctx, group)
		if err != nil {
			return err
		}
		if got := d[group].State; got != state {
			return fmt.Errorf("group %s is %s, want %s", group, got, state)
		}
		return nil
	})
}
