package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// These tests run consumer-groups and console-consumer --group against kfake,
// whose group coordinator stands in for Samsa's.

// produceTo writes counts[p] records to each partition p of topic.
func produceTo(t *testing.T, bs, topic string, counts ...int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(bs), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for p, n := range counts {
		for i := range n {
			r := &kgo.Record{Topic: topic, Partition: int32(p), Value: fmt.Appendf(nil, "p%d-v%d", p, i)}
			if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
				t.Fatalf("produce: %v", err)
			}
		}
	}
}

// joinGroup starts a group member that consumes want records of topic and
// commits the offsets in commit, then stays in the group until the test
// closes it.
func joinGroup(t *testing.T, bs, group, topic string, want int, commit map[int32]int64, extra ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(bs), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.ClientID("member-1"), kgo.DisableAutoCommit(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for got := 0; got < want; {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			cl.Close()
			t.Fatalf("member consumed %d of %d records", got, want)
		}
		got += fs.NumRecords()
	}
	offs := map[string]map[int32]kgo.EpochOffset{topic: {}}
	for p, o := range commit {
		offs[topic][p] = kgo.EpochOffset{Epoch: -1, Offset: o}
	}
	var cerr error
	cl.CommitOffsetsSync(ctx, offs, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, _ *kmsg.OffsetCommitResponse, err error) { cerr = err })
	if cerr != nil {
		cl.Close()
		t.Fatalf("commit: %v", cerr)
	}
	return cl
}

// waitFor polls cond every 50ms until it holds or 10s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tableRows returns the non-header rows of a Kafka table, split on spaces.
func tableRows(out string) [][]string {
	var rows [][]string
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) > 0 && f[0] != "GROUP" && f[0] != "TOPIC" {
			rows = append(rows, f)
		}
	}
	return rows
}

func TestConsumerGroupsAgainstFake(t *testing.T) {
	bs := fakeCluster(t)
	cg := func(args ...string) result {
		return execute(t, "", append([]string{"consumer-groups", "--bootstrap-server", bs}, args...)...)
	}
	mustRun(t, "", "topics", "--bootstrap-server", bs, "--create", "--topic", "orders", "--partitions", "2")
	produceTo(t, bs, "orders", 5, 3)
	member := joinGroup(t, bs, "g1", "orders", 8, map[int32]int64{0: 4, 1: 3})
	defer member.Close()

	if r := cg("--list"); r.e != nil || r.out != "g1\n" {
		t.Fatalf("list: %q %v", r.out, r.e)
	}
	if r := cg("--list", "--state", "Stable"); r.e != nil || !strings.Contains(r.out, "\ng1                        Stable              \n") {
		t.Fatalf("list --state Stable: %q %v", r.out, r.e)
	}
	if r := cg("--list", "--state=Empty"); r.e != nil || r.out != "GROUP                     STATE               \n" {
		t.Fatalf("list --state=Empty: %q %v", r.out, r.e)
	}

	r := cg("--describe", "--group", "g1")
	rows := tableRows(r.out)
	if r.e != nil || !strings.HasPrefix(r.out, "\nGROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID") || len(rows) != 2 {
		t.Fatalf("describe: %q %v", r.out, r.e)
	}
	for i, want := range [][]string{{"g1", "orders", "0", "4", "5", "1"}, {"g1", "orders", "1", "3", "3", "0"}} {
		if strings.Join(rows[i][:6], " ") != strings.Join(want, " ") || rows[i][len(rows[i])-1] != "member-1" {
			t.Fatalf("describe row %d: %q", i, rows[i])
		}
	}
	if r := cg("--describe", "--group", "g1", "--members", "--verbose"); r.e != nil || len(tableRows(r.out)) != 1 ||
		!strings.Contains(r.out, " member-1 ") || !strings.Contains(r.out, " 2 ") || !strings.Contains(r.out, " orders:0,1 ") {
		t.Fatalf("members: %q %v", r.out, r.e)
	}
	if r := cg("--describe", "--group", "g1", "--state"); r.e != nil || !strings.Contains(r.out, " Stable ") || !strings.HasSuffix(r.out, " 1\n") {
		t.Fatalf("state: %q %v", r.out, r.e)
	}

	r = cg("--reset-offsets", "--group", "g1", "--all-topics", "--to-earliest", "--execute")
	if r.e == nil || r.e.Error() != "Assignments can only be reset if the group 'g1' is inactive, but the current state is Stable." {
		t.Fatalf("reset on an active group: %v", r.e)
	}
	r = cg("--delete", "--group", "g1")
	if r.e == nil || ExitCode(r.e) != 1 || len(ErrorLines(r.e)) != 0 ||
		r.err != "Error: Deletion of some consumer groups failed:\n* Group 'g1' could not be deleted due to: NON_EMPTY_GROUP: The group is not empty.\n" {
		t.Fatalf("delete of an active group: %v, stderr %q", r.e, r.err)
	}

	member.Close()
	waitFor(t, "group g1 to be empty", func() bool {
		return strings.Contains(cg("--describe", "--group", "g1", "--state").out, " Empty ")
	})
	r = cg("--describe", "--group", "g1")
	if r.e != nil || r.err != "\nConsumer group 'g1' has no active members.\n" || len(tableRows(r.out)) != 2 || !strings.Contains(r.out, " 4               5               1               -               -               -\n") {
		t.Fatalf("describe empty group: out %q err %q %v", r.out, r.err, r.e)
	}
	testResetStrategies(t, cg)
	testResetExecuteAndDelete(t, bs, cg)
}

// testResetStrategies runs each --reset-offsets strategy as a dry run on g1
// (committed 4 and 3; log ends 5 and 3).
func testResetStrategies(t *testing.T, cg func(...string) result) {
	for _, c := range []struct {
		args []string
		want string // new offsets of partitions 0 and 1
	}{
		{[]string{"--to-earliest"}, "0 0"},
		{[]string{"--to-latest"}, "5 3"},
		{[]string{"--to-current"}, "4 3"},
		{[]string{"--to-offset", "2"}, "2 2"},
		{[]string{"--to-offset", "100"}, "5 3"},
		{[]string{"--shift-by", "-2"}, "2 1"},
		{[]string{"--shift-by", "-10"}, "0 0"},
		{[]string{"--to-datetime", "2000-01-01T00:00:00.000"}, "0 0"},
		{[]string{"--to-datetime", "2999-01-01T00:00:00.000Z"}, "5 3"},
		{[]string{"--by-duration", "PT1H"}, "0 0"},
		{[]string{"--to-earliest", "--dry-run"}, "0 0"},
	} {
		args := append([]string{"--reset-offsets", "--group", "g1", "--topic", "orders"}, c.args...)
		r := cg(args...)
		rows := tableRows(r.out)
		if r.e != nil || !strings.HasPrefix(r.out, "\nGROUP           TOPIC           PARTITION  NEW-OFFSET\n") || len(rows) != 2 {
			t.Fatalf("%v: %q %v", c.args, r.out, r.e)
		}
		if got := rows[0][3] + " " + rows[1][3]; got != c.want {
			t.Errorf("%v: new offsets %s, want %s", c.args, got, c.want)
		}
	}
	if r := cg("--reset-offsets", "--group", "g1", "--topic", "orders:1", "--to-offset", "1"); r.e != nil ||
		r.out != "\nGROUP           TOPIC           PARTITION  NEW-OFFSET\ng1              orders          1          1\n" {
		t.Fatalf("reset one partition: %q %v", r.out, r.e)
	}
	if r := cg("--reset-offsets", "--group", "g1", "--topic", "orders:7", "--to-earliest"); r.e == nil || !strings.Contains(r.e.Error(), `"orders-7" do not exist`) {
		t.Fatalf("reset a missing partition: %v", r.e)
	}
	if r := cg("--reset-offsets", "--group", "new", "--topic", "orders", "--shift-by", "1"); r.e == nil || !strings.Contains(r.e.Error(), "no current committed offset") {
		t.Fatalf("shift without commits: %v", r.e)
	}
	// Dry runs changed nothing.
	if r := cg("--describe", "--group", "g1"); !strings.Contains(r.out, " 4               5               1 ") {
		t.Fatalf("after dry runs: %q", r.out)
	}
}

// testResetExecuteAndDelete commits a reset, re-reads with a group member,
// then deletes offsets and the group.
func testResetExecuteAndDelete(t *testing.T, bs string, cg func(...string) result) {
	if r := cg("--reset-offsets", "--group", "g1", "--all-topics", "--to-earliest", "--execute"); r.e != nil || len(tableRows(r.out)) != 2 {
		t.Fatalf("reset --execute: %q %v", r.out, r.e)
	}
	rows := tableRows(cg("--describe", "--group", "g1").out)
	if len(rows) != 2 || rows[0][3] != "0" || rows[0][5] != "5" || rows[1][3] != "0" || rows[1][5] != "3" {
		t.Fatalf("after reset: %q", rows)
	}
	r := mustRun(t, "", "console-consumer", "--bootstrap-server", bs, "--topic", "orders", "--group", "g1", "--max-messages", "8", "--timeout-ms", "10000")
	if n := strings.Count(r.out, "\n"); n != 8 {
		t.Fatalf("re-read %d records after the reset: %q", n, r.out)
	}
	waitFor(t, "g1 empty again", func() bool { return strings.Contains(cg("--describe", "--group", "g1", "--state").out, " Empty ") })

	r = cg("--delete-offsets", "--group", "g1", "--topic", "orders:1")
	if r.e != nil || r.out != "Request succeeded for deleting offsets from group g1.\n\nTOPIC           PARTITION  STATUS         \norders          1          Successful     \n" {
		t.Fatalf("delete-offsets: %q %v", r.out, r.e)
	}
	if rows := tableRows(cg("--describe", "--group", "g1").out); len(rows) != 1 || rows[0][2] != "0" || rows[0][3] != "5" {
		t.Fatalf("after delete-offsets: %q", rows)
	}
	r = cg("--delete-offsets", "--group", "g1", "--topic", "nope")
	if r.e == nil || !strings.Contains(r.out, "\nnope            -          Error: UNKNOWN_TOPIC_OR_PARTITION") {
		t.Fatalf("delete-offsets of a missing topic: %q %v", r.out, r.e)
	}

	if r := cg("--delete", "--group", "g1"); r.e != nil || r.out != "Deletion of requested consumer groups ('g1') was successful.\n" {
		t.Fatalf("delete: %q %v", r.out, r.e)
	}
	r = cg("--describe", "--group", "g1")
	if !errors.Is(r.e, errGroupNotFound) || ErrorLines(r.e)[0] != "Error: Consumer group 'g1' does not exist." {
		t.Fatalf("describe a deleted group: %v", r.e)
	}
	if r := cg("--list"); r.out != "" {
		t.Fatalf("list after delete: %q", r.out)
	}
}

func TestConsoleConsumerGroupResumes(t *testing.T) {
	bs := fakeCluster(t)
	mustRun(t, "", "topics", "--bootstrap-server", bs, "--create", "--topic", "c", "--partitions", "1")
	produceTo(t, bs, "c", 6)
	consume := func(args ...string) result {
		return mustRun(t, "", append([]string{"console-consumer", "--bootstrap-server", bs, "--topic", "c", "--group", "cg"}, args...)...)
	}
	if r := consume("--from-beginning", "--max-messages", "4"); r.out != "p0-v0\np0-v1\np0-v2\np0-v3\n" {
		t.Fatalf("first run printed %q", r.out)
	}
	rows := tableRows(mustRun(t, "", "consumer-groups", "--bootstrap-server", bs, "--describe", "--group", "cg").out)
	if len(rows) != 1 || strings.Join(rows[0][:6], " ") != "cg c 0 4 6 2" {
		t.Fatalf("committed after the first run: %q", rows)
	}
	// --from-beginning only applies without a committed offset.
	if r := consume("--from-beginning", "--timeout-ms", "1500"); r.out != "p0-v4\np0-v5\n" || r.err != "Processed a total of 2 messages\n" {
		t.Fatalf("second run printed %q, stderr %q", r.out, r.err)
	}
	rows = tableRows(mustRun(t, "", "consumer-groups", "--bootstrap-server", bs, "--describe", "--group", "cg").out)
	if len(rows) != 1 || strings.Join(rows[0][:6], " ") != "cg c 0 6 6 0" {
		t.Fatalf("committed after the second run: %q", rows)
	}
}

// TestDescribeNextGenGroup describes a KIP-848 group, which only
// ConsumerGroupDescribe reports with member epochs.
func TestDescribeNextGenGroup(t *testing.T) {
	bs := fakeCluster(t)
	mustRun(t, "", "topics", "--bootstrap-server", bs, "--create", "--topic", "n", "--partitions", "3")
	produceTo(t, bs, "n", 2, 2, 2)
	member := joinGroup(t, bs, "ng", "n", 6, map[int32]int64{0: 2, 1: 1, 2: 0},
		kgo.ServerSideBalancer(), kgo.Balancers(kgo.RangeBalancer()))
	defer member.Close()
	cg := func(args ...string) result {
		return mustRun(t, "", append([]string{"consumer-groups", "--bootstrap-server", bs, "--describe", "--group", "ng"}, args...)...)
	}
	rows := tableRows(cg().out)
	if len(rows) != 3 || strings.Join(rows[1][:6], " ") != "ng n 1 1 2 1" || rows[1][8] != "member-1" {
		t.Fatalf("offsets: %q", rows)
	}
	r := cg("--members", "--verbose")
	if rows := tableRows(r.out); len(rows) != 1 || rows[0][4] != "3" || rows[0][5] == "-" || rows[0][6] != "n:0,1,2" || rows[0][8] != "n:0,1,2" {
		t.Fatalf("members: %q", r.out)
	}
	r = cg("--state", "--verbose")
	if rows := tableRows(r.out); len(rows) != 1 || rows[0][3] != "range" || rows[0][4] != "Stable" || rows[0][5] == "-" || rows[0][7] != "1" {
		t.Fatalf("state: %q", r.out)
	}
	if !strings.Contains(r.out, "GROUP-EPOCH     TARGET-ASSIGNMENT-EPOCH   #MEMBERS") {
		t.Fatalf("state header: %q", r.out)
	}
}
